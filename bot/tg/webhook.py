"""GrsAI result callbacks, served next to PTB's webhook (same port, same reverse proxy).

Rules:
- only in webhook mode (a public URL exists) and with GRSAI_CALLBACKS on; the callback URL is
  `<GRSAI_CALLBACK_URL or WEBHOOK_URL>/grsai/<token>`, served locally on that URL's path;
- the route is added to PTB's own tornado server once it listens (tornado allows adding
  handlers to a running Application), and only then does the runner start asking GrsAI for
  callbacks: jobs submitted before poll as usual;
- a callback is checked: unknown or malformed token → 404, a body that is not a GrsAI progress
  object → 400; its content is not trusted: it only tells the runner "poll this task now"
  (bot/jobs/callbacks.py). If PTB's server internals ever change, callbacks stay off (polling).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from telegram.ext import Application, ContextTypes

from bot import texts
from bot.config import Settings
from bot.jobs.callbacks import Callbacks

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a progress object is a few hundred bytes


def grsai_callbacks(settings: Settings) -> Callbacks | None:
    if not settings.webhook_url or not settings.grsai_callbacks:
        return None
    base = (settings.grsai_callback_url or settings.webhook_url).rstrip("/") + "/grsai"
    # A random secret per start: tokens of jobs from an earlier run just fall back to polling.
    return Callbacks(base, secrets.token_bytes(32))


class _CallbackHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, callbacks: Callbacks) -> None:
        self.callbacks = callbacks

    def post(self, token: str) -> None:
        body: Any = None
        if len(self.request.body) <= MAX_BODY:
            try:
                body = json.loads(self.request.body)
            except ValueError:
                body = None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str | int):
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        if not self.callbacks.receive(token, str(body["id"])):
            self.set_status(HTTPStatus.NOT_FOUND)
            return
        self.set_status(HTTPStatus.OK)
        self.finish({"code": 0, "msg": "success"})

    def log_exception(self, *args: Any) -> None:
        log.warning(texts.LOG_GRSAI_CALLBACK_FAILED, exc_info=True)


def serve_callbacks(app: Application, callbacks: Callbacks) -> None:
    """Call before `app.run_webhook`: the route is added right after the server starts."""

    async def attach(_context: ContextTypes.DEFAULT_TYPE) -> None:
        # The job queue starts after the webhook server listens (Application.__run).
        server = getattr(getattr(app.updater, "_httpd", None), "_http_server", None)
        tornado_app = getattr(server, "request_callback", None)
        if not isinstance(tornado_app, tornado.web.Application):
            log.warning(texts.LOG_CANNOT_SERVE_GRSAI_CALLBACKS_NEXT)
            return
        path = re.escape(urlsplit(callbacks.base_url).path)
        tornado_app.add_handlers(
            r".*", [(rf"{path}/([A-Za-z0-9-]+)", _CallbackHandler, {"callbacks": callbacks})]
        )
        app.bot_data["services"].runner.callbacks = callbacks
        log.info(texts.LOG_GRSAI_RESULTS_ARE_CALLED_BACK, callbacks.base_url)

    assert app.job_queue is not None
    app.job_queue.run_once(attach, 0)
