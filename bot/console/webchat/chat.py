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
- one answer at a time per conversation, in arrival order, through the core's line
  (bot/core/usecases/chat_queue.py): a turn that waits says so (`queued`), one with too many
  ahead is refused with nothing held.
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
from bot.core.access import QuotaExceeded, Reservation
from bot.core.access_texts import quota_text
from bot.core.chat.service import ImageInput, conversation_key
from bot.core.error_text import describe_error
from bot.core.usecases.chat_queue import Place
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
    """A turn that passed every check, holding its chat slot."""

    question: str
    images: list[ImageInput]
    picture: str | None  # the attached picture's link, for the transcript
    held: Reservation | None
    place: Place  # in the conversation's line (bot/core/usecases/chat_queue.py)


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
        if ready.place.note:  # turns of this conversation ahead of it: it waits, and says so
            await sse.send(json.dumps({"text": ready.place.note}, ensure_ascii=False),
                           event="queued")  # fmt: skip
        events: asyncio.Queue[Event] = asyncio.Queue()
        try:
            await webchat.log.add(user.chatter, "user", ready.question, picture=ready.picture)
            webchat.console.services.background.spawn(
                answer(webchat, user, ready, events),
                name=f"web chat {identity.display(user.chatter)}",
            )  # fmt: skip
        except BaseException:  # the turn never started
            webchat.console.access.release(ready.held)
            ready.place.leave()
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
    """The checked turn, or the Chinese reason there is none (nothing was spent). Access,
    length and picture before the quota, then its place in the conversation's line: a
    refused turn holds no chat slot and no place."""
    if isinstance(form, str):
        return form
    question = str(form.get("text", "")).strip()
    refusal = await _refusal(webchat, user, question)
    if refusal is not None:
        return refusal
    saved = await save_upload(request, form.get("picture"))
    if isinstance(saved, str):
        return saved
    access, svc = webchat.console.access, webchat.console.services
    held = await access.reserve_chat(user.person)
    if isinstance(held, QuotaExceeded):
        return quota_text(held, svc.settings.quota_timezone)
    place = svc.chat_queue.join(memory_key(user))
    if isinstance(place, Refused):
        access.release(held)
        return place.text
    images = [ImageInput(saved[1], saved[2])] if saved else []
    return Ready(question, images, upload_url(saved[0].name) if saved else None, held, place)


async def _refusal(webchat: WebChat, user: Who, question: str) -> str | None:
    if not webchat.console.access.is_allowed(user.person, None):
        return texts.WEB_CHAT_NOT_ALLOWED
    if not question:
        return texts.WEB_CHAT_EMPTY
    limit = webchat.console.services.settings.chat_max_prompt_chars
    if len(question) > limit:
        return texts.PROMPT_TOO_LONG.format(length=len(question), limit=limit)
    return None


async def answer(
    webchat: WebChat, user: Who, ready: Ready, events: asyncio.Queue[Event]
) -> None:
    """One turn: stream, remember, record; every outcome also goes to the transcript."""
    svc, access = webchat.console.services, webchat.console.access
    try:
        # One answer at a time per conversation, in order; a free upstream stream (as Telegram).
        async with ready.place, svc.chat_streams:
            chat_turn = await svc.chat.start_turn(ready.place.key, user.person, ready.question,
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
            await svc.chat.remember(chat_turn, text)
            await webchat.log.add(user.chatter, "assistant", text)
            provider, model = svc.chat.served.get(user.person, ("grsai", chat_turn.model))
            await access.record_chat(user.person, user.chatter, provider, model)
            events.put_nowait(("done", {}))
    finally:
        access.release(ready.held)  # the turn held a chat slot since the check
        ready.place.leave()
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
