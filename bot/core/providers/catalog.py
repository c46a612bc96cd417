"""Which chat models each provider offers: a fixed list, or its `/v1/models` answer (cached)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.http import JsonApi

log = logging.getLogger(__name__)

# Ids that name image/video/audio/embedding models: a chat menu has no use for them.
_NOT_CHAT = (
    "sora", "video", "image", "dall-e", "dalle", "tts", "whisper", "embedding", "banana", "veo",
    "midjourney", "mj_", "flux", "kling", "suno", "moderation", "rerank", "audio", "imagen",
    "seedream", "seedance", "runway", "luma", "jimeng", "hailuo", "stable-diffusion", "ideogram",
    "recraft", "speech", "transcribe", "realtime",
)  # fmt: skip
# Seconds a failed listing is remembered before asking again (keeps /model fast when down).
FAILURE_TTL = 60.0


def is_chat_model(model_id: str) -> bool:
    lower = model_id.lower()
    return not any(word in lower for word in _NOT_CHAT)


@dataclass
class _Entry:
    models: tuple[str, ...] | None  # None: could not be listed
    at: float


class ModelCatalog:
    """Per provider: a fixed tuple, or an api + path to list from (cached for `ttl` seconds)."""

    def __init__(self, ttl: float = 3600.0) -> None:
        self._ttl = ttl
        self._fixed: dict[str, tuple[str, ...]] = {}
        self._listers: dict[str, tuple[JsonApi, str]] = {}
        self._cache: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def add_fixed(self, provider: str, models: tuple[str, ...]) -> None:
        self._fixed[provider] = models

    def add_listed(self, provider: str, api: JsonApi, path: str) -> None:
        self._listers[provider] = (api, path)

    def cached(self, provider: str) -> tuple[str, ...] | None:
        """What is known without asking upstream (None: unknown)."""
        if provider in self._fixed:
            return self._fixed[provider]
        entry = self._cache.get(provider)
        return entry.models if entry else None

    async def models(self, provider: str) -> tuple[str, ...] | None:
        """The provider's chat models in its own order, or None if it cannot be listed now."""
        if provider in self._fixed:
            return self._fixed[provider]
        if provider not in self._listers:
            return None
        lock = self._locks.setdefault(provider, asyncio.Lock())
        async with lock:  # one listing request at a time per provider
            entry = self._cache.get(provider)
            now = time.monotonic()
            if entry and now - entry.at < (self._ttl if entry.models is not None else FAILURE_TTL):
                return entry.models
            models = await self._list(provider)
            self._cache[provider] = _Entry(models, now)
            return models

    async def _list(self, provider: str) -> tuple[str, ...] | None:
        api, path = self._listers[provider]
        try:
            body = await api.get(path)
        except errors.ProviderError as exc:
            log.info(texts.LOG_LISTING_MODELS_FAILED, provider, type(exc).__name__)
            return None
        data = body.get("data") if isinstance(body, dict) else body
        if not isinstance(data, list):
            return None
        ids = [str(m.get("id")) if isinstance(m, dict) else str(m) for m in data]
        return tuple(dict.fromkeys(i for i in ids if i and i != "None" and is_chat_model(i)))
