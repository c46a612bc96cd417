"""The order the providers are tried in per capability while the bot runs: CHAT_PROVIDERS,
IMAGE_PROVIDERS and VIDEO_PROVIDERS from the settings, or the order an operator chose (the
console's 设置).

Rules:
- an order holds only configured providers (their key set) that offer the capability, each
  once, and at least one: a provider left out is switched off for that capability;
- a chosen order is stored in SQLite (runtime_settings, under the setting's lowercase name)
  and wins over the .env list until reset; it takes effect at once: the routes new jobs and
  chat turns read (bot/core/providers/registry.py ProviderSet) are changed in place, jobs already
  on a provider stay there;
- at start a stored order is read back without the providers no longer configured; if none
  is left, the .env list holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.config import Settings
from bot.core.providers.registry import CAPABILITY_SETTINGS, PROVIDERS, ProviderSet
from bot.core.store.usage import RuntimeSettings

CAPABILITIES = tuple(CAPABILITY_SETTINGS)  # chat, image, video


class OrderProblem(ValueError):
    """Why an order cannot be used: `reason` is a key of texts.ORDER_PROBLEMS."""

    def __init__(self, reason: str, provider: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.provider = provider


class ProviderOrders:
    def __init__(self, settings: Settings, providers: ProviderSet,
                 runtime: RuntimeSettings) -> None:  # fmt: skip
        self.settings = settings
        self.providers = providers
        self.runtime = runtime
        self._stored: dict[str, list[str]] = {}

    @staticmethod
    def setting(capability: str) -> str:
        """The .env name (CHAT_PROVIDERS, …); its lowercase form names the stored value."""
        return CAPABILITY_SETTINGS[capability]

    async def load(self) -> None:
        stored = await self.runtime.all()
        for capability in CAPABILITIES:
            raw = stored.get(self.setting(capability).lower())
            names = [n for n in (raw or "").split(",") if n in self.able(capability)]
            if names:
                self._stored[capability] = list(dict.fromkeys(names))
                self.providers.set_route(capability, self._stored[capability])

    def able(self, capability: str) -> list[str]:
        """The configured providers that offer `capability`: the .env order first."""
        listed: list[str] = getattr(self.settings, self.setting(capability).lower())
        names = [*listed, *PROVIDERS]
        return [n for n in dict.fromkeys(names)
                if n in self.providers.clients and n in PROVIDERS
                and capability in PROVIDERS[n].capabilities]  # fmt: skip

    def env(self, capability: str) -> list[str]:
        """The .env list as the bot uses it (providers without a key skipped)."""
        listed: list[str] = getattr(self.settings, self.setting(capability).lower())
        able = self.able(capability)
        return [n for n in listed if n in able]

    def current(self, capability: str) -> list[str]:
        return self.providers.route_of(capability)

    def changed(self, capability: str) -> bool:
        """Whether an operator's order is in force (else the .env list)."""
        return capability in self._stored

    def check(self, capability: str, names: Sequence[str]) -> None:
        """Raise OrderProblem unless `names` can be `capability`'s order."""
        if not names:
            raise OrderProblem("empty")
        able = self.able(capability)
        for name in names:
            if name not in able:
                raise OrderProblem("not_configured", name)
        if len(set(names)) != len(names):
            raise OrderProblem("twice")

    async def set(self, capability: str, names: Sequence[str] | None, changed_by: int) -> None:
        """Try `names` in this order from now on; None: back to the .env list."""
        setting = self.setting(capability).lower()
        if names is None:
            await self.runtime.set(setting, None, changed_by)
            self._stored.pop(capability, None)
            self.providers.set_route(capability, self.env(capability))
            return
        self.check(capability, names)
        await self.runtime.set(setting, ",".join(names), changed_by)
        self._stored[capability] = list(names)
        self.providers.set_route(capability, names)
