"""A cheap, authenticated probe of each provider's key (the admins' /providers, `python -m bot
check` and the console's 服务商 page): an unknown task id, or the model list; nothing paid."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.providers import errors
from bot.core.providers.grsai import GrsAI


@dataclass(frozen=True)
class ProviderStatus:
    name: str
    state: str  # ok | no_credits | bad_key | forbidden | unreachable | error
    balance: str | None = None  # None: the provider exposes no balance endpoint
    detail: str = ""


StatusCheck = Callable[[], Awaitable[ProviderStatus]]

PROBE_TIMEOUT = 30.0  # a probe that hangs is "unreachable", not a hung page or upkeep task

# A task id that cannot exist: GrsAI answers code -22 ("no such task") to a valid key.
PROBE_TASK_ID = "status-check-0"


def state_of(exc: errors.ProviderError) -> str:
    if isinstance(exc, errors.AuthError):
        return "bad_key"
    if isinstance(exc, errors.CreditsExhausted):
        return "no_credits"
    if isinstance(exc, errors.KeyForbidden):
        return "forbidden"
    if isinstance(exc, errors.Unreachable | errors.Timeout | errors.ServerError):
        return "unreachable"
    return "error"


def grsai_check(grsai: GrsAI) -> StatusCheck:
    async def check() -> ProviderStatus:
        try:
            await grsai.tasks.poll(PROBE_TASK_ID)
        except errors.TaskNotFound:
            return ProviderStatus("GrsAI", "ok")
        except errors.ProviderError as exc:
            return ProviderStatus("GrsAI", state_of(exc), detail=type(exc).__name__)
        return ProviderStatus("GrsAI", "ok")

    return check


def status_checks(services: Any) -> list[StatusCheck]:
    """The probes /providers runs for these services (other providers add theirs here)."""
    grsai = getattr(services, "grsai", None)
    return [grsai_check(grsai)] if grsai is not None else []


async def probe(name: str, client: object) -> ProviderStatus:
    """The probe for one built provider client (bot/core/providers/registry.py `clients`)."""
    if name == "grsai":
        return await grsai_check(client)()  # type: ignore[arg-type]
    path = getattr(client, "models_path", None)
    if not path:
        return ProviderStatus(name, "ok")
    try:
        await client.api.get(path)  # type: ignore[attr-defined]  # authenticated, free
    except errors.ProviderError as exc:
        return ProviderStatus(name, state_of(exc), detail=type(exc).__name__)
    return ProviderStatus(name, "ok")


async def probe_all(clients: Mapping[str, object]) -> list[ProviderStatus]:
    """Every configured client probed at once (the console's 检查 and upkeep's watch), each
    within PROBE_TIMEOUT; a probe that breaks is that provider's "error", never the caller's."""

    async def bounded(name: str, client: object) -> ProviderStatus:
        try:
            return await asyncio.wait_for(probe(name, client), PROBE_TIMEOUT)
        except TimeoutError:
            return ProviderStatus(name, "unreachable", detail="Timeout")
        except Exception as exc:
            return ProviderStatus(name, "error", detail=type(exc).__name__)

    return list(await asyncio.gather(*(bounded(n, c) for n, c in clients.items())))
