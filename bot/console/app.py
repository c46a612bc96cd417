"""The console as one aiohttp application: routes, the session gate, CSRF, security headers.

Rules:
- every route but the login ones and the static files needs a live session: pages redirect to
  the login help, everything else (changes, media, streams) answers 401;
- every change is a POST that carries the session's CSRF token (form field `csrf` or header
  X-CSRF-Token) and a role that may change things; it is recorded in the audit table;
- pages are never cached and never framed, and scripts come only from the console itself.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.console import (
    gallery,
    jobs_page,
    login,
    logs_page,
    overview,
    providers_page,
    settings_page,
    users,
)
from bot.console.logbuffer import LogBuffer
from bot.console.login import COOKIE
from bot.console.render import CONSOLE, HERE, SESSION, Console, error_page
from bot.core import texts
from bot.core.access import AccessControl
from bot.core.console_auth import ConsoleAuth
from bot.core.services import Services

log = logging.getLogger(__name__)

PUBLIC_PREFIXES = ("/login/", "/static/")
# /healthz: the runtime's, says no secret
PUBLIC_PATHS = ("/login-help", "/login-password", "/healthz")
# Answered with 401 rather than a redirect: scripts, images and streams cannot follow one.
API_PREFIXES = ("/media/", "/ref/", "/thumb/", "/logs/stream")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_console_app(services: Services, access: AccessControl) -> web.Application:
    """The console for opened `services` and the platforms' shared `access` (so /allow from
    the console takes effect at once everywhere). Serve it on CONSOLE_HOST:CONSOLE_PORT."""
    app = web.Application(middlewares=[security_headers, session_gate, csrf_guard],
                          client_max_size=64 * 1024)  # fmt: skip
    settings = services.settings
    console = Console(
        services=services, access=access, auth=ConsoleAuth(services.db, settings),
        logs=LogBuffer(), thumbs=settings.bot_data_dir / "console-thumbs",
    )  # fmt: skip
    app[CONSOLE] = console
    app.router.add_static("/static/", HERE / "static", append_version=False)
    login.add_routes(app)
    overview.add_routes(app)
    jobs_page.add_routes(app)
    gallery.add_routes(app)
    users.add_routes(app)
    settings_page.add_routes(app)
    providers_page.add_routes(app)
    logs_page.add_routes(app)

    async def start_logs(_: web.Application) -> None:
        logging.getLogger().addHandler(console.logs)

    async def stop_logs(_: web.Application) -> None:
        console.logs.end_followers()  # open 日志 pages end their streams: shutdown is quick
        logging.getLogger().removeHandler(console.logs)

    app.on_startup.append(start_logs)
    app.on_shutdown.append(stop_logs)
    return app


async def serve_console(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Run the app on host:port on its own (tests, or a runtime without a shared server)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port the console listens on (port 0 asks the system for a free one)."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
    raise RuntimeError("not serving")


def bound_hosts(runner: web.AppRunner) -> list[str]:
    hosts = []
    for site in runner.sites:
        server = getattr(site, "_server", None)
        for sock in getattr(server, "sockets", None) or ():
            hosts.append(str(sock.getsockname()[0]))
    return hosts


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # The login link carries its token in the path: it must never leak as a referrer.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if not request.path.startswith(("/static/", "/thumb/")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


@web.middleware
async def session_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if is_public(request.path):
        return await handler(request)
    console = request.app[CONSOLE]
    session = await console.auth.session(request.cookies.get(COOKIE, ""))
    if session is None:
        if request.method == "GET" and not request.path.startswith(API_PREFIXES):
            raise web.HTTPSeeOther("/login-help")
        return web.Response(status=401, text=texts.CONSOLE_UI["login_help_title"])
    request[SESSION] = session
    return await handler(request)


@web.middleware
async def csrf_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in ("GET", "HEAD") or is_public(request.path):
        return await handler(request)
    session = request.get(SESSION)
    if session is None:  # the gate let it through: only public routes get here
        return await handler(request)
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent:
        form = await request.post()
        sent = str(form.get("csrf", ""))
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        return error_page(request, 403, texts.CONSOLE_UI["csrf_failed"])
    if request.path not in login.ANY_ROLE_PATHS and not session.can_change:
        return error_page(request, 403, texts.CONSOLE_UI["forbidden"])
    return await handler(request)
