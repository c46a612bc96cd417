"""Failures → a reason code (stored with jobs) → the Chinese sentence a user sees.

One mapping for every command: chat errors, job failures and status messages all come here.
"""

from __future__ import annotations

from bot import texts
from bot.providers import errors
from bot.redact import scrub

_REASONS: list[tuple[type[errors.ProviderError], str]] = [
    (errors.AuthError, "auth"),
    (errors.CreditsExhausted, "credits"),
    (errors.KeyForbidden, "forbidden"),
    (errors.RateLimited, "rate_limited"),
    (errors.ServerError, "upstream"),
    (errors.Unreachable, "unreachable"),
    (errors.Timeout, "timeout"),
    (errors.StreamDropped, "dropped"),
    (errors.TaskNotFound, "not_found"),
    (errors.ResultExpired, "expired"),
    (errors.TaskFailed, "error"),
    (errors.BadRequest, "bad_request"),
]


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, errors.ModerationRejected):
        return "input_moderation" if exc.stage == "input" else "output_moderation"
    for cls, reason in _REASONS:
        if isinstance(exc, cls):
            return reason
    return "internal"


def describe_failure(reason: str, detail: str | None = None, status: int | None = None) -> str:
    detail = scrub((detail or "").strip())  # providers may echo our key in their text
    match reason:
        case "auth":
            return texts.ERR_AUTH
        case "credits":
            return texts.ERR_CREDITS
        case "forbidden":
            return texts.ERR_FORBIDDEN
        case "rate_limited":
            return texts.ERR_RATE_LIMITED
        case "upstream":
            return texts.ERR_SERVER.format(status=status or "5xx")
        case "unreachable":
            return texts.ERR_UNREACHABLE
        case "timeout":
            return texts.ERR_TIMEOUT
        case "dropped":
            return texts.ERR_STREAM_DROPPED_EMPTY
        case "input_moderation":
            return texts.ERR_MODERATION_INPUT
        case "output_moderation":
            return texts.ERR_MODERATION_OUTPUT
        case "not_found":
            return texts.ERR_TASK_NOT_FOUND
        case "expired":
            return texts.ERR_RESULT_EXPIRED
        case "error":
            return texts.ERR_TASK_FAILED.format(detail=detail or "未知原因")
        case "bad_request":
            return texts.ERR_BAD_REQUEST.format(detail=detail or "参数不被接受")
        case "job_timeout":
            return texts.ERR_JOB_TIMEOUT
        case "interrupted":
            return texts.JOB_INTERRUPTED
        case "submit_unclear":
            return texts.JOB_SUBMIT_UNCLEAR
        case "too_large":
            return texts.ERR_RESULT_TOO_LARGE
    return texts.ERR_INTERNAL


def describe_error(exc: BaseException) -> str:
    detail = exc.detail if isinstance(exc, errors.ProviderError) else None
    status = exc.status if isinstance(exc, errors.ProviderError) else None
    return describe_failure(failure_reason(exc), detail, status)
