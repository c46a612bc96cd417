"""Failures → a reason code (stored with jobs) → the Chinese sentence a user sees.

One mapping for every command: chat errors, job failures and status messages all come here.
Rules: a user reads one complete Chinese sentence saying what happened and what to do; the
provider's own wording (the failure detail) is never shown, only logged and kept with the job
for admins. The bot's own detail codes below get a sentence of their own.
"""

from __future__ import annotations

import logging

from bot.core import texts
from bot.core.providers import errors
from bot.core.redact import scrub

log = logging.getLogger(__name__)

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


# Details the bot itself raises (bot/core/providers, bot/core/jobs/runner.py) → the sentence
# they deserve.
_OWN_DETAILS = {
    "reference file unreadable": texts.ERR_REFERENCE_UNREADABLE,
    "unsupported reference image": texts.ERR_REFERENCE_UNSUPPORTED,
    "bad_duration": texts.ERR_BAD_DURATION,
    "no result": texts.ERR_NO_RESULT,
    "result without file": texts.ERR_NO_RESULT,
    "no image in answer": texts.ERR_NO_RESULT,
    "upload refused": texts.ERR_UPLOAD_REFUSED,
}


def describe_failure(reason: str, detail: str | None = None, status: int | None = None) -> str:
    """The user's sentence for a failure. `detail` only selects among the bot's own codes;
    `status` is kept for callers' logs and never shown."""
    detail = scrub((detail or "").strip())  # providers may echo our key in their text
    if detail in texts.CHAT_IMAGE_REASONS:  # our own Chinese words for a chat-format answer
        return texts.ERR_NO_PICTURE.format(reason=detail)
    own = _OWN_DETAILS.get(detail)
    if detail.startswith(texts.JUHE_NO_LINK.split("{")[0]):
        own = texts.ERR_NO_RESULT
    elif detail == texts.JUHE_STREAM_LOST:
        own = texts.ERR_RESULT_LOST
    if own is not None and reason in ("error", "bad_request"):
        return own
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
            return texts.ERR_SERVER
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
            return texts.ERR_TASK_FAILED
        case "bad_request":
            return texts.ERR_BAD_REQUEST
        case "job_timeout":
            return texts.ERR_JOB_TIMEOUT
        case "interrupted":
            return texts.JOB_INTERRUPTED
        case "submit_unclear":
            return texts.JOB_SUBMIT_UNCLEAR
        case "too_large":
            return texts.ERR_RESULT_TOO_LARGE
        case "undeliverable":
            return texts.ERR_UNDELIVERABLE
        case "cancelled":
            return texts.ERR_JOB_CANCELLED
    return texts.ERR_INTERNAL


def describe_error(exc: BaseException) -> str:
    """The sentence for an error met while answering (chat); the provider's words go to the
    log here, since the user never sees them."""
    detail = exc.detail if isinstance(exc, errors.ProviderError) else None
    status = exc.status if isinstance(exc, errors.ProviderError) else None
    shown = f"（HTTP {status}）" if status is not None else ""
    log.info(texts.LOG_PROVIDER_ERROR, type(exc).__name__, shown, detail or "")
    return describe_failure(failure_reason(exc), detail, status)
