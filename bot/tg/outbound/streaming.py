"""Show a growing answer in a chat, then leave it complete and formatted.

Private chats preview the answer with `sendMessageDraft` and persist it with `sendMessage`;
groups send one message and edit it. Visible updates are throttled (and paced again per chat by
the rate limiter); intermediate updates that hit a 429 are skipped — the next one carries newer
text — while the final text is retried until it is through. Long answers continue in further
messages, and a message the user deleted meanwhile is simply sent again.

Every stream has deadlines (first token, longest silence, total): a stalled answer ends with
its partial text plus a notice, and while it waits the draft is re-sent before Telegram drops
it (30 s). A Bot API server without sendMessageDraft (404) switches every later answer of this
process to sendMessage + edits. A cancelled stream (shutdown) ends the same way, with a notice.

Under a saturated Telegram budget an answer's first text waits in line from the moment the
answer started; if the answer is complete before that text could go out, the waiting text is
dropped (nothing sent) and the final message takes its place in line: one message, not two.
Likewise a refresh or edit still waiting when the answer completes is dropped, never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from telegram import Bot, MessageEntity, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, RetryAfter, TelegramError

from bot.core import texts
from bot.core.error_text import describe_error
from bot.core.providers.errors import ProviderError, StreamDropped, Timeout
from bot.tg.outbound.markdown import RenderedChunk, render_chunks
from bot.tg.outbound.pacing import Priority, Superseded, budget

# An answer's message (its first text, or its final text where a draft already shows) waits in
# line with other answers' first texts, in arrival order: under a saturated budget nobody waits
# for nothing while others get their last words. Results and command replies still go first.
ANSWER_TEXT = budget(Priority.FIRST, None)

log = logging.getLogger(__name__)

TYPING_EVERY = 4.5  # Telegram shows "typing" for about 5 s
FINAL_PAINT_ON_SHUTDOWN = 3.0  # seconds the last words of a cut answer may take


class _Drafts:
    """Process-wide: does this Bot API server know sendMessageDraft? Decided at first failure."""

    supported = True


@dataclass(frozen=True)
class Deadlines:
    first_token: float = 90.0
    silence: float = 60.0
    total: float = 300.0


@dataclass
class _Shown:
    message_id: int
    chunk: RenderedChunk | None  # None: its content is unknown (e.g. sent as plain fallback)


@dataclass
class StreamStats:
    """Numbers the benchmark reads: latency to first visible text and Telegram calls made."""

    first_token_at: float | None = None
    first_visible_at: float | None = None
    updates: int = 0  # drafts + edits + sends for this answer


@dataclass
class StreamResult:
    text: str
    error: ProviderError | None
    message_ids: list[int]
    stats: StreamStats
    cut: str | None = None  # why a partial answer was ended early (its notice), else None


def _entities(chunk: RenderedChunk) -> list[MessageEntity]:
    return [
        MessageEntity(
            type=e.type, offset=e.offset, length=e.length, url=e.url, language=e.language,
            custom_emoji_id=e.custom_emoji_id,
        )
        for e in chunk.entities
    ]  # fmt: skip


class ReplyStream:
    """One streamed answer in one chat."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        use_draft: bool = False,
        interval: float = 1.0,
        deadlines: Deadlines | None = None,
        draft_refresh: float = 20.0,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.reply_to = reply_to
        self.thread_id = thread_id
        self.use_draft = use_draft
        self.interval = interval
        self.deadlines = deadlines or Deadlines()
        self.draft_refresh = draft_refresh
        self.stats = StreamStats()
        self._text = ""
        self._shown: list[_Shown] = []
        self._draft_id = random.randint(1, 2**31 - 1)
        self._draft_shown: RenderedChunk | None = None
        self._changed = asyncio.Event()
        self._done = asyncio.Event()
        self._visible = asyncio.Event()
        self._started = time.monotonic()  # where this answer's first text waits in line

    async def run(self, pieces: AsyncIterator[str]) -> StreamResult:
        self._started = time.monotonic()
        painter = asyncio.create_task(self._paint_loop())
        typing = asyncio.create_task(self._typing_loop())
        error: ProviderError | None = None
        cut: str | None = None
        cancelled = False
        try:
            cut = await self._consume(pieces)
        except ProviderError as exc:
            error = exc
        except asyncio.CancelledError:  # shutdown: keep what was written, say why it ends
            cancelled = True
            cut = texts.CHAT_SHUTDOWN
        finally:
            self._done.set()
            self._changed.set()
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await typing
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await painter
        final = self._text
        if cut is not None and not final.strip():
            if cancelled:
                final = texts.CHAT_SHUTDOWN_EMPTY
            else:
                error = Timeout("no answer in time")
                cut = None
        if error is not None and final.strip():
            reason = (
                texts.ERR_STREAM_DROPPED
                if isinstance(error, StreamDropped)
                else (describe_error(error))
            )
            final = final + texts.STREAM_INTERRUPTED.format(reason=reason)
        elif error is not None:
            final = describe_error(error)
        elif cut is not None and final.strip():
            final = final + texts.STREAM_INTERRUPTED.format(reason=cut)
        elif not final.strip():
            final = texts.EMPTY_ANSWER
        if cancelled:
            with contextlib.suppress(TimeoutError, TelegramError):
                async with asyncio.timeout(FINAL_PAINT_ON_SHUTDOWN):
                    await self._paint(final, final_pass=True)
            raise asyncio.CancelledError
        await self._paint(final, final_pass=True)
        return StreamResult(
            self._text, error, [s.message_id for s in self._shown], self.stats, cut
        )

    async def _consume(self, pieces: AsyncIterator[str]) -> str | None:
        """Read the answer within the deadlines; the notice of a cut, or None when complete.
        `asyncio.timeout` around each read also catches streams that send only keep-alive
        comments (they reset httpx's read timeout but yield no text)."""
        started = last = time.monotonic()
        limits = self.deadlines
        iterator = aiter(pieces)
        try:
            while True:
                gap = limits.first_token if self.stats.first_token_at is None else limits.silence
                left = started + limits.total - time.monotonic()
                wait = min(last + gap - time.monotonic(), left)
                try:
                    async with asyncio.timeout(max(wait, 0.0)):
                        piece = await anext(iterator)
                except StopAsyncIteration:
                    return None
                except TimeoutError:
                    too_long = left <= last + gap - time.monotonic()
                    return texts.CHAT_TOO_LONG if too_long else texts.CHAT_STALLED
                last = time.monotonic()
                if self.stats.first_token_at is None:
                    self.stats.first_token_at = last
                self._text += piece
                self._changed.set()
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    # -- loops -------------------------------------------------------------------------------

    async def _typing_loop(self) -> None:
        with contextlib.suppress(TelegramError):
            while not self._visible.is_set():
                await self.bot.send_chat_action(
                    self.chat_id, ChatAction.TYPING, message_thread_id=self.thread_id
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._visible.wait(), TYPING_EVERY)

    async def _paint_loop(self) -> None:
        while True:
            if self.use_draft and self._draft_shown is not None:
                try:  # nothing new: re-send the draft before Telegram lets it expire
                    await asyncio.wait_for(self._changed.wait(), self.draft_refresh)
                except TimeoutError:
                    self._draft_shown = None
            else:
                await self._changed.wait()
            if self._done.is_set():
                return
            self._changed.clear()
            try:
                await self._paint(self._text, final_pass=False)
            except Superseded:  # the answer is complete: its final text goes instead
                return
            except TelegramError as exc:  # intermediate: the final pass repairs it
                log.info(texts.LOG_INTERMEDIATE_UPDATE_FAILED, exc.__class__.__name__)
            except Exception:  # never let a bug stop the preview silently
                log.exception(texts.LOG_INTERMEDIATE_UPDATE_CRASHED)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), self.interval)

    # -- painting ------------------------------------------------------------------------------

    async def _paint(self, markdown: str, *, final_pass: bool) -> None:
        chunks = render_chunks(markdown)
        if not chunks:
            return
        if final_pass:
            for index, chunk in enumerate(chunks):
                await self._show(index, chunk, final=True, intermediate=False)
            for extra in self._shown[len(chunks) :]:
                with contextlib.suppress(TelegramError):
                    await self.bot.delete_message(self.chat_id, extra.message_id)
            del self._shown[len(chunks) :]
            return
        # While streaming only the tail changes: finish chunks that are now complete, then
        # show the growing last one (as a draft in private chats).
        first = max(0, len(self._shown) - 1)
        for index in range(first, len(chunks) - 1):
            await self._show(index, chunks[index], final=True, intermediate=True)
        if self.use_draft and _Drafts.supported:
            try:
                await self._show_draft(chunks[-1])
                return
            except (InvalidToken, EndPointNotFound):  # 404: an older local Bot API server
                log.warning(texts.LOG_NO_DRAFTS)
                _Drafts.supported = False
            self.use_draft = False
            await self._show(len(chunks) - 1, chunks[-1], final=False, intermediate=True)
        else:
            await self._show(len(chunks) - 1, chunks[-1], final=False, intermediate=True)

    async def _show_draft(self, chunk: RenderedChunk) -> None:
        if chunk == self._draft_shown:
            return
        try:
            await self.bot.send_message_draft(
                self.chat_id, self._draft_id, chunk.text, message_thread_id=self.thread_id,
                entities=_entities(chunk),
                rate_limit_args=self._first_text(0, intermediate=True)
                if self.stats.first_visible_at is None
                else budget(  # a lapsing draft is re-sent before mere refreshes
                    Priority.FIRST if self._draft_shown is None else Priority.REFRESH, 0,
                    obsolete=self._done.is_set,
                ),
            )  # fmt: skip
        except RetryAfter:
            return
        except BadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            await self.bot.send_message_draft(
                self.chat_id, self._draft_id, chunk.text, message_thread_id=self.thread_id,
                rate_limit_args=0,
            )  # fmt: skip
        self._draft_shown = chunk
        self._mark_visible()

    async def _show(
        self, index: int, chunk: RenderedChunk, *, final: bool, intermediate: bool
    ) -> None:
        """Make message number `index` of this answer show `chunk` (`intermediate`: during the
        stream, not its final pass)."""
        if index < len(self._shown):
            shown = self._shown[index]
            if shown.chunk == chunk:
                return
            if await self._edit(shown, chunk, final=final, intermediate=intermediate):
                return
            # The user deleted it: send it again below.
            message_id = await self._send(chunk, intermediate=intermediate)
            self._shown[index] = _Shown(message_id, chunk)
            return
        message_id = await self._send(chunk, intermediate=intermediate)
        self._shown.append(_Shown(message_id, chunk))

    async def _send(self, chunk: RenderedChunk, *, intermediate: bool) -> int:
        mark = (
            ANSWER_TEXT
            if self.stats.first_visible_at is not None
            else self._first_text(None, intermediate=intermediate)
        )
        reply = (
            ReplyParameters(self.reply_to, allow_sending_without_reply=True)
            if self.reply_to and not self._shown
            else None
        )
        try:
            message = await self.bot.send_message(
                self.chat_id, chunk.text, entities=_entities(chunk), reply_parameters=reply,
                message_thread_id=self.thread_id, rate_limit_args=mark,
            )  # fmt: skip
        except BadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            message = await self.bot.send_message(
                self.chat_id, chunk.text, reply_parameters=reply, message_thread_id=self.thread_id,
                rate_limit_args=mark,
            )
        self._mark_visible()
        return message.message_id

    async def _edit(
        self, shown: _Shown, chunk: RenderedChunk, *, final: bool, intermediate: bool
    ) -> bool:
        """Edit in place; False when the message no longer exists. An edit during the stream
        is dropped if the answer is complete by its turn (the final pass edits anyway)."""
        retries = None if final else 0
        mark: Any = retries
        if intermediate:
            mark = budget(Priority.RESULT if final else Priority.REFRESH, retries,
                          obsolete=self._done.is_set)  # fmt: skip
        try:
            await self.bot.edit_message_text(
                chunk.text, self.chat_id, shown.message_id, entities=_entities(chunk),
                rate_limit_args=mark,
            )  # fmt: skip
        except RetryAfter:
            if final:
                raise
            return True
        except BadRequest as exc:
            message = str(exc).lower()
            if "not modified" in message:
                shown.chunk = chunk
                return True
            if "not found" in message:
                return False
            if "parse entities" not in message:
                raise
            try:
                await self.bot.edit_message_text(
                    chunk.text, self.chat_id, shown.message_id, rate_limit_args=retries
                )
            except BadRequest as again:
                if "not modified" not in str(again).lower():
                    raise
        shown.chunk = chunk
        self._mark_visible()
        return True

    def _first_text(self, retries: int | None, *, intermediate: bool) -> dict[str, Any]:
        """The budget of the call that makes this answer visible first: in line as of the
        answer's start; an intermediate one is dropped once the answer is complete."""
        return budget(Priority.FIRST, retries, since=self._started,
                      obsolete=self._done.is_set if intermediate else None)  # fmt: skip

    def _mark_visible(self) -> None:
        self.stats.updates += 1
        if self.stats.first_visible_at is None:
            self.stats.first_visible_at = time.monotonic()
        self._visible.set()
