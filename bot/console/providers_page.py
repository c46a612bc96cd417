"""服务商: the order per capability, the key check `python -m bot check` does (run only when the
operator asks: it calls upstream), the newest failures, and per provider and model the success
rate and time to result of images and videos over the last day and 30 days.

Time to first token of chat is not recorded anywhere (the usage table has no such column):
the page says so instead of showing a made-up figure.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web

from bot.console import queries
from bot.console.render import CONSOLE, SESSION, Console, render
from bot.core import texts
from bot.core.provider_status import ProviderStatus, probe
from bot.core.providers.registry import CAPABILITY_SETTINGS, PROVIDERS
from bot.core.redact import scrub
from bot.core.store.db import Database

DAY, MONTH = 86400.0, 30 * 86400.0
CHECK_TIMEOUT = 30.0  # like `check`: a probe that hangs is "unreachable", not a hung page
ERRORS_SHOWN = 20


@dataclass
class CheckRun:
    at: float
    by: int
    statuses: list[ProviderStatus]


@dataclass
class LastCheck:
    run: CheckRun | None = None  # kept in memory: a restart forgets it, nothing to migrate


@dataclass
class FiguresCache:
    """The 30-day figures read every job of the month (about 0.2 s with 100,000 jobs): one
    reading serves the page for FIGURES_TTL seconds."""

    at: float = 0.0
    figures: list[queries.ProviderFigures] = field(default_factory=list)


FIGURES_TTL = 60.0
LAST_CHECK = web.AppKey("console.provider_check", LastCheck)
FIGURES = web.AppKey("console.provider_figures", FiguresCache)


def add_routes(app: web.Application) -> None:
    app[LAST_CHECK] = LastCheck()
    app[FIGURES] = FiguresCache()
    app.router.add_get("/providers", providers_page)
    app.router.add_post("/providers/check", run_check)


def provider_name(name: str) -> str:
    return texts.PROVIDER_NAMES.get(name, name)


def order_rows(console: Console) -> list[dict[str, object]]:
    """Per capability: its setting, and the listed providers in order, marking those without
    a key (they are skipped, as bot/core/providers/registry.py builds the routes)."""
    settings, clients = console.services.settings, console.services.providers.clients
    rows = []
    for capability, setting in CAPABILITY_SETTINGS.items():
        names: list[str] = getattr(settings, setting.lower())
        rows.append({
            "capability": capability, "setting": setting,
            "providers": [(provider_name(n), n in clients and n in PROVIDERS) for n in names],
        })  # fmt: skip
    return rows


async def providers_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    db, access = console.services.db, console.access
    now = time.time()
    today = access.today(now)
    month_first = queries.last_days(today, 30)[0]
    periods = [
        (texts.CONSOLE_UI["last_day"], await queries.provider_figures(db, now - DAY),
         await queries.chat_counts(db, today, today)),
        (texts.CONSOLE_UI["last_month"], await month_figures(request.app[FIGURES], db, now),
         await queries.chat_counts(db, month_first, today)),
    ]  # fmt: skip
    errors = await queries.provider_errors(db, ERRORS_SHOWN)
    for error in errors:
        error.detail = scrub(error.detail)[:300]
    run = request.app[LAST_CHECK].run
    changes = await console.auth.audit_where("providers:", limit=10)
    return render(
        request, "providers.html", nav="providers", order=order_rows(console), periods=periods,
        errors=errors, check=run, provider_name=provider_name,
        provider_states=texts.PROVIDER_STATE_NAMES, changes=changes,
    )  # fmt: skip


async def month_figures(cache: FiguresCache, db: Database, now: float
                        ) -> list[queries.ProviderFigures]:  # fmt: skip
    if now - cache.at > FIGURES_TTL or now < cache.at:
        cache.figures = await queries.provider_figures(db, now - MONTH)
        cache.at = now
    return cache.figures


async def _probe(name: str, client: object) -> ProviderStatus:
    try:
        return await asyncio.wait_for(probe(name, client), CHECK_TIMEOUT)
    except TimeoutError:
        return ProviderStatus(name, "unreachable", detail="Timeout")


async def run_check(request: web.Request) -> web.StreamResponse:
    """The operator pressed 检查: probe every configured key once (free calls), keep the
    answers for the page, and record who asked."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    clients = console.services.providers.clients
    statuses = list(await asyncio.gather(*(_probe(n, c) for n, c in clients.items())))
    request.app[LAST_CHECK].run = CheckRun(time.time(), session.identity, statuses)
    bad = sum(1 for s in statuses if s.state != "ok")
    await console.auth.audit(session.identity, "provider_check", "providers:keys",
                             texts.CONSOLE_CHECK_SUMMARY.format(
                                 total=len(statuses), bad=bad))  # fmt: skip
    raise web.HTTPSeeOther("/providers?done=checked")
