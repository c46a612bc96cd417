"""Chat turns: which model, what history goes upstream, what is remembered afterwards, and
how each answer went (who answered, time to first text, success: bot/core/store/chat_turns.py).

Rules: the figures of a turn are written once, when its stream ends (answered, failed, or
abandoned by the platform: a deadline); writing them never changes what the user sees."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.core import texts
from bot.core.config import CHAT_MODELS
from bot.core.providers.base import ChatMessage, ChatProvider
from bot.core.store.chat_turns import ChatTurns
from bot.core.store.conversations import Conversations
from bot.core.store.users import UserPrefs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageInput:
    """A picture that came with a question (already downloaded)."""

    data: bytes
    mime: str = "image/jpeg"

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"


@dataclass
class ChatTurn:
    conv_key: str
    model: str
    question: str
    images: list[ImageInput] = field(default_factory=list)
    messages: list[ChatMessage] = field(default_factory=list)
    user_id: int = 0


def conversation_key(chat_id: int, user_id: int, is_private: bool) -> str:
    """Private chats share one memory; in groups each user has their own thread."""
    return f"p:{chat_id}" if is_private else f"g:{chat_id}:{user_id}"


class ChatService:
    def __init__(
        self,
        provider: ChatProvider,
        conversations: Conversations,
        prefs: UserPrefs,
        default_model: str,
        system_prompt: str,
        turns: ChatTurns | None = None,
    ) -> None:
        self.provider = provider
        self.turns = turns
        self.conversations = conversations
        self.prefs = prefs
        self.default_model = default_model
        self.system_prompt = system_prompt
        # user → (provider, model) of their last answer; shown only when they ask (/model).
        self.served: dict[int, tuple[str, str]] = {}

    async def model_for(self, user_id: int) -> str:
        model = await self.prefs.chat_model(user_id)
        return model if model and await self.knows(model) else self.default_model

    async def set_model(self, user_id: int, model: str) -> bool:
        if not await self.knows(model):
            return False
        await self.prefs.set_chat_model(user_id, model)
        return True

    async def knows(self, model: str) -> bool:
        """Whether a configured provider offers `model` (`provider:model` or a plain id)."""
        knows = getattr(self.provider, "knows", None)
        return model in CHAT_MODELS if knows is None else bool(await knows(model))

    async def start_turn(
        self, conv_key: str, user_id: int, question: str, images: list[ImageInput]
    ) -> ChatTurn:
        history = await self.conversations.history(conv_key)
        content: Any = question
        if images:
            content = [{"type": "text", "text": question}] + [
                {"type": "image_url", "image_url": {"url": img.data_url()}} for img in images
            ]
        messages: list[ChatMessage] = [{"role": "system", "content": self.system_prompt}]
        messages += history
        messages.append({"role": "user", "content": content})
        return ChatTurn(conv_key, await self.model_for(user_id), question, images, messages,
                        user_id=user_id)  # fmt: skip

    def stream(self, turn: ChatTurn) -> AsyncIterator[str]:
        return self._measured(turn)

    async def _measured(self, turn: ChatTurn) -> AsyncIterator[str]:
        """The answer's pieces, timed: one chat_turns row when the stream ends."""
        asked = time.monotonic()
        who = [getattr(self.provider, "name", "?"), turn.model]  # the provider asked last
        first_ms: int | None = None
        ok = False

        def trying(provider: str, model: str) -> None:
            who[:] = [provider, model]

        def served(provider: str, model: str) -> None:
            self.served[turn.user_id] = (provider, model)
            who[:] = [provider, model]

        noting = getattr(self.provider, "stream_noting", None)
        pieces = (self.provider.stream_chat(turn.model, turn.messages) if noting is None
                  else noting(turn.model, turn.messages, served, trying))  # fmt: skip
        try:
            async for piece in pieces:
                if first_ms is None and piece:
                    first_ms = round((time.monotonic() - asked) * 1000)
                yield piece
            ok = first_ms is not None
        finally:
            await self._note(who[0], who[1], first_ms, ok)

    async def _note(self, provider: str, model: str, first_ms: int | None, ok: bool) -> None:
        if self.turns is None:
            return
        try:
            await self.turns.record(time.time(), provider, model, first_ms, ok)
        except Exception:  # figures are for the page: a failed write never fails an answer
            log.warning(texts.LOG_CHAT_TURN_NOT_RECORDED, exc_info=True)

    async def remember(self, turn: ChatTurn, answer: str) -> None:
        """Store the turn. Pictures are remembered as a note, not as bytes (keeps memory small)."""
        question = turn.question
        if turn.images:
            question = f"[用户发送了 {len(turn.images)} 张图片] {question}".strip()
        await self.conversations.append_turn(turn.conv_key, question, len(question), answer)

    async def forget(self, conv_key: str) -> int:
        return await self.conversations.clear(conv_key)
