"""设置: the effective settings with their .env names, secrets never shown; the ones that are
runtime state are changed here: open to everyone or not (wins over BOT_PUBLIC, stored in
SQLite, the same AccessControl the platforms ask), recorded in the audit."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from aiohttp import web
from pydantic import SecretStr

from bot.console.render import CONSOLE, SESSION, error_page, render
from bot.core import identity, texts
from bot.core.config import Settings
from bot.core.console_auth import plain_http_warning
from bot.core.redact import scrub

IDENTITY_LISTS = ("bot_admin_ids", "bot_allowed_ids")  # shown as typed: qq:123, not 2**56 + 123


def add_routes(app: web.Application) -> None:
    app.router.add_get("/settings", settings_page)
    app.router.add_post("/settings/public", set_public)


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


async def settings_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    settings = console.services.settings
    changes = await console.auth.audit_where("settings:", limit=20)
    return render(request, "settings.html", nav="settings", rows=rows(settings),
                  warning=plain_http_warning(settings), public=console.access.public,
                  public_changed=console.access.public_changed,
                  env_public=settings.bot_public, changes=changes)  # fmt: skip


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
