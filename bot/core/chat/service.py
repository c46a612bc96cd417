"""Chat turns: which model, what history goes upstream, what is remembered afterwards."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.core.config import CHAT_MODELS
from bot.core.providers.base import ChatMessage, ChatProvider
from bot.core.store.conversations import Conversations
from bot.core.store.users import UserPrefs


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
    ) -> None:
        self.provider = provider
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
        noting = getattr(self.provider, "stream_noting", None)
        if noting is None:
            return self.provider.stream_chat(turn.model, turn.messages)

        def served(provider: str, model: str) -> None:
            self.served[turn.user_id] = (provider, model)

        return noting(turn.model, turn.messages, served)

    async def remember(self, turn: ChatTurn, answer: str) -> None:
        """Store the turn. Pictures are remembered as a note, not as bytes (keeps memory small)."""
        question = turn.question
        if turn.images:
            question = f"[用户发送了 {len(turn.images)} 张图片] {question}".strip()
        await self.conversations.append_turn(turn.conv_key, question, len(question), answer)

    async def forget(self, conv_key: str) -> int:
        return await self.conversations.clear(conv_key)
