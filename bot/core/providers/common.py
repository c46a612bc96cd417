"""Small helpers several provider modules share: reference files, percentages, error wording."""

from __future__ import annotations

import asyncio
import base64
import math
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from bot.core.media.download import IMAGE_MIMES, sniff_mime
from bot.core.providers import errors
from bot.core.providers.http import JsonApi

T = TypeVar("T")

# "余额不足" can come back as 403 or 429 from new-api style gateways: it is about money.
_CREDITS_RE = re.compile(
    r"积分不足|余额不足|额度不足|额度已用尽|insufficient|quota|credit|balance", re.IGNORECASE
)


async def refined(call: Awaitable[T]) -> T:
    """Await an upstream call, reading a 'not enough credits' message as CreditsExhausted
    whatever status carried it (so routing moves on to the next provider)."""
    try:
        return await call
    except (errors.KeyForbidden, errors.RateLimited, errors.BadRequest) as exc:
        if _CREDITS_RE.search(exc.detail or ""):
            raise errors.CreditsExhausted(exc.detail, status=exc.status) from None
        raise


def task_id_from(answer: Any, *keys: str) -> str:
    """The task id under the first of `keys` that is set. A 2xx answer without one is
    ambiguous — the task may exist upstream — so it is never retried elsewhere."""
    value = next((answer.get(k) for k in keys if answer.get(k)), None) if isinstance(
        answer, dict) else None  # fmt: skip
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise errors.AmbiguousSubmit("submit answer without a task id")
    return str(value)


async def get_task_status(api: JsonApi, path: str) -> dict[str, Any]:
    """GET a task's status object; 404 means the provider does not know the task."""
    try:
        body = await refined(api.get(path))
    except errors.BadRequest as exc:
        if exc.status == 404:
            raise errors.TaskNotFound(exc.detail) from None
        raise
    if not isinstance(body, dict):
        raise errors.ServerError("status answer is not an object")
    return body


def percent(value: Any) -> int | None:
    """Progress as 50, 50.0, "50" or "50%" → 0..100; anything else → None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip().removesuffix("%").strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return max(0, min(100, int(number)))


async def read_reference(path: str) -> bytes:
    try:
        return await asyncio.to_thread(Path(path).read_bytes)
    except OSError:
        raise errors.BadRequest("reference file unreadable") from None


def image_mime(data: bytes) -> str:
    mime = sniff_mime(data[:64])
    if mime not in IMAGE_MIMES:
        raise errors.BadRequest("unsupported reference image")
    return mime


async def image_data_url(path: str) -> str:
    data = await read_reference(path)
    mime = image_mime(data)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def scrub(text: str, secret: str) -> str:
    """Upstream text, shortened, with our key blanked out (it must never reach a log or chat)."""
    if secret:
        text = text.replace(secret, "***")
    return text[:200]


_MODERATION_WORDS = ("moderation", "violat", "guardrail", "policy", "违规", "违反", "审核", "政策")


def moderation_or(text: str, otherwise: str) -> str:
    """`output_moderation` when an upstream failure text reads like a content refusal."""
    lower = text.lower()
    return "output_moderation" if any(w in lower for w in _MODERATION_WORDS) else otherwise
