"""Pages from Jinja2 templates with autoescaping on: whatever users typed (prompts, names)
is shown as text, never as markup. Every word comes from bot/core/texts.py (CONSOLE_UI)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.console.logbuffer import LogBuffer
from bot.core import identity, texts
from bot.core.access import AccessControl
from bot.core.console_auth import ConsoleAuth, Session
from bot.core.services import Services

HERE = Path(__file__).resolve().parent


@dataclass
class Console:
    """What every console handler works with (one per application)."""

    services: Services
    access: AccessControl
    auth: ConsoleAuth
    logs: LogBuffer
    thumbs: Path  # where thumbnails are cached
    env: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        self.env = make_env(self.services.settings.quota_timezone)


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("console.session", Session)  # the logged-in session


def make_env(zone_name: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template is HTML
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the tests, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tz = zone(zone_name)
    env.filters["when"] = lambda ts: _when(ts, tz)
    env.filters["ident"] = identity.display
    platforms = texts.CONSOLE_PLATFORM_NAMES
    env.filters["platform"] = lambda ident: platforms[identity.platform_of(ident)]
    env.filters["pretty_json"] = lambda value: json.dumps(value, ensure_ascii=False, indent=1)
    env.globals.update(
        ui=texts.CONSOLE_UI,
        state_names=texts.JOB_STATE_NAMES,
        failure_names=texts.FAILURE_NAMES,
        kind_names={**texts.CONSOLE_KIND_NAMES, **texts.QUOTA_KIND_NAMES},
        role_names=texts.CONSOLE_ROLE_NAMES,
        action_names=texts.CONSOLE_ACTION_NAMES,
        platform_names=texts.CONSOLE_PLATFORM_NAMES,
        query=_query,
    )
    return env


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except Exception:
        return dt.timezone(dt.timedelta(hours=8))


def _when(ts: float | None, tz: dt.tzinfo) -> str:
    if not ts:
        return "—"
    return dt.datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def _query(**values: object) -> str:
    """A query string of the non-empty values (links of filters and pages)."""
    kept = {k: v for k, v in values.items() if v not in (None, "")}
    return ("?" + urlencode(kept)) if kept else ""


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    console = request.app[CONSOLE]
    session: Session | None = request.get(SESSION)
    page = console.env.get_template(template).render(
        session=session, csrf=session.csrf if session else "", path=request.path,
        flash=flash_of(request), **context,
    )  # fmt: skip
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def flash_of(request: web.Request) -> str:
    """The sentence a redirect after a change asked for (?done=<key>&target=…), else ""."""
    key = request.query.get("done", "")
    template = texts.CONSOLE_FLASH.get(key)
    if template is None:
        return ""
    try:
        return template.format(**{k: v[:80] for k, v in request.query.items() if k != "done"})
    except (KeyError, IndexError, ValueError):
        return ""


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    return render(request, "error.html", status=status, message=message)
