"""What every web chat handler works with: the console it is mounted on, its job events, the
transcript, and who the request is from."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.console.render import CONSOLE, SESSION, Console
from bot.console.webchat.events import WebJobEvents
from bot.core.store.webchat import WebChatLog


@dataclass
class WebChat:
    console: Console
    events: WebJobEvents
    log: WebChatLog


WEBCHAT = web.AppKey("webchat", WebChat)


@dataclass(frozen=True)
class Who:
    person: int  # the Telegram or QQ user: access rules and quotas are theirs
    chatter: int  # web:<person>: the chat id of the web chat (memory, jobs, files)


def who(request: web.Request) -> Who:
    session = request[SESSION]
    return Who(session.person, session.chatter)


def webchat_of(request: web.Request) -> WebChat:
    return request.app[WEBCHAT]


__all__ = ["CONSOLE", "WEBCHAT", "WebChat", "Who", "webchat_of", "who"]
