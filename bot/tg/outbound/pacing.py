"""One Telegram budget for the whole bot, spent by priority.

Rules this limiter guarantees:
- every visible call (send/edit) takes a token from its chat's bucket, then one from the bot's
  global bucket (~30/s); waiters are served by priority, then in arrival order, so a result
  overtakes queued status edits both inside a chat and across chats;
- a private chat has a small burst (default 3, refilled at 1 per `private_interval`), so a
  result goes out at once even right after a progress edit; low-priority calls (refreshes,
  status) never take a private chat's last token, which stays for a result;
- groups are paced evenly (`group_max_per_minute`), as Telegram counts a sliding minute;
- globally an even pace (3 % under `overall_per_second`), and never more than
  `overall_per_second` sends in any sliding second, counted when they are sent;
- a 429 pauses only the chat that earned it;
- uploads (calls that carry a file) take one of `max_uploads` slots only while the request is
  actually being sent, never while waiting for a chat's pace or pause: one chat's backlog can
  never hold up another chat's delivery;
- "typing" (sendChatAction) is a nicety: it has its own bucket (the global rate, a one-second
  burst) and is skipped, never queued, when that is empty — a thousand waiting answers must not
  put a thousand requests in flight at once (they congest the connection pool that getUpdates
  replies and first texts need);
- a call marked `since` waits in line as if it had arrived then (an answer keeps its place),
  and one marked `obsolete` is dropped (tokens given back, `Superseded` raised) when its turn
  comes after it stopped mattering — nothing was sent.

Callers mark a call with `rate_limit_args`: `budget(Priority.X, retries, since=, obsolete=)`;
a bare int is the older form (retries; 0 = an intermediate update, so REFRESH); None = RESULT
with retries.
aiolimiter (what PTB's AIORateLimiter uses) has no notion of priority, hence `PriorityBucket`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.core import texts

log = logging.getLogger(__name__)

# Calls that put or change something visible in a chat; these share the chat's budget.
PACED_ENDPOINTS = frozenset(
    {
        "sendMessage", "editMessageText", "editMessageCaption", "editMessageMedia",
        "editMessageReplyMarkup", "sendPhoto", "sendVideo", "sendDocument", "sendAnimation",
        "sendAudio", "sendMediaGroup", "sendMessageDraft", "copyMessage", "forwardMessage",
        "sendVoice", "sendSticker",
    }
)  # fmt: skip
# Calls that may carry a file upload: they take an upload slot while being sent.
# Calls that only show a passing status ("typing"): best effort, see the module rules.
ACTION_ENDPOINTS = frozenset({"sendChatAction"})
UPLOAD_ENDPOINTS = frozenset(
    {"sendPhoto", "sendVideo", "sendDocument", "sendAnimation", "sendAudio", "sendMediaGroup",
     "sendVoice", "editMessageMedia"}
)  # fmt: skip

DEFAULT_RETRIES = 5
# Telegram counts the global limit over a sliding second; our own sends are counted the same way
# at the moment they are sent (a call granted late must not bunch with the ones after it), with
# this much extra, as the request still has to reach Telegram.
WINDOW = 1.0
WINDOW_GUARD = 0.03
# The global bucket holds a quarter token more than one, so a timer that fires a few
# milliseconds late does not lose budget (measured with one token only: 28.4 sends a second
# instead of 29.1). More slack only moves bunches of sends into the next second (429s).
GLOBAL_SLACK = 0.25
# Even inside a burst, two visible calls to one chat are this far apart (Telegram tolerates
# short bursts, not back-to-back floods; the fake Telegram refuses gaps under 0.3 s).
MIN_GAP = 0.35


class Priority(IntEnum):
    RESULT = 0  # final answer text, result files, command replies (anything unmarked)
    FIRST = 1  # the first text of a new answer
    REFRESH = 2  # draft/edit refreshes of a growing answer
    STATUS = 3  # job status and queue-position edits


class Superseded(Exception):
    """A call marked `obsolete` was dropped before it was sent (see `budget`)."""


@dataclass(frozen=True)
class _Mark:
    priority: Priority = Priority.RESULT
    retries: int | None = None
    since: float | None = None
    obsolete: Callable[[], bool] | None = None


def budget(
    priority: Priority,
    retries: int | None = None,
    *,
    since: float | None = None,
    obsolete: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """The `rate_limit_args` of a call: its priority, how often a 429 is retried, the
    `time.monotonic()` it queues as of (default: now), and a test that drops it when it comes
    to its turn no longer needed."""
    return {"priority": priority, "retries": retries, "since": since, "obsolete": obsolete}


def _parse(args: Any) -> _Mark:
    if isinstance(args, dict):
        return _Mark(Priority(args.get("priority", Priority.RESULT)), args.get("retries"),
                     args.get("since"), args.get("obsolete"))  # fmt: skip
    if isinstance(args, int) and not isinstance(args, bool):
        return _Mark(Priority.REFRESH if args == 0 else Priority.RESULT, args)
    return _Mark()


class PriorityBucket:
    """Token bucket (`burst` tokens, refilled at `rate`/s) whose waiters are served by
    priority, then FIFO. `reserve`: tokens that calls of `reserve_below` or lower priority may
    not take (they stay for results)."""

    def __init__(
        self,
        rate: float,
        burst: float,
        reserve: int = 0,
        reserve_below: Priority = Priority.REFRESH,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.reserve = reserve if self.burst > reserve else 0
        self.reserve_below = reserve_below
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()
        self._waiters: list[tuple[int, float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def idle(self) -> bool:
        self._refill()
        return not self._waiters and self._tokens >= self.burst

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def _needed(self, priority: int) -> float:
        return 1.0 + (self.reserve if priority >= self.reserve_below else 0)

    def _delay(self, priority: int) -> float:
        """Seconds until a call of `priority` may go (0 = now)."""
        self._refill()
        missing = self._needed(priority) - self._tokens
        return missing / self.rate if missing > 0 else 0.0

    def _take(self) -> None:
        self._tokens -= 1

    def try_take(self) -> bool:
        """A token now if one is free and nobody waits; never waits."""
        if not self._waiters and self._delay(Priority.RESULT) == 0:
            self._take()
            return True
        return False

    def give_back(self) -> None:
        """Return a token taken for a call that was not sent."""
        self._refill()
        self._tokens = min(self.burst, self._tokens + 1)
        self._dispatch()

    async def acquire(self, priority: int = Priority.RESULT, since: float | None = None) -> None:
        if not self._waiters and self._delay(priority) == 0:
            self._take()
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        at = time.monotonic() if since is None else since
        heapq.heappush(self._waiters, (priority, at, next(self._seq), future))
        self._dispatch()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._tokens += 1  # granted but not used: give the token back
            self._dispatch()
            raise

    def _dispatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            priority, _, _, future = self._waiters[0]
            if future.done():  # cancelled while waiting
                heapq.heappop(self._waiters)
                continue
            delay = self._delay(priority)
            if delay > 0:
                self._timer = asyncio.get_running_loop().call_later(delay, self._dispatch)
                return
            heapq.heappop(self._waiters)
            self._take()
            future.set_result(None)


class ChatBudgetRateLimiter(BaseRateLimiter[Any]):
    """The bot's Telegram budget: per-chat buckets, a global bucket, per-chat 429 pauses."""

    def __init__(
        self,
        private_interval: float = 1.0,
        group_max_per_minute: int = 20,
        retries: int = DEFAULT_RETRIES,
        *,
        private_burst: int = 3,
        overall_per_second: float = 30.0,
        max_uploads: int = 8,
    ) -> None:
        self._private_rate = 1.0 / private_interval if private_interval > 0 else 1000.0
        self._private_burst = private_burst
        # Groups: an even pace. A burst of N plus the refill would exceed N in one minute;
        # 5 % margin as Telegram counts a sliding minute.
        self._group_rate = group_max_per_minute / 60 / 1.05
        self._retries = retries
        # Globally an even pace too: Telegram counts a sliding second, and a full bucket of N
        # plus its refill would put nearly 2N calls into one second (each extra one a 429).
        self._global = PriorityBucket(overall_per_second / 1.03, 1 + GLOBAL_SLACK)
        self._window_size = max(1, math.floor(overall_per_second))
        self._window: deque[float] = deque(maxlen=self._window_size)  # planned send times
        self._uploads = asyncio.Semaphore(max_uploads)
        self._actions = PriorityBucket(overall_per_second, math.ceil(overall_per_second))
        self._chats: dict[int | str, PriorityBucket] = {}
        self._paused_until: dict[int | str, float] = {}
        self._next_send: dict[int | str, float] = {}  # MIN_GAP, counted at the actual send
        self._last_send: dict[int | str, float] = {}  # when each chat's last send really went

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _chat_bucket(self, chat_key: int | str) -> PriorityBucket:
        bucket = self._chats.get(chat_key)
        if bucket is None:
            if len(self._chats) > 4096:  # forget idle chats
                self._chats = {k: v for k, v in self._chats.items() if not v.idle()}
                now = time.monotonic()
                self._next_send = {k: v for k, v in self._next_send.items() if v > now}
                self._last_send = {
                    k: v for k, v in self._last_send.items() if v + MIN_GAP > now
                }
            if isinstance(chat_key, int) and chat_key > 0:
                bucket = PriorityBucket(self._private_rate, self._private_burst, reserve=1)
            else:
                bucket = PriorityBucket(self._group_rate, 1)
            self._chats[chat_key] = bucket
        return bucket

    async def _keep_gap(self, chat_key: int | str) -> None:
        """Two sends to one chat leave at least MIN_GAP between them (reserved, then slept, so
        concurrent calls line up); counted here, at the send, as a call may have waited for
        the global budget or an upload slot after its chat's token. A busy event loop wakes a
        sleeper late: the next send is then counted from when this one really went, not from
        its reserved time (else the two would reach Telegram closer than MIN_GAP)."""
        now = time.monotonic()
        at = max(now, self._next_send.get(chat_key, 0.0))
        self._next_send[chat_key] = at + MIN_GAP
        if at > now:
            await asyncio.sleep(at - now)
        # Checked again after each sleep: another late sender of this chat may have gone.
        while (wait := self._last_send.get(chat_key, 0.0) + MIN_GAP - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        sent = self._last_send[chat_key] = time.monotonic()
        self._next_send[chat_key] = max(self._next_send[chat_key], sent + MIN_GAP)

    async def _keep_window(self) -> None:
        """At most `overall_per_second` sends in any WINDOW (+ guard), counted at the send."""
        now = time.monotonic()
        at = now
        if len(self._window) == self._window_size:
            at = max(now, self._window[0] + WINDOW + WINDOW_GUARD)
        self._window.append(at)
        if at > now:
            await asyncio.sleep(at - now)

    async def _wait_if_paused(self, chat_key: int | str) -> None:
        delay = self._paused_until.get(chat_key, 0.0) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if endpoint in ACTION_ENDPOINTS:
            if not self._actions.try_take():
                return True  # skipped: the next one (in a few seconds) may find room
            return await callback(*args, **kwargs)
        if chat_id is None or endpoint not in PACED_ENDPOINTS:
            # getFile, answerCallbackQuery…: nothing appears in a chat.
            return await callback(*args, **kwargs)
        mark = _parse(rate_limit_args)
        priority, obsolete = mark.priority, mark.obsolete
        retries = self._retries if mark.retries is None else mark.retries
        try:
            chat_key: int | str = int(chat_id)
        except (TypeError, ValueError):
            chat_key = str(chat_id)
        for attempt in range(retries + 1):
            await self._wait_if_paused(chat_key)
            chat = self._chat_bucket(chat_key)
            await chat.acquire(priority, mark.since)
            if obsolete is not None and obsolete():
                chat.give_back()
                raise Superseded(endpoint)
            await self._wait_if_paused(chat_key)  # a 429 may have come in meanwhile
            await self._global.acquire(priority, mark.since)
            if obsolete is not None and obsolete():
                self._global.give_back()
                chat.give_back()
                raise Superseded(endpoint)
            try:
                # The window first: the chat's gap is then counted from the real send.
                await self._keep_window()
                if endpoint in UPLOAD_ENDPOINTS:
                    async with self._uploads:
                        await self._keep_gap(chat_key)
                        return await callback(*args, **kwargs)
                await self._keep_gap(chat_key)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                pause = exc._retry_after.total_seconds() + 0.1
                self._paused_until[chat_key] = max(
                    self._paused_until.get(chat_key, 0.0), time.monotonic() + pause
                )
                log.info(texts.LOG_TELEGRAM_429_PAUSE, chat_key, pause)
                if attempt >= retries:
                    raise
        raise AssertionError("unreachable")
