"""Who wrote a QQ message and how to answer it: chat references, identities, paced sends."""

from __future__ import annotations

import logging

from bot.core import identity, texts
from bot.onebot.context import QQContext
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import MessageEvent
from bot.onebot.protocol.transport import ChatRef

log = logging.getLogger(__name__)


def chat_of(event: MessageEvent) -> ChatRef:
    if event.is_group:
        assert event.group_id is not None
        return ChatRef("group", event.group_id)
    return ChatRef("private", event.user_id)


def ids_of(event: MessageEvent) -> tuple[int, int]:
    """(user identity, chat identity) as the database stores them."""
    user = identity.qq_user(event.user_id)
    if event.is_group:
        assert event.group_id is not None
        return user, identity.qq_group(event.group_id)
    return user, user


async def send(adapter: QQContext, event: MessageEvent, message: list[seg.Segment]) -> int:
    chat = chat_of(event)
    await adapter.pacer.wait(chat.key)
    return await adapter.server.send(chat, message, self_id=event.self_id)


async def refuse(adapter: QQContext, event: MessageEvent, text: str) -> None:
    """A notice to a stranger: sent only from the spare budget, dropped otherwise (never
    queued before answers and results; bot/onebot/outbound/pacing.py)."""
    chat = chat_of(event)
    if not adapter.pacer.take_spare(chat.key):
        log.info(texts.LOG_QQ_REFUSAL_DROPPED, chat.key)
        return
    message = [seg.reply(event.message_id), seg.text(text)]
    await adapter.server.send(chat, message, self_id=event.self_id)


async def reply(adapter: QQContext, event: MessageEvent, text: str) -> int:
    return await send(adapter, event, [seg.reply(event.message_id), seg.text(text)])
