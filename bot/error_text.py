"""Upstream failures → the Chinese sentence a user sees (one mapping for every command)."""

from __future__ import annotations

from bot import texts
from bot.providers import errors


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, errors.AuthError):
        return texts.ERR_AUTH
    if isinstance(exc, errors.CreditsExhausted):
        return texts.ERR_CREDITS
    if isinstance(exc, errors.KeyForbidden):
        return texts.ERR_FORBIDDEN
    if isinstance(exc, errors.RateLimited):
        return texts.ERR_RATE_LIMITED
    if isinstance(exc, errors.ServerError):
        return texts.ERR_SERVER.format(status=exc.status or "5xx")
    if isinstance(exc, errors.Unreachable):
        return texts.ERR_UNREACHABLE
    if isinstance(exc, errors.Timeout):
        return texts.ERR_TIMEOUT
    if isinstance(exc, errors.StreamDropped):
        return texts.ERR_STREAM_DROPPED_EMPTY
    if isinstance(exc, errors.ModerationRejected):
        return texts.ERR_MODERATION_INPUT if exc.stage == "input" else texts.ERR_MODERATION_OUTPUT
    if isinstance(exc, errors.TaskNotFound):
        return texts.ERR_TASK_NOT_FOUND
    if isinstance(exc, errors.ResultExpired):
        return texts.ERR_RESULT_EXPIRED
    if isinstance(exc, errors.TaskFailed):
        return texts.ERR_TASK_FAILED.format(detail=exc.detail or "未知原因")
    if isinstance(exc, errors.BadRequest):
        return texts.ERR_BAD_REQUEST.format(detail=exc.detail or "参数不被接受")
    return texts.ERR_INTERNAL
