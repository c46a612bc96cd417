"""Builds the configured providers from Settings and says who serves which capability.

Adding a provider: one module with a class exposing `name`, `capabilities`, `chat`
(ChatProvider), `tasks` (GenerationProvider with `supports(request)` and the options it takes,
`option_problem(request)`) and `models_path` (or a fixed model list), plus one entry in
PROVIDERS below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.core.config import CHAT_MODELS, Settings
from bot.core.providers.base import ChatProvider, GenerationProvider, GenerationRequest
from bot.core.providers.catalog import ModelCatalog
from bot.core.providers.chat_router import FallbackChat
from bot.core.providers.grsai import GrsAI
from bot.core.providers.juhe import Juhe
from bot.core.providers.reshi import Reshi
from bot.core.providers.staging import Staging
from bot.core.providers.unified import Unified

CAPABILITY_SETTINGS = {"chat": "CHAT_PROVIDERS", "image": "IMAGE_PROVIDERS",
                       "video": "VIDEO_PROVIDERS"}  # fmt: skip


@dataclass(frozen=True)
class ProviderInfo:
    capabilities: frozenset[str]
    key_setting: str  # the env name of its key
    base_setting: str | None  # env name of a base URL that has no default, if any
    default_chat_model: str  # tried when a fallback provider lacks the user's model


PROVIDERS: dict[str, ProviderInfo] = {
    "grsai": ProviderInfo(frozenset({"chat", "image", "video", "character"}), "GRSAI_API_KEY",
                          None, "gemini-2.5-flash"),
    "reshi": ProviderInfo(Reshi.capabilities, "RESHI_API_KEY", None, "gemini-pro"),
    "unified": ProviderInfo(Unified.capabilities, "UNIFIED_API_KEY", "UNIFIED_BASE_URL",
                            "gemini-2.5-flash"),
    "juhe": ProviderInfo(Juhe.capabilities, "JUHE_API_KEY", "JUHE_BASE_URL", "gemini-2.5-flash"),
}  # fmt: skip


def _secret(settings: Settings, env_name: str) -> str:
    value = getattr(settings, env_name.lower(), None)
    if value is None:
        return ""
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return raw.strip()


def routing_problem(settings: Settings) -> tuple[str, str] | None:
    """The first configuration mistake in the routing lists as (kind, detail), or None:
    ("unknown", "<list>=<name>"), ("missing", "<SETTING>") or ("cannot", "<list>=<name>")."""
    for capability, list_name in CAPABILITY_SETTINGS.items():
        names: list[str] = getattr(settings, list_name.lower())
        if not names:
            return "unknown", f"{list_name}="
        for name in names:
            info = PROVIDERS.get(name)
            if info is None:
                return "unknown", f"{list_name}={name}"
            if capability not in info.capabilities:
                return "cannot", f"{list_name}={name}"
            if not _secret(settings, info.key_setting):
                return "missing", info.key_setting
            if info.base_setting and not _secret(settings, info.base_setting):
                return "missing", info.base_setting
    return None


@dataclass
class ProviderSet:
    """What the services need: one chat provider (with fallback), the task providers by name
    and the ordered routes per job kind."""

    chat: FallbackChat
    tasks: dict[str, GenerationProvider]
    routes: dict[str, list[str]]
    catalog: ModelCatalog
    clients: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        """Let providers with background work (聚合API streams) stop it."""
        for tasks in self.tasks.values():
            close = getattr(tasks, "close", None)
            if close is not None:
                await close()

    def route_of(self, capability: str) -> list[str]:
        """The providers `capability` tries, in order (chat, image or video)."""
        return list(self.chat.order) if capability == "chat" else list(self.routes[capability])

    def set_route(self, capability: str, names: Sequence[str]) -> None:
        """Try `names` in this order from the next request on (checked first by
        bot/core/usecases/provider_order.py). Characters follow the video order, as at start."""
        if capability == "chat":
            self.chat.order = list(names)
            return
        self.routes[capability] = list(names)
        if capability == "video":
            self.routes["character"] = _characters_route(names, self.clients)

    def candidates(self, request: GenerationRequest) -> list[str]:
        """Providers able to run `request`, in the configured order."""
        return [
            name
            for name in self.routes.get(request.kind, [])
            if _supports(self.tasks[name], request)
        ]

    def option_problem(self, request: GenerationRequest) -> str | None:
        """Why a provider that may run `request` (first, or as a fallback) does not take its
        options, or None: each provider declares what it takes (option_problem)."""
        for name in self.candidates(request):
            if problem := self.tasks[name].option_problem(request):
                return problem
        return None

    def next_after(self, request: GenerationRequest, current: str) -> str | None:
        """The provider a job moves to after `current` failed on the provider's side."""
        if request.params.get("source_provider"):
            return None  # ids from that provider's earlier results mean nothing elsewhere
        names = self.candidates(request)
        if current not in names:
            return None
        later = names[names.index(current) + 1 :]
        return later[0] if later else None


def _supports(tasks: GenerationProvider, request: GenerationRequest) -> bool:
    check: Callable[[GenerationRequest], bool] | None = getattr(tasks, "supports", None)
    return True if check is None else check(request)


def build_providers(settings: Settings, http: httpx.AsyncClient) -> ProviderSet:
    """Every provider whose key is set; routes from the CHAT/IMAGE/VIDEO_PROVIDERS lists."""
    staging = Staging(settings.bot_data_dir / "staged")
    catalog = ModelCatalog(settings.provider_models_ttl)
    clients: dict[str, Any] = {}
    if key := _secret(settings, "GRSAI_API_KEY"):
        clients["grsai"] = GrsAI(http, key, [settings.grsai_base_url,
                                             settings.grsai_fallback_base_url])  # fmt: skip
        catalog.add_fixed("grsai", CHAT_MODELS)
    if key := _secret(settings, "RESHI_API_KEY"):
        clients["reshi"] = Reshi(http, key, settings.reshi_base_url, staging,
                                 settings.provider_sync_timeout)  # fmt: skip
    if (key := _secret(settings, "UNIFIED_API_KEY")) and settings.unified_base_url:
        clients["unified"] = Unified(http, key, settings.unified_base_url, staging,
                                     settings.unified_video_format,
                                     image_model=settings.unified_image_model,
                                     stream_timeout=settings.provider_sync_timeout)  # fmt: skip
    if (key := _secret(settings, "JUHE_API_KEY")) and settings.juhe_base_url:
        clients["juhe"] = Juhe(http, key, settings.juhe_base_url, staging,
                               settings.provider_sync_timeout,
                               image_model=settings.juhe_image_model)  # fmt: skip
    for name, client in clients.items():
        if getattr(client, "models_path", None):
            catalog.add_listed(name, client.api, client.models_path)

    chat_order = [n for n in settings.chat_providers if n in clients]
    # Every configured chat provider, listed or not: an operator may put one in the order
    # while the bot runs (bot/core/usecases/provider_order.py).
    chats: dict[str, ChatProvider] = {name: client.chat for name, client in clients.items()
                                      if "chat" in PROVIDERS[name].capabilities}  # fmt: skip
    defaults = {name: info.default_chat_model for name, info in PROVIDERS.items()}
    tasks: dict[str, GenerationProvider] = {name: c.tasks for name, c in clients.items()}
    video = [n for n in settings.video_providers if n in clients]
    routes = {
        "image": [n for n in settings.image_providers if n in clients],
        "video": video,
        # Characters follow the video list; grsai can always make them when it is configured.
        "character": _characters_route(video, clients),
    }
    return ProviderSet(FallbackChat(chats, chat_order, catalog, defaults), tasks, routes,
                       catalog, clients)  # fmt: skip


def _characters_route(video: Sequence[str], clients: Mapping[str, Any]) -> list[str]:
    route = [n for n in video if "character" in PROVIDERS[n].capabilities]
    for name in clients:
        if "character" in PROVIDERS[name].capabilities and name not in route:
            route.append(name)
    return route
