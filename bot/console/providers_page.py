"""服务商: the order per capability, the key check `python -m bot check` does (run only when the
operator asks: it calls upstream), the newest failures, and per provider and model over the
last day and 30 days: success rate and time to result of images and videos (the jobs table),
answers, success rate and time to first token (p50, p95) of chat (bot/core/store/chat_turns.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from aiohttp import web

from bot.console import queries
from bot.console.render import CONSOLE, SESSION, Console, render
from bot.core import texts
from bot.core.provider_status import ProviderStatus, probe_all
from bot.core.providers.registry import CAPABILITY_SETTINGS, PROVIDERS
from bot.core.redact import scrub
from bot.core.store.chat_turns import ChatFigures, ChatTurns
from bot.core.store.db import Database

log = logging.getLogger(__name__)

DAY, MONTH = 86400.0, 30 * 86400.0
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
    """The 30-day figures read every job and chat turn of the month (0.1–0.3 s with 100,000
    jobs and 200,000 turns): the first reading is made for the page that asks; after that a
    reading older than FIGURES_TTL seconds is renewed in the background while the page shows
    the one it has (no page waits for it)."""

    at: float = 0.0  # when the figures were read; 0: never
    figures: list[queries.ProviderFigures] = field(default_factory=list)
    chats: list[ChatFigures] = field(default_factory=list)
    renewing: asyncio.Task[None] | None = None


FIGURES_TTL = 60.0
LAST_CHECK = web.AppKey("console.provider_check", LastCheck)
FIGURES = web.AppKey("console.provider_figures", FiguresCache)


def add_routes(app: web.Application) -> None:
    app[LAST_CHECK] = LastCheck()
    app[FIGURES] = FiguresCache()
    app.router.add_get("/providers", providers_page)
    app.router.add_post("/providers/check", run_check)

    async def stop_renewing(app: web.Application) -> None:
        renewing = app[FIGURES].renewing
        if renewing is not None:  # before the database closes under it
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renewing

    app.on_shutdown.append(stop_renewing)


def provider_name(name: str) -> str:
    return texts.PROVIDER_NAMES.get(name, name)


def order_rows(console: Console) -> list[dict[str, object]]:
    """Per capability: its setting and the providers in the order in force: the listed ones,
    marking those without a key (skipped, as bot/core/providers/registry.py builds the routes),
    or the order an operator chose in 设置 (bot/core/usecases/provider_order.py)."""
    settings, providers = console.services.settings, console.services.providers
    orders = console.services.orders
    rows = []
    for capability, setting in CAPABILITY_SETTINGS.items():
        changed = orders is not None and orders.changed(capability)
        names: list[str] = (providers.route_of(capability) if changed
                            else getattr(settings, setting.lower()))  # fmt: skip
        rows.append({
            "capability": capability, "setting": setting, "changed": changed,
            "providers": [(provider_name(n), n in providers.clients and n in PROVIDERS)
                          for n in names],
        })  # fmt: skip
    return rows


async def providers_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    db = console.services.db
    now = time.time()
    month = await month_figures(request.app[FIGURES], db, now)
    periods = [
        (texts.CONSOLE_UI["last_day"], await queries.provider_figures(db, now - DAY),
         await ChatTurns(db).figures(now - DAY)),
        (texts.CONSOLE_UI["last_month"], month.figures, month.chats),
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


async def month_figures(cache: FiguresCache, db: Database, now: float) -> FiguresCache:
    """The month's figures: read now if never read, else as last read (renewed in the
    background once they are older than FIGURES_TTL)."""
    if cache.at == 0.0:
        await _read_month(cache, db, now)
    elif (now - cache.at > FIGURES_TTL or now < cache.at) and cache.renewing is None:
        cache.renewing = asyncio.create_task(_renew(cache, db, now), name="console-figures")
    return cache


async def _read_month(cache: FiguresCache, db: Database, now: float) -> None:
    figures = await queries.provider_figures(db, now - MONTH)
    cache.chats = await ChatTurns(db).figures(now - MONTH)
    cache.figures, cache.at = figures, now


async def _renew(cache: FiguresCache, db: Database, now: float) -> None:
    try:
        await _read_month(cache, db, now)
    except Exception:  # the page keeps the figures it has; the next visit tries again
        log.warning(texts.LOG_CONSOLE_FIGURES_FAILED, exc_info=True)
    finally:
        cache.renewing = None


async def run_check(request: web.Request) -> web.StreamResponse:
    """The operator pressed 检查: probe every configured key once (free calls), keep the
    answers for the page, and record who asked."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    clients = console.services.providers.clients
    statuses = await probe_all(clients)
    request.app[LAST_CHECK].run = CheckRun(time.time(), session.identity, statuses)
    bad = sum(1 for s in statuses if s.state != "ok")
    await console.auth.audit(session.identity, "provider_check", "providers:keys",
                             texts.CONSOLE_CHECK_SUMMARY.format(
                                 total=len(statuses), bad=bad))  # fmt: skip
    raise web.HTTPSeeOther("/providers?done=checked")
