"""设置: the effective settings, read-only, with their .env names; secrets never shown."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from aiohttp import web
from pydantic import SecretStr

from bot import identity, texts
from bot.config import Settings
from bot.console.render import CONSOLE, render
from bot.console_auth import plain_http_warning
from bot.redact import scrub

IDENTITY_LISTS = ("bot_admin_ids", "bot_allowed_ids")  # shown as typed: qq:123, not 2**56 + 123


def add_routes(app: web.Application) -> None:
    app.router.add_get("/settings", settings_page)


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
    settings = request.app[CONSOLE].services.settings
    return render(request, "settings.html", nav="settings", rows=rows(settings),
                  warning=plain_http_warning(settings))  # fmt: skip
