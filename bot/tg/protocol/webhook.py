"""Telegram's webhook, served by the runtime's HTTP server (bot/runtime/http.py).

Rules: a request without the secret header Telegram was given (setWebhook's secret_token) is
403; a body that is not an update is 400; an update is handed to PTB's update queue, as in
PTB's custom-webhook examples, and answered 200 at once (handlers run in PTB's tasks; an
update taken before PTB has started waits in the queue).
"""

from __future__ import annotations

import hmac
import json
from http import HTTPStatus

from aiohttp import web
from telegram import Update
from telegram.ext import Application

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_handler(app: Application, secret: str):  # type: ignore[no-untyped-def]
    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=HTTPStatus.FORBIDDEN)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if update is None:
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        await app.update_queue.put(update)
        return web.Response(status=HTTPStatus.OK)

    return handle
