"""Choices that are buttons on Telegram, as numbers on QQ (OneBot v11 has no buttons).

/模型 shows a numbered list; `/模型 2`, `/模型 <名称>` or a reply "2" to that list picks one.
/角色列表 shows the user's characters; `/角色列表 使用 2 [描述]`, `/角色列表 删除 2`, or a reply
"2" (use) / "删除 2" to that list acts on one. "Use" without a description sends a prompt;
a reply to that prompt is the description of a video in which the character appears.
A list is remembered per (chat, user) for a while, so a bare "2" means the latest list: the
model list, /角色列表, /设置's items or one item's options (bot/onebot/handlers/settings.py), or
a failed job's retry offer (bot/onebot/handlers/actions.py). A number sent as a reply to the
bot's failure or result message answers that message (retry, 再来一张) whatever the latest list is.
"""

from __future__ import annotations

import re
import time

from bot.core import texts
from bot.core.store.characters import Character, CharacterStore
from bot.core.store.jobs import ResultMessage
from bot.onebot.context import QQContext
from bot.onebot.handlers import actions
from bot.onebot.handlers import settings as user_settings
from bot.onebot.handlers.draw import video
from bot.onebot.outbound import offers
from bot.onebot.outbound.replies import ids_of, reply
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import MessageEvent

CHOICE_TTL = 10 * 60  # a numbered list stays answerable this long

# "使用 2 描述", "删除2", "2": (word, number, rest); words from texts (what users type).
_ROLE_PICK = re.compile(
    r"^(?P<word>{})?\s*(?P<number>\d{{1,3}})(?:\s+(?P<rest>.*))?$".format(
        "|".join(map(re.escape, (*texts.QQ_ROLES_DELETE_WORDS, *texts.QQ_ROLES_USE_WORDS)))
    ),
    re.DOTALL,
)


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


# -- /角色列表 ------------------------------------------------------------------------------------


async def roles(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    argument = argument.strip()
    if not argument:
        await reply(adapter, event, await _roles_list(adapter, event))
        return
    picked = _ROLE_PICK.match(argument)
    if picked is None:
        await reply(adapter, event, texts.QQ_ROLES_BAD_ARGUMENT)
        return
    await _act_on_role(adapter, event, picked["word"] or "", int(picked["number"]),
                       (picked["rest"] or "").strip())  # fmt: skip


async def _roles_list(adapter: QQContext, event: MessageEvent) -> str:
    """The numbered list (remembered for numbered replies), or the "no characters" text."""
    user, chat = ids_of(event)
    characters = await CharacterStore(adapter.services.db).of_user(user)
    if not characters:
        adapter.choices.pop((chat, user), None)
        return texts.QQ_ROLES_EMPTY
    adapter.choices[(chat, user)] = ("roles", [str(c.id) for c in characters], time.monotonic())
    lines = [texts.QQ_ROLES_TITLE] + [
        texts.ROLES_LINE.format(index=i, name=c.name, character_id=c.character_id)
        for i, c in enumerate(characters, start=1)
    ]
    return "\n".join([*lines, texts.QQ_ROLES_HOW])


async def _numbered_roles(adapter: QQContext, event: MessageEvent) -> list[Character | None]:
    """What the numbers mean: the list the user saw (if still fresh), else the current one."""
    user, chat = ids_of(event)
    store = CharacterStore(adapter.services.db)
    pending = adapter.choices.get((chat, user))
    if pending is not None and pending[0] == "roles" and _fresh(pending):
        mine = {str(c.id): c for c in await store.of_user(user)}
        return [mine.get(row_id) for row_id in pending[1]]
    return list(await store.of_user(user))


async def _act_on_role(
    adapter: QQContext, event: MessageEvent, word: str, number: int, description: str
) -> None:
    listed = await _numbered_roles(adapter, event)
    if not 1 <= number <= len(listed):
        await reply(adapter, event, texts.QQ_CHOICE_OUT_OF_RANGE.format(count=len(listed)))
        return
    character = listed[number - 1]
    if character is None:  # deleted since the list was shown
        await reply(adapter, event, texts.ROLE_NOT_FOUND)
        return
    if word in texts.QQ_ROLES_DELETE_WORDS:
        await CharacterStore(adapter.services.db).delete(character.id)
        rest = await _roles_list(adapter, event)
        await reply(adapter, event, texts.ROLE_DELETED.format(name=character.name) + "\n\n" + rest)
        return
    if description:
        await video(adapter, event, description, prefix=f"@{character.name}")
        return
    prompt = texts.QQ_ROLE_INSERT_PROMPT.format(name=character.name)
    prompt_id = await reply(adapter, event, prompt)
    if character.source_job_id is not None:  # remembered durably: a reply to it is a video
        _, chat = ids_of(event)
        await adapter.services.jobs.add_result_message(ResultMessage(
            chat, prompt_id, character.source_job_id, "character_prompt", None, None,
            pid=character.character_id,
        ))  # fmt: skip


async def _prompt_reply(adapter: QQContext, event: MessageEvent, text: str) -> bool:
    """A reply to our "write the description" prompt starts the video (for its owner only)."""
    replied = seg.reply_id(event.message)
    if replied is None or not text:
        return False
    user, chat = ids_of(event)
    svc = adapter.services
    link = await svc.jobs.result_message(chat, replied)
    if link is None or link.kind != "character_prompt":
        return False
    job = await svc.jobs.get(link.job_id)
    if job is None or job.user_id != user:
        return False  # someone else's prompt: an ordinary message
    characters = await CharacterStore(svc.db).of_user(user)
    character = next((c for c in characters if c.character_id == link.pid), None)
    if character is None:
        await reply(adapter, event, texts.ROLE_NOT_FOUND)
    else:
        await video(adapter, event, text, prefix=f"@{character.name}")
    return True


# -- answers without a command ------------------------------------------------------------------


def _fresh(pending: tuple[str, list[str], float]) -> bool:
    return time.monotonic() - pending[2] <= CHOICE_TTL


async def numbered_answer(adapter: QQContext, event: MessageEvent, text: str) -> bool:
    """A message answering the bot without a command: a reply to a character prompt, a number
    replying to a failure or result message, or a number (or 删除 2) for the user's latest list.
    True when it was one."""
    value = text.strip()
    if await _prompt_reply(adapter, event, value):
        return True
    number = value.isdecimal() and len(value) <= 3
    replied = seg.reply_id(event.message)
    if number and replied is not None and await actions.answer_reply(
        adapter, event, replied, value
    ):
        return True
    user, chat = ids_of(event)
    pending = adapter.choices.get((chat, user))
    if pending is None or not _fresh(pending):
        return False
    kind, options, _ = pending
    if kind == "roles":
        picked = _ROLE_PICK.match(value)
        if picked is None or picked["rest"]:  # "2 个苹果…" is a chat message, not a pick
            return False
        await _act_on_role(adapter, event, picked["word"] or "", int(picked["number"]), "")
        return True
    if not number:
        return False
    if kind == "model":
        await _pick_model(adapter, event, value)
        return True
    if kind == offers.RETRY:
        await actions.answer_offer(adapter, event, options, value)
        return True
    return await user_settings.numbered(adapter, event, kind, value)
