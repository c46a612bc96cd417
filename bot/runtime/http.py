"""The runtime's one HTTP server (aiohttp): every route the bot serves, on the addresses the
settings name.

Rules:
- the runtime owns it: routes are added before `start` (an aiohttp app is frozen once it
  runs), each listen address is its own aiohttp Application (the Telegram webhook's address
  is public through a reverse proxy; the console's stays on loopback by default);
- GrsAI callbacks are served next to the Telegram webhook (same address, same proxy): an
  unknown or malformed token is 404, a body that is not a GrsAI progress object 400, and a
  good one only tells the runner "poll this task now" (bot/core/jobs/callbacks.py);
- GET /healthz on every address answers whether the platforms are up (no secrets in it);
- access lines are not logged (their paths hold callback tokens).
"""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.core import texts
from bot.core.jobs.callbacks import Callbacks
from bot.runtime.problems import ConfigProblem

log = logging.getLogger(__name__)

MAX_CALLBACK_BODY = 64 * 1024  # a GrsAI progress object is a few hundred bytes
MAX_BODY = 1024 * 1024  # a Telegram update is a few KB


class HttpServer:
    def __init__(self, health: Callable[[], dict[str, Any]] | None = None) -> None:
        self._apps: dict[tuple[str, int], web.Application] = {}
        self._settings: dict[tuple[str, int], str] = {}  # which .env setting names the port
        self._runners: list[web.AppRunner] = []
        self._health = health or (lambda: {})
        self.bound: dict[tuple[str, int], int] = {}  # (host, asked port) → the port it got

    def at(self, host: str, port: int, setting: str = "WEBHOOK_PORT") -> web.Application:
        """The aiohttp app served on host:port (created on first use): add routes to it
        before `start`."""
        key = (host, port)
        if key not in self._apps:
            app = web.Application(client_max_size=MAX_BODY)
            app.router.add_get("/healthz", self._healthz)
            self._apps[key] = app
            self._settings[key] = setting
        return self._apps[key]

    def mount(self, host: str, port: int, app: web.Application, setting: str) -> None:
        """A whole application of its own on host:port (the web console)."""
        if (host, port) in self._apps:
            raise ConfigProblem(texts.HTTP_PORT_SHARED.format(host=host, port=port))
        app.router.add_get("/healthz", self._healthz)
        self._apps[(host, port)] = app
        self._settings[(host, port)] = setting

    @property
    def serving(self) -> bool:
        return bool(self._runners)

    async def start(self) -> None:
        for (host, port), app in self._apps.items():
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            self._runners.append(runner)
            site = web.TCPSite(runner, host, port)
            try:
                await site.start()
            except OSError as exc:  # an operator's problem: one Chinese line, exit code 2
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise ConfigProblem(texts.HTTP_PORT_IN_USE.format(
                    host=host, port=port, setting=self._settings[(host, port)])) from None
            sockets = getattr(site._server, "sockets", None) or []  # the real port for port 0
            self.bound[(host, port)] = sockets[0].getsockname()[1] if sockets else port
            log.info(texts.LOG_HTTP_LISTENING, host, self.bound[(host, port)])

    async def stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True, **self._health()})


def serve_callbacks(app: web.Application, callbacks: Callbacks) -> None:
    """GrsAI's result callbacks on `app`, at the path of the callback base URL."""
    path = urlsplit(callbacks.base_url).path.rstrip("/")

    async def callback(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        body: Any = None
        raw = await request.read()
        if len(raw) <= MAX_CALLBACK_BODY:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str | int):
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if not callbacks.receive(token, str(body["id"])):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.json_response({"code": 0, "msg": "success"})

    app.router.add_post(path + "/{token:[A-Za-z0-9-]+}", callback)
    log.info(texts.LOG_GRSAI_RESULTS_ARE_CALLED_BACK, callbacks.base_url)
