"""One send budget per chat, on top of PTB's AIORateLimiter.

AIORateLimiter paces the whole bot (30/s) and each group (20/min) but not private chats, and it
answers a 429 by pausing *every* chat. Here each chat additionally gets its own pace, and a
`retry_after` pauses only the chat that earned it. A call may pass `rate_limit_args` = number of
retries: streamed intermediate edits pass 0 (a newer edit follows anyway); everything else is
retried, so a final answer always gets through.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Calls that put or change something visible in a chat; these share the chat's budget.
PACED_ENDPOINTS = frozenset(
    {
        "sendMessage", "editMessageText", "editMessageCaption", "editMessageMedia",
        "editMessageReplyMarkup", "sendPhoto", "sendVideo", "sendDocument", "sendAnimation",
        "sendAudio", "sendMediaGroup", "sendMessageDraft", "copyMessage", "forwardMessage",
    }
)  # fmt: skip

DEFAULT_RETRIES = 5


def _not_our_expected_429(record: logging.LogRecord) -> bool:
    # The parent runs with max_retries=0 and logs every 429 as an ERROR with a traceback;
    # here a 429 is expected and handled per chat (and logged once at INFO below).
    return "Rate limit hit after maximum" not in record.getMessage()


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_not_our_expected_429)


class ChatBudgetRateLimiter(AIORateLimiter):
    """AIORateLimiter + a per-chat pace and per-chat retry_after."""

    def __init__(
        self,
        private_interval: float = 1.0,
        group_max_per_minute: int = 20,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        # max_retries=0: the parent raises RetryAfter at once and we handle it per chat.
        # Groups get an even pace (1 per 60/N s) rather than a bucket of N: a burst of 20 plus
        # the refill would exceed 20 in one minute.
        # 5 % margin: Telegram counts a sliding minute, so exactly 60/N s could make N+1.
        super().__init__(
            group_max_rate=1, group_time_period=1.05 * 60 / group_max_per_minute, max_retries=0
        )
        self._private_interval = private_interval
        self._retries = retries
        self._chat_limiters: dict[int | str, AsyncLimiter] = {}
        self._paused_until: dict[int | str, float] = {}

    def _chat_limiter(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            if len(self._chat_limiters) > 4096:  # forget idle chats
                self._chat_limiters = {
                    k: v for k, v in self._chat_limiters.items() if not v.has_capacity(1)
                }
            limiter = AsyncLimiter(1, self._private_interval)
            self._chat_limiters[chat_id] = limiter
        return limiter

    async def _wait_if_paused(self, chat_id: int | str) -> None:
        until = self._paused_until.get(chat_id, 0.0)
        delay = until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is None or endpoint not in PACED_ENDPOINTS:
            # "typing", getFile, answerCallbackQuery…: nothing appears in the chat, so they must
            # not take a slot of the group's 20/min (the parent would count any chat_id).
            unpaced = {k: v for k, v in data.items() if k != "chat_id"}
            return await super().process_request(callback, args, kwargs, endpoint, unpaced, None)
        retries = self._retries if rate_limit_args is None else rate_limit_args
        try:
            chat_key: int | str = int(chat_id)
        except (TypeError, ValueError):
            chat_key = str(chat_id)
        private = isinstance(chat_key, int) and chat_key > 0
        for attempt in range(retries + 1):
            await self._wait_if_paused(chat_key)
            try:
                if private:  # groups are paced by the parent's group limiter
                    async with self._chat_limiter(chat_key):
                        await self._wait_if_paused(chat_key)
                        return await super().process_request(
                            callback, args, kwargs, endpoint, data, None
                        )
                return await super().process_request(callback, args, kwargs, endpoint, data, None)
            except RetryAfter as exc:
                pause = exc._retry_after.total_seconds() + 0.1
                self._paused_until[chat_key] = max(
                    self._paused_until.get(chat_key, 0.0), time.monotonic() + pause
                )
                log.info("telegram 429 in chat %s: pausing it %.1fs", chat_key, pause)
                if attempt >= retries:
                    raise
        raise AssertionError("unreachable")
