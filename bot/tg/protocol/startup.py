"""Reaching Telegram before the bot starts taking updates.

Rules: an unreachable Telegram (no proxy, a wrong proxy, a dead TELEGRAM_BASE_URL) never ends
the process: one Chinese line says through which address or proxy it failed and which settings
to check, then it retries with growing pauses (capped), one line per attempt, so a proxy that
comes up later just works. A rejected token (401/404) cannot get better by waiting: it raises
TokenRejected. No line ever shows the token (the base URL carries none, a proxy's password is
dropped) and no traceback is printed for these expected failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.core import texts
from bot.core.config import Settings

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application

log = logging.getLogger("bot.startup")

FIRST_PAUSE = 1.0  # seconds before the second attempt; doubled after each failure
MAX_PAUSE = 60.0


class TokenRejected(Exception):
    """Telegram answered 401/404 to getMe: the token (or TELEGRAM_BASE_URL) is wrong."""


def route(settings: Settings) -> str:
    """Through which proxy and address Telegram is reached (no token, no proxy password)."""
    if settings.telegram_proxy:
        return texts.STARTUP_ROUTE_PROXY.format(
            proxy=without_password(settings.telegram_proxy), base=settings.telegram_base_url
        )
    return texts.STARTUP_ROUTE_DIRECT.format(base=settings.telegram_base_url)


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def reason(exc: TelegramError) -> str:
    if isinstance(exc, TimedOut):
        return texts.STARTUP_REASON_TIMEOUT
    if isinstance(exc, RetryAfter):
        return texts.STARTUP_REASON_FLOOD
    if isinstance(exc, NetworkError):
        return texts.STARTUP_REASON_NETWORK
    return texts.STARTUP_REASON_OTHER


def pauses() -> list[float]:
    """1, 2, 4 … seconds, then MAX_PAUSE for ever (the caller stops iterating)."""
    out, pause = [], FIRST_PAUSE
    while pause < MAX_PAUSE:
        out.append(pause)
        pause *= 2
    return out


async def wait_for_telegram(app: Application, settings: Settings, stop: asyncio.Event) -> bool:
    """Initialize `app` (its getMe) until Telegram answers. False if `stop` was set first."""
    attempt, schedule = 0, pauses()
    while True:
        attempt += 1
        try:
            if not await _until_stopped(app.initialize(), stop):
                return False
        except InvalidToken:
            raise TokenRejected from None  # its text holds the token: never shown
        except TelegramError as exc:
            pause = schedule[attempt - 1] if attempt <= len(schedule) else MAX_PAUSE
            log.debug("getMe failed: %s", exc)  # English detail for debugging, token masked
            if attempt == 1:
                line = texts.STARTUP_TELEGRAM_UNREACHABLE.format(
                    route=route(settings), reason=reason(exc)
                )
            else:
                line = texts.STARTUP_TELEGRAM_RETRY.format(
                    attempt=attempt, reason=reason(exc), delay=f"{pause:g}"
                )
            log.warning(line)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            if stop.is_set():
                return False
            continue
        log.info(texts.STARTUP_TELEGRAM_CONNECTED.format(username=app.bot.username,
                                                         route=route(settings)))  # fmt: skip
        return True


async def _until_stopped(work: object, stop: asyncio.Event) -> bool:
    """Run `work` (a coroutine); False (and cancelled) if `stop` is set before it ends."""
    task = asyncio.ensure_future(work)  # type: ignore[arg-type]
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return False
    task.result()
    return True


def probe_bot(settings: Settings) -> Bot:
    """A bare Bot with the application's Telegram settings (proxy, base URLs): for `check`."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    assert settings.telegram_bot_token is not None
    request = HTTPXRequest(proxy=settings.telegram_proxy, connect_timeout=10, read_timeout=15)
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
        request=request,
    )
