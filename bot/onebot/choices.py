"""Choices that are buttons on Telegram, as numbers on QQ (OneBot v11 has no buttons).

/模型 shows a numbered list; `/模型 2`, `/模型 <名称>` or a reply "2" to that list picks one.
A list is remembered per (chat, user) for a while, so a bare "2" means the latest list: the
model list, /设置's items or one item's options (bot/onebot/settings.py), or a failed job's
retry offer (bot/onebot/actions.py). A number sent as a reply to the bot's failure or result
message answers that message (retry, 再来一张) whatever the latest list is.
"""

from __future__ import annotations

import time

from bot import texts
from bot.onebot import actions
from bot.onebot import segments as seg
from bot.onebot import settings as user_settings
from bot.onebot.context import QQContext
from bot.onebot.events import MessageEvent
from bot.onebot.replies import ids_of, reply

CHOICE_TTL = 10 * 60  # a numbered list stays answerable this long


async def model_refs(adapter: QQContext) -> list[str]:
    """Every chat model a user may pick, in the CHAT_PROVIDERS order (as on Telegram)."""
    chat = adapter.services.providers.chat
    limit = adapter.settings.provider_models_menu_max
    refs: list[str] = []
    for provider in chat.order:
        models = await chat.catalog.models(provider)
        if models is None:
            continue
        shown = list(models if provider == "grsai" else models[:limit])
        refs += [m if provider == "grsai" else f"{provider}:{m}" for m in shown]
    return list(dict.fromkeys(refs))


async def model(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    user, chat = ids_of(event)
    svc = adapter.services
    argument = argument.strip()
    if argument:
        await _pick_model(adapter, event, argument)
        return
    current = await svc.chat.model_for(user)
    refs = await model_refs(adapter)
    lines = [texts.MODEL_CHOOSE.format(current=current)]
    for number, ref in enumerate(refs, 1):
        mark = texts.MODEL_MARK if ref == current else ""
        lines.append(texts.QQ_CHOICE_LINE.format(number=number, mark=mark, name=ref))
    lines.append(texts.QQ_CHOICE_HOW)
    adapter.choices[(chat, user)] = ("model", refs, time.monotonic())
    await reply(adapter, event, "\n".join(lines))


async def _pick_model(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    user, _ = ids_of(event)
    name = argument
    if argument.isdecimal():
        refs = await model_refs(adapter)
        index = int(argument) - 1
        if not 0 <= index < len(refs):
            await reply(adapter, event, texts.QQ_CHOICE_OUT_OF_RANGE.format(count=len(refs)))
            return
        name = refs[index]
    if not await adapter.services.chat.set_model(user, name):
        await reply(adapter, event, texts.QQ_MODEL_UNKNOWN)
        return
    await reply(adapter, event, texts.MODEL_SET.format(model=name))


async def numbered_answer(adapter: QQContext, event: MessageEvent, text: str) -> bool:
    """A bare number answering the replied message or the user's latest list; True when it was
    one."""
    value = text.strip()
    if not value.isdecimal() or len(value) > 3:
        return False
    replied = seg.reply_id(event.message)
    if replied is not None and await actions.answer_reply(adapter, event, replied, value):
        return True
    user, chat = ids_of(event)
    pending = adapter.choices.get((chat, user))
    if pending is None or time.monotonic() - pending[2] > CHOICE_TTL:
        return False
    kind, options, _ = pending
    if kind == "model":
        await _pick_model(adapter, event, value)
        return True
    if kind == actions.RETRY:
        await actions.answer_offer(adapter, event, options, value)
        return True
    return await user_settings.numbered(adapter, event, kind, value)
