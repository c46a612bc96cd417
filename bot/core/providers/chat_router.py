"""Chat over several providers: the user's model picks the first, failures move on.

A model reference is either a plain model id (`gemini-2.5-flash`: the first chat provider that
offers it) or `provider:model` (`reshi:gemini-pro`: that provider first). When the serving
provider fails in a way that is not the user's fault — unreachable, 5xx, 429, out of
credits — *before any text arrived*, the next chat provider is tried with the same model if it
offers it, else with its own default model. After text arrived a failure is passed on (the
user has seen part of an answer; switching would mix two answers).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.base import ChatMessage, ChatProvider
from bot.core.providers.catalog import ModelCatalog

log = logging.getLogger(__name__)

# Provider-side failures a next provider may not have. Timeouts are not among them for jobs;
# for chat nothing is paid per attempt that could be lost, but a slow host is likely slow
# for everyone behind it, so the documented set is kept.
FALLBACK_ERRORS = (errors.Unreachable, errors.ServerError, errors.RateLimited,
                   errors.CreditsExhausted)  # fmt: skip


@dataclass(frozen=True)
class ModelRef:
    provider: str | None
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}" if self.provider else self.model


def parse_model_ref(value: str, providers: Sequence[str]) -> ModelRef:
    """`reshi:gemini-pro` → (reshi, gemini-pro); anything else is a plain model id (model ids
    may themselves contain ':' — only a known provider name counts as a prefix)."""
    head, sep, tail = value.partition(":")
    if sep and head in providers and tail:
        return ModelRef(head, tail)
    return ModelRef(None, value)


class FallbackChat:
    """A ChatProvider over the ordered chat providers."""

    name = "auto"

    def __init__(
        self,
        providers: Mapping[str, ChatProvider],
        order: Sequence[str],
        catalog: ModelCatalog,
        default_models: Mapping[str, str],
    ) -> None:
        self._providers = providers
        self.order = [name for name in order if name in providers]
        self.catalog = catalog
        self._defaults = default_models

    def parse(self, value: str) -> ModelRef:
        return parse_model_ref(value, self.order)

    async def knows(self, value: str) -> bool:
        """Whether `value` names a model some configured chat provider offers (or may offer:
        a provider whose list cannot be fetched right now is given the benefit of the doubt)."""
        ref = self.parse(value)
        if ref.provider is not None:
            models = await self.catalog.models(ref.provider)
            return models is None or ref.model in models
        for name in self.order:
            models = await self.catalog.models(name)
            if models is not None and ref.model in models:
                return True
        return False

    async def plan(self, value: str) -> list[tuple[str, str]]:
        """(provider, model) pairs in the order they will be tried."""
        ref = self.parse(value)
        first = ref.provider
        if first is None:
            for name in self.order:
                models = await self.catalog.models(name)
                if models is not None and ref.model in models:
                    first = name
                    break
        names = ([first] if first else []) + [n for n in self.order if n != first]
        plan: list[tuple[str, str]] = []
        for index, name in enumerate(names):
            models = await self.catalog.models(name)
            if models is None or ref.model in models:
                plan.append((name, ref.model))
            elif (default := self._defaults.get(name)) and default in models:
                plan.append((name, default))
            elif index == 0:
                plan.append((name, ref.model))  # let the provider say what is wrong
        return plan

    def stream_chat(self, model: str, messages: list[ChatMessage]) -> AsyncIterator[str]:
        return self.stream_noting(model, messages, None)

    async def stream_noting(
        self,
        model: str,
        messages: list[ChatMessage],
        served: Callable[[str, str], None] | None,
        trying: Callable[[str, str], None] | None = None,
    ) -> AsyncIterator[str]:
        """Like stream_chat; `served(provider, model)` is called once text starts arriving,
        `trying(provider, model)` before each provider is asked."""
        plan = await self.plan(model)
        for index, (name, provider_model) in enumerate(plan):
            started = False
            if trying is not None:
                trying(name, provider_model)
            try:
                async for piece in self._providers[name].stream_chat(provider_model, messages):
                    if not started:
                        started = True
                        if served is not None:
                            served(name, provider_model)
                    yield piece
                return
            except FALLBACK_ERRORS as exc:
                if started or index == len(plan) - 1:
                    raise
                log.info(texts.LOG_CHAT_VIA_FAILED_TRYING, name, type(exc).__name__,
                         plan[index + 1][0])  # fmt: skip
