"""The 网页对话 page (its transcript rendered by the server, autoescaped) and the stream of the
user's job changes (server-sent events, aiohttp-sse)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp_sse import sse_response

from bot.console.render import render
from bot.console.webchat.context import WebChat, Who, webchat_of, who
from bot.console.webchat.events import job_view
from bot.console.webchat.jobs import IMAGE_CHOICES, VIDEO_CHOICES
from bot.core import texts
from bot.core.jobs.options import image_model_name

KEEPALIVE = 15.0


def add_routes(app: web.Application) -> None:
    app.router.add_get("/chat", page)
    app.router.add_get("/chat/events", events)


async def transcript(webchat: WebChat, user: Who) -> list[dict[str, Any]]:
    """The transcript's entries as the page shows them; a job entry with its current view."""
    shown = []
    jobs = webchat.console.services.jobs
    for entry in await webchat.log.recent(user.chatter):
        job = await jobs.get(entry.job_id) if entry.job_id is not None else None
        if entry.role == "job" and job is None:
            continue
        shown.append({"role": entry.role, "text": entry.text, "picture": entry.picture,
                      "job": job_view(job) if job else None})  # fmt: skip
    return shown


async def page(request: web.Request) -> web.Response:
    webchat, user = webchat_of(request), who(request)
    choices = {
        "image": {**IMAGE_CHOICES,
                  "model": [(m, image_model_name(m)) for m in IMAGE_CHOICES["model"]]},
        "video": VIDEO_CHOICES,
    }  # fmt: skip
    return render(request, "webchat.html", nav="chat", chat=texts.WEB_CHAT_UI,
                  entries=await transcript(webchat, user), choices=choices,
                  max_mb=webchat.console.services.settings.draw_max_reference_mb)  # fmt: skip


async def events(request: web.Request) -> web.StreamResponse:
    webchat, user = webchat_of(request), who(request)
    queue = webchat.events.follow(user.chatter)
    try:
        async with sse_response(request) as sse:
            sse.ping_interval = KEEPALIVE
            while not (update := await queue.get()).get("end"):
                await sse.send(json.dumps(update, ensure_ascii=False))
    finally:
        webchat.events.unfollow(user.chatter, queue)
    return sse
