"""Mounting the web chat on the console's application, and registering its job events."""

from __future__ import annotations

from aiohttp import web

from bot.console.render import Console
from bot.console.webchat import chat, jobs, media, page
from bot.console.webchat.context import WEBCHAT, WebChat
from bot.console.webchat.events import WebJobEvents
from bot.core.jobs.events_router import EventsRouter
from bot.core.store.webchat import WebChatLog

PREFIX = "/chat"  # every web chat route; the only ones a web-chat-only session may reach


def mount(app: web.Application, console: Console, router: EventsRouter | None) -> WebChat:
    """The web chat's routes on `app`; its job events in `router` under "web" (the runtime's
    router: jobs started from a page find their way back to it, after a restart too)."""
    webchat = WebChat(console=console, events=WebJobEvents(), log=WebChatLog(console.services.db))
    app[WEBCHAT] = webchat
    page.add_routes(app)
    chat.add_routes(app)
    jobs.add_routes(app)
    media.add_routes(app)

    async def end_streams(_: web.Application) -> None:
        webchat.events.end_followers()

    app.on_shutdown.append(end_streams)
    if router is not None:
        router.set(webchat.events.capabilities.name, webchat.events)
    return webchat
