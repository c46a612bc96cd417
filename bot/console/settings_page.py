"""设置: the effective settings with their .env names, secrets never shown; the ones that are
runtime state are changed here, each stored in SQLite and winning over its .env value until
reset, at once for new requests, recorded in the audit: open to everyone or not (BOT_PUBLIC,
the same AccessControl the platforms ask), the provider order per capability
(CHAT/IMAGE/VIDEO_PROVIDERS: bot/core/usecases/provider_order.py) and the daily quotas
(QUOTA_*_PER_DAY; a user's own /quota still wins)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import SecretStr

from bot.console.render import CONSOLE, SESSION, Console, error_page, render
from bot.core import identity, texts
from bot.core.access import DAILY_QUOTA_SETTINGS, MAX_DAILY_QUOTA
from bot.core.config import Settings
from bot.core.console_auth import plain_http_warning
from bot.core.redact import scrub
from bot.core.usecases.provider_order import CAPABILITIES, OrderProblem, ProviderOrders

IDENTITY_LISTS = ("bot_admin_ids", "bot_allowed_ids")  # shown as typed: qq:123, not 2**56 + 123


def add_routes(app: web.Application) -> None:
    app.router.add_get("/settings", settings_page)
    app.router.add_post("/settings/public", set_public)
    app.router.add_post("/settings/providers", set_order)
    app.router.add_post("/settings/quota", set_daily_quota)


def shown_value(name: str, value: object) -> str:
    """A setting as the page shows it: secrets as set/not set, URL passwords masked."""
    if isinstance(value, SecretStr):
        return texts.CONSOLE_UI["secret_set"]
    if value is None:
        return texts.CONSOLE_UI["not_set"]
    if name in IDENTITY_LISTS:
        text = ",".join(identity.display(int(v)) for v in value)  # type: ignore[attr-defined]
    elif isinstance(value, list | tuple):
        text = ",".join(str(v) for v in value)
    else:
        text = str(value)
    if "://" in text:
        parts = urlsplit(text)
        if parts.password:
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            netloc = f"{parts.username}:***@{host}{port}"
            text = urlunsplit(parts._replace(netloc=netloc))
    return scrub(text)


def rows(settings: Settings) -> list[tuple[str, str]]:
    return [(name.upper(), shown_value(name, getattr(settings, name)))
            for name in type(settings).model_fields]  # fmt: skip


def overridden(console: Console) -> set[str]:
    """The .env names whose value a runtime setting above replaces right now."""
    names = {"BOT_PUBLIC"} if console.access.public_changed else set()
    orders = _orders(console)
    names |= {orders.setting(c) for c in CAPABILITIES if orders.changed(c)}
    names |= {s for kind, s in DAILY_QUOTA_SETTINGS.items()
              if console.access.daily_quota_changed(kind)}  # fmt: skip
    return names


async def settings_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    settings = console.services.settings
    changes = await console.auth.audit_where("settings:", limit=20)
    return render(request, "settings.html", nav="settings", rows=rows(settings),
                  warning=plain_http_warning(settings), public=console.access.public,
                  public_changed=console.access.public_changed,
                  env_public=settings.bot_public, orders=order_forms(console),
                  quotas=quota_forms(console), provider_name=provider_name,
                  overridden=overridden(console), changes=changes)  # fmt: skip


def provider_name(name: str) -> str:
    return texts.PROVIDER_NAMES.get(name, name)


def _orders(console: Console) -> ProviderOrders:
    orders = console.services.orders
    if orders is None:  # Services.open always builds it; a hand-made Services may not
        raise web.HTTPServiceUnavailable()
    return orders


def order_forms(console: Console) -> list[dict[str, object]]:
    """Per capability: the order in force, where it comes from, the .env list, and a row per
    configured provider able to serve it (enabled ones first, in order)."""
    orders = _orders(console)
    forms = []
    for capability in CAPABILITIES:
        current = orders.current(capability)
        able = orders.able(capability)
        listed: list[str] = getattr(console.services.settings,
                                    orders.setting(capability).lower())  # fmt: skip
        forms.append({
            "capability": capability, "setting": orders.setting(capability),
            "current": current, "changed": orders.changed(capability),
            "env": ",".join(listed),
            "rows": [(name, name in current) for name in
                     [*current, *(n for n in able if n not in current)]],
        })  # fmt: skip
    return forms


def quota_forms(console: Console) -> list[dict[str, object]]:
    access = console.access
    now, env = access.default_limits(), access.env_limits()
    return [{"kind": kind, "setting": setting, "value": now[kind], "env": env[kind],
             "changed": access.daily_quota_changed(kind)}
            for kind, setting in DAILY_QUOTA_SETTINGS.items()]  # fmt: skip


PUBLIC_CHOICES = {"1": True, "0": False, "env": None}


async def set_public(request: web.Request) -> web.StreamResponse:
    """Open the bot to everyone, close it to the allow list, or go back to BOT_PUBLIC."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    choice = str((await request.post()).get("public", ""))
    if choice not in PUBLIC_CHOICES:
        return error_page(request, 400, texts.CONSOLE_UI["bad_input"])
    public = PUBLIC_CHOICES[choice]
    await console.access.set_public(public, session.identity)
    ui = texts.CONSOLE_UI
    state = ui["public_open"] if console.access.public else ui["public_closed"]
    detail = state if public is not None else f"{ui['public_env']}（{state}）"
    await console.auth.audit(session.identity, "public", "settings:BOT_PUBLIC", detail)
    raise web.HTTPSeeOther(f"/settings?{urlencode({'done': 'public', 'state': detail})}")


def _shown(names: list[str]) -> str:
    return " → ".join(provider_name(n) for n in names)


def _typed_order(orders: ProviderOrders, capability: str, form: MultiDictProxy[Any]
                 ) -> list[str]:  # fmt: skip
    """The enabled providers sorted by the positions typed (ties keep the page's order)."""
    able = orders.able(capability)
    enabled = [str(n) for n in form.getall("on", [])]
    for name in enabled:
        if name not in able:
            raise OrderProblem("not_configured", provider_name(name)[:40])
    positions: dict[str, int] = {}
    for name in enabled:
        raw = str(form.get(f"pos_{name}", "")).strip()
        if not (raw.isdecimal() and 1 <= int(raw) <= len(able)):
            raise OrderProblem("position")
        positions[name] = int(raw)
    return sorted(dict.fromkeys(enabled), key=lambda n: positions[n])


async def set_order(request: web.Request) -> web.StreamResponse:
    """Reorder, switch on or off the providers of one capability, or go back to the .env
    list; from the next request on (the routes are changed in place)."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    orders = _orders(console)
    form = await request.post()
    capability = str(form.get("capability", ""))
    if capability not in CAPABILITIES:
        return error_page(request, 400, texts.CONSOLE_UI["bad_input"])
    name = texts.QUOTA_KIND_NAMES[capability]
    target = f"settings:{orders.setting(capability)}"
    if form.get("action") == "reset":
        await orders.set(capability, None, session.identity)
        shown = _shown(orders.current(capability))
        await console.auth.audit(session.identity, "provider_order", target,
                                 f"{texts.CONSOLE_UI['reset_env']}（{shown}）")  # fmt: skip
        raise _done("order_reset", name=name, order=shown)
    try:
        names = _typed_order(orders, capability, form)
        await orders.set(capability, names, session.identity)
    except OrderProblem as problem:
        message = texts.ORDER_PROBLEMS[problem.reason].format(
            provider=problem.provider or "", count=len(orders.able(capability)))
        return error_page(request, 400, message)
    shown = _shown(names)
    await console.auth.audit(session.identity, "provider_order", target, shown)
    raise _done("order_set", name=name, order=shown)


async def set_daily_quota(request: web.Request) -> web.StreamResponse:
    """Everyone's daily quota of one kind, or back to its QUOTA_*_PER_DAY value."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    form = await request.post()
    kind = str(form.get("kind", ""))
    if kind not in DAILY_QUOTA_SETTINGS:
        return error_page(request, 400, texts.CONSOLE_UI["bad_input"])
    name = texts.QUOTA_KIND_NAMES[kind]
    target = f"settings:{DAILY_QUOTA_SETTINGS[kind]}"
    if form.get("action") == "reset":
        await console.access.set_daily_quota(kind, None, session.identity)
        value = console.access.default_limits()[kind]
        await console.auth.audit(session.identity, "daily_quota", target,
                                 f"{texts.CONSOLE_UI['reset_env']}（{value}）")  # fmt: skip
        raise _done("quota_default_reset", name=name, value=str(value))
    raw = str(form.get("value", "")).strip()
    if not (raw.isdecimal() and len(raw) <= 7 and int(raw) <= MAX_DAILY_QUOTA):
        return error_page(request, 400, texts.QUOTA_PROBLEM.format(max=MAX_DAILY_QUOTA))
    await console.access.set_daily_quota(kind, int(raw), session.identity)
    await console.auth.audit(session.identity, "daily_quota", target, str(int(raw)))
    raise _done("quota_default_set", name=name, value=str(int(raw)))


def _done(key: str, **values: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/settings?{urlencode({'done': key, **values})}")
