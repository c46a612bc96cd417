"""日志: the recent warnings and errors, and new ones as they come (server-sent events)."""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp_sse import sse_response

from bot.console.render import CONSOLE, render

KEEPALIVE = 15.0  # seconds between pings: proxies drop silent streams


def add_routes(app: web.Application) -> None:
    app.router.add_get("/logs", logs)
    app.router.add_get("/logs/stream", stream)


async def logs(request: web.Request) -> web.Response:
    lines = request.app[CONSOLE].logs.lines()
    return render(request, "logs.html", nav="logs", lines=list(reversed(lines)))


async def stream(request: web.Request) -> web.StreamResponse:
    buffer = request.app[CONSOLE].logs
    queue = buffer.follow()
    try:
        async with sse_response(request) as sse:
            sse.ping_interval = KEEPALIVE
            while True:
                line = await queue.get()
                if line is None:
                    break
                await sse.send(json.dumps({"level": line.level, "text": line.text},
                                          ensure_ascii=False))  # fmt: skip
    finally:
        buffer.unfollow(queue)
    return sse
