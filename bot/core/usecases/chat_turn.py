"""A chat turn's bookkeeping, the same on every platform: checks, quota, place in line, usage.

Rules:
- checked before any picture is fetched or stream opened, in this order: the question's
  length, the day's chat quota (from here the turn holds one: in-flight turns count), then
  its place in the conversation's line (bot/core/usecases/chat_queue.py);
- a refusal spends nothing and gives back what it held;
- usage is recorded only for an answer that was delivered, against the provider and model
  that actually answered (the chat router may have fallen back);
- `end()` gives back the quota hold and the place on every path (answered, failed,
  cancelled before its turn); twice is harmless;
- how the answer is shown (drafts, edits, whole messages) is the platform's; this module
  knows no platform.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from bot.core import texts
from bot.core.access import QuotaExceeded, Reservation
from bot.core.access_texts import quota_text
from bot.core.chat.service import conversation_key
from bot.core.usecases.chat_queue import Place
from bot.core.usecases.refused import Refused

if TYPE_CHECKING:
    from bot.core.chat.service import ChatTurn
    from bot.core.services import Services


class QueuedTurn:
    """One question's way through: `async with turn:` waits for its place in line."""

    def __init__(self, services: Services, user_id: int, chat_id: int, place: Place,
                 held: Reservation | None) -> None:  # fmt: skip
        self.services = services
        self.user_id = user_id
        self.chat_id = chat_id
        self.place = place
        self._held = held

    @property
    def key(self) -> str:
        """The conversation (bot.core.chat.service.conversation_key)."""
        return self.place.key

    @property
    def note(self) -> str | None:
        """The queued note to show now, when turns are ahead of this one."""
        return self.place.note

    async def __aenter__(self) -> QueuedTurn:
        await self.place.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:  # fmt: skip
        self.place.leave()

    async def answered(self, turn: ChatTurn, answer: str) -> None:
        """The answer reached the user: remembered, and counted against whoever answered."""
        chat = self.services.chat
        await chat.remember(turn, answer)
        provider, model = chat.served.get(self.user_id, ("grsai", turn.model))
        await self.services.access.record_chat(self.user_id, self.chat_id, provider, model)

    def end(self) -> None:
        self.place.leave()
        self.services.access.release(self._held)
        self._held = None


async def begin_chat_turn(
    services: Services, user_id: int, chat_id: int, private: bool, question: str
) -> QueuedTurn | Refused:
    """The checks of the Rules, then a turn holding its quota and its place; or why not."""
    limit = services.settings.chat_max_prompt_chars
    if len(question) > limit:
        return Refused(texts.PROMPT_TOO_LONG.format(length=len(question), limit=limit))
    held = await services.access.reserve_chat(user_id)
    if isinstance(held, QuotaExceeded):
        return Refused(quota_text(held, services.settings.quota_timezone))
    place = services.chat_queue.join(conversation_key(chat_id, user_id, private))
    if isinstance(place, Refused):
        services.access.release(held)
        return place
    return QueuedTurn(services, user_id, chat_id, place, held)
