"""What the rest of the bot needs from a provider, per capability. No Telegram types here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

# An OpenAI chat message: {"role": ..., "content": str | list[content part]}
ChatMessage = dict[str, Any]


class ChatProvider(Protocol):
    name: str

    def stream_chat(self, model: str, messages: list[ChatMessage]) -> AsyncIterator[str]:
        """Yield the answer's text pieces as they arrive; raise ProviderError on failure."""
        ...
