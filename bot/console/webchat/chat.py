"""A chat turn from the web chat: through the core chat service exactly as on QQ and Telegram
(access, quota, per-user memory), the answer streamed to the page as it arrives.

Rules:
- POST /chat/turn answers with server-sent events (aiohttp-sse, as the 日志 page): `piece`
  for each piece of the answer as the provider sends it, then `done`; or one `notice` with
  the Chinese reason (refused, quota, provider trouble);
- the turn runs in the services' background (bot/core/background.py), not in the request: a page
  that is closed or reloaded does not lose a paid answer, it is remembered and kept in the
  transcript (shown after a reload); a shutdown keeps the partial answer with its notice;
- the memory key is the web identity's private conversation (`p:web:<user>`), apart from the
  same person's Telegram or QQ chats; quotas and access are the person's own;
- the bookkeeping is the core's, as on QQ and Telegram (bot/core/usecases/chat_turn.py):
  length, quota, place in the conversation's line (one answer at a time, in arrival order: a
  turn that waits says so, `queued`), then remembered and counted once answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp_sse import sse_response
from multidict import MultiDictProxy

from bot.console.webchat.context import WebChat, Who, webchat_of, who
from bot.console.webchat.media import read_form, save_upload, upload_url
from bot.core import identity, texts
from bot.core.chat.service import ImageInput, conversation_key
from bot.core.error_text import describe_error
from bot.core.usecases.chat_turn import QueuedTurn, begin_chat_turn
from bot.core.usecases.refused import Refused

log = logging.getLogger(__name__)

KEEPALIVE = 15.0  # seconds between pings: proxies drop silent streams
Event = tuple[str, dict[str, Any]] | None  # (event name, data); None ends the stream


def add_routes(app: web.Application) -> None:
    app.router.add_post("/chat/turn", turn)
    app.router.add_post("/chat/new", new_conversation)


def memory_key(user: Who) -> str:
    return conversation_key(user.chatter, user.person, True)


@dataclass
class Ready:
    """A turn that passed every check, holding its quota and its place in line."""

    question: str
    images: list[ImageInput]
    picture: str | None  # the attached picture's link, for the transcript
    turn: QueuedTurn  # the core's bookkeeping (bot/core/usecases/chat_turn.py)


async def turn(request: web.Request) -> web.StreamResponse:
    webchat, user = webchat_of(request), who(request)
    form = await read_form(request)
    # A POST read by fetch() (EventSource cannot send a message or a picture).
    async with sse_response(request, allow_all_methods=True) as sse:
        sse.ping_interval = KEEPALIVE
        ready = await _ready(request, webchat, user, form)
        if isinstance(ready, str):
            await sse.send(json.dumps({"text": ready}, ensure_ascii=False), event="notice")
            return sse
        if ready.turn.note:  # turns of this conversation ahead of it: it waits, and says so
            await sse.send(json.dumps({"text": ready.turn.note}, ensure_ascii=False),
                           event="queued")  # fmt: skip
        events: asyncio.Queue[Event] = asyncio.Queue()
        try:
            await webchat.log.add(user.chatter, "user", ready.question, picture=ready.picture)
            webchat.console.services.background.spawn(
                answer(webchat, user, ready, events),
                name=f"web chat {identity.display(user.chatter)}",
            )  # fmt: skip
        except BaseException:  # the turn never started
            ready.turn.end()
            raise
        try:
            while (event := await events.get()) is not None:
                name, data = event
                await sse.send(json.dumps(data, ensure_ascii=False), event=name)
        except ConnectionResetError:  # the page went away: the answer goes on and is kept
            log.info(texts.LOG_WEB_CHAT_PAGE_LEFT, identity.display(user.chatter))
    return sse


async def _ready(
    request: web.Request, webchat: WebChat, user: Who, form: MultiDictProxy[Any] | str
) -> Ready | str:
    """The checked turn, or the Chinese reason there is none (nothing was spent): who may ask
    and an empty question here, then the core's checks (length, quota, place in line), then
    the attached picture; a refused turn holds nothing."""
    if isinstance(form, str):
        return form
    if not webchat.console.access.is_allowed(user.person, None):
        return texts.WEB_CHAT_NOT_ALLOWED
    question = str(form.get("text", "")).strip()
    if not question:
        return texts.WEB_CHAT_EMPTY
    queued = await begin_chat_turn(webchat.console.services, user.person, user.chatter, True,
                                   question)  # fmt: skip
    if isinstance(queued, Refused):
        return queued.text
    saved = await save_upload(request, form.get("picture"))
    if isinstance(saved, str):
        queued.end()
        return saved
    images = [ImageInput(saved[1], saved[2])] if saved else []
    return Ready(question, images, upload_url(saved[0].name) if saved else None, queued)


async def answer(
    webchat: WebChat, user: Who, ready: Ready, events: asyncio.Queue[Event]
) -> None:
    """One turn: stream, remember, record; every outcome also goes to the transcript."""
    svc = webchat.console.services
    try:
        # Its turn in the conversation's line; a free upstream stream (as Telegram).
        async with ready.turn, svc.chat_streams:
            chat_turn = await svc.chat.start_turn(ready.turn.key, user.person, ready.question,
                                                  ready.images)  # fmt: skip
            pieces: list[str] = []
            try:
                async for piece in svc.chat.stream(chat_turn):
                    pieces.append(piece)
                    events.put_nowait(("piece", {"text": piece}))
            except asyncio.CancelledError:  # shutdown: keep what was written, say why it ends
                partial = "".join(pieces)
                await webchat.log.add(user.chatter, "assistant",
                                      f"{partial}\n\n{texts.CHAT_SHUTDOWN}" if partial.strip()
                                      else texts.CHAT_SHUTDOWN_EMPTY)  # fmt: skip
                raise
            except Exception as exc:  # provider trouble: a Chinese sentence, details in the log
                await _notice(webchat, user, events, describe_error(exc))
                return
            text = "".join(pieces)
            if not text.strip():
                await _notice(webchat, user, events, texts.ERR_INTERNAL)
                return
            await webchat.log.add(user.chatter, "assistant", text)
            await ready.turn.answered(chat_turn, text)  # remembered, counted
            events.put_nowait(("done", {}))
    finally:
        ready.turn.end()  # the quota hold and the place, on every path
        events.put_nowait(None)


async def _notice(webchat: WebChat, user: Who, events: asyncio.Queue[Event], text: str) -> None:
    await webchat.log.add(user.chatter, "notice", text)
    events.put_nowait(("notice", {"text": text}))


async def new_conversation(request: web.Request) -> web.Response:
    """新对话: the memory is forgotten (as /new); the transcript keeps a line saying so."""
    webchat, user = webchat_of(request), who(request)
    await webchat.console.services.chat.forget(memory_key(user))
    await webchat.log.add(user.chatter, "notice", texts.WEB_CHAT_UI["new_done"])
    return web.json_response({"notice": texts.WEB_CHAT_UI["new_done"]})
