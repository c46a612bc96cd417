"""QQ messages → core: who may ask (access gate), commands, and chat turns.

Private chat: any text is a chat turn. Groups: only @bot, a reply to the bot, or a command.
Admin commands (/allow /deny /quota /stats /providers /控制台) are silent for non-admins, like
on Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.core import identity, texts
from bot.core.access import QUOTA_KINDS
from bot.core.access_texts import usage_report
from bot.core.admin_texts import providers_text, stats_text
from bot.core.chat.service import ImageInput, conversation_key
from bot.core.console_auth import console_link_text
from bot.core.error_text import describe_error
from bot.core.media.download import sniff_mime
from bot.core.provider_status import status_checks
from bot.core.usecases.chat_turn import QueuedTurn, begin_chat_turn
from bot.core.usecases.gate import ADMIN_COMMANDS, Knock
from bot.core.usecases.refused import Refused
from bot.onebot.context import QQContext
from bot.onebot.handlers.choices import model, numbered_answer, roles
from bot.onebot.handlers.draw import draw, video
from bot.onebot.handlers.received import save_picture
from bot.onebot.handlers.settings import settings
from bot.onebot.handlers.video import help_text, remix, role, story
from bot.onebot.outbound.plaintext import forward_nodes, plan_answer
from bot.onebot.outbound.replies import chat_of, ids_of, refuse, reply, send
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import MessageEvent
from bot.onebot.protocol.transport import ActionFailed, OneBotError

log = logging.getLogger(__name__)


async def _replied_to_bot(adapter: QQContext, event: MessageEvent) -> bool:
    replied = seg.reply_id(event.message)
    if replied is None:
        return False
    try:
        original = await adapter.server.get_msg(replied, self_id=event.self_id)
    except OneBotError:
        return False
    sender = original.get("sender") or {}
    return str(sender.get("user_id")) == str(event.self_id)


async def handle_message(adapter: QQContext, event: MessageEvent) -> None:
    if event.user_id == event.self_id:
        return  # our own messages echoed back
    text = seg.plain_text(event.message, self_id=event.self_id)
    command = seg.parse_command(text)
    user, chat = ids_of(event)
    control = adapter.access
    # Decided from the event itself first: a get_msg (is it a reply to us?) only for a group
    # message that replies to something, where the bot may answer at all.
    addressed = (
        not event.is_group or command is not None or seg.mentions(event.message, event.self_id)
    )
    if not addressed and (
        seg.reply_id(event.message) is None
        or not control.is_allowed(user, chat)
        or not await _replied_to_bot(adapter, event)
    ):
        return
    knock = Knock(user, chat, event.is_group, command=command.name if command else None)
    verdict = adapter.gate.check(knock)  # the core's decision (bot/core/usecases/gate.py)
    if verdict.passes and command is not None and command.name in ADMIN_COMMANDS:
        await _admin(adapter, event, command.name, command.args.split())
        return
    if not verdict.passes:
        if verdict.text is not None:
            # A refusal is sent as a low-priority message (a stranger's flood must not delay
            # answers); a cooldown notice as a reply.
            send_it = refuse if verdict.reason == "denied" else reply
            await send_it(adapter, event, verdict.text)
        return
    if command is None:
        if not await numbered_answer(adapter, event, text):  # "2" answering a numbered list
            await chat_turn(adapter, event, text)
        return
    match command.name:
        case "start" | "help":
            await reply(adapter, event, help_text(adapter))
        case "new":
            key = conversation_key(chat, user, not event.is_group)
            forgotten = await adapter.services.chat.forget(key)
            await reply(
                adapter, event,
                texts.NEW_CONVERSATION if forgotten else texts.NEW_CONVERSATION_EMPTY,
            )  # fmt: skip
        case "usage":
            await reply(adapter, event, await usage_text(adapter, user))
        case "ask":
            await chat_turn(adapter, event, command.args)
        case "draw":
            await draw(adapter, event, command.args)
        case "model":
            await model(adapter, event, command.args)
        case "video":
            await video(adapter, event, command.args)
        case "settings":
            await settings(adapter, event, command.args)
        case "remix":
            await remix(adapter, event, command.args)
        case "role":
            await role(adapter, event, command.args)
        case "roles":
            await roles(adapter, event, command.args)
        case "story":
            await story(adapter, event, command.args)
        case _:
            await reply(adapter, event, texts.QQ_NOT_YET)


async def usage_text(adapter: QQContext, user: int) -> str:
    return await usage_report(adapter.access, user, adapter.settings.quota_timezone)


async def chat_turn(adapter: QQContext, event: MessageEvent, question: str) -> None:
    """One answer, sent whole once generated (QQ cannot edit messages). Length, picture count
    (DRAW_MAX_REFERENCES, as /画图) and quota are checked before any picture is fetched."""
    question = question.strip()
    pictures = seg.image_sources(event.message)
    if not question:
        await reply(adapter, event, texts.QQ_PHOTO_NO_TEXT if pictures else texts.ASK_EMPTY)
        return
    svc = adapter.services
    most = svc.settings.draw_max_references
    if len(pictures) > most:
        await reply(adapter, event, texts.DRAW_TOO_MANY_REFERENCES.format(limit=most))
        return
    user, chat = ids_of(event)
    # Length, quota, then its place in the line, taken on arrival, before any picture.
    queued = await begin_chat_turn(svc, user, chat, not event.is_group, question)
    if isinstance(queued, Refused):
        await reply(adapter, event, queued.text)
        return
    try:
        if queued.note:
            with contextlib.suppress(OneBotError):
                await reply(adapter, event, queued.note)
        images = await _images(adapter, event, pictures)
        if images is not None:
            async with queued:  # one answer at a time per conversation, in order
                await _answer(adapter, event, queued, question, images)
    finally:
        queued.end()  # the quota hold and the place, also when a picture could not be used


async def _images(
    adapter: QQContext, event: MessageEvent, pictures: list[seg.MediaSource]
) -> list[ImageInput] | None:
    """The pictures sent with the question, for the model; None when one cannot be used (the
    user was told why)."""
    images: list[ImageInput] = []
    for source in pictures:
        saved = await save_picture(adapter, source)
        if isinstance(saved, str):
            await reply(adapter, event, saved)
            return None
        data = await asyncio.to_thread(saved.read_bytes)  # capped at DRAW_MAX_REFERENCE_MB
        images.append(ImageInput(data, sniff_mime(data[:64]) or "image/jpeg"))
    return images


async def _answer(
    adapter: QQContext, event: MessageEvent, queued: QueuedTurn, question: str,
    images: list[ImageInput],
) -> None:  # fmt: skip
    svc = adapter.services
    user, _ = ids_of(event)
    turn = await svc.chat.start_turn(queued.key, user, question, images)
    pieces: list[str] = []
    try:
        async for piece in svc.chat.stream(turn):
            pieces.append(piece)
    except Exception as exc:  # provider trouble: a Chinese sentence, details in the log
        await reply(adapter, event, describe_error(exc))
        return
    answer = "".join(pieces)
    if not answer.strip():
        await reply(adapter, event, texts.ERR_INTERNAL)
        return
    await send_answer(adapter, event, answer)
    await queued.answered(turn, answer)


async def send_answer(adapter: QQContext, event: MessageEvent, markdown: str) -> None:
    """Plain text: a few messages (the first replying to the question) or one merged forward."""
    how, parts = plan_answer(markdown)
    if how == "forward":
        chat = chat_of(event)
        nodes = forward_nodes(parts, user_id=event.self_id, nickname=texts.QQ_ANSWER_TITLE)
        try:
            await adapter.pacer.wait(chat.key)
            await adapter.server.send_forward(chat, nodes, self_id=event.self_id)
            return
        except ActionFailed:
            log.info(texts.LOG_MERGED_FORWARD_REFUSED_SENDING_ANSWER)
    for number, part in enumerate(parts):
        head = [seg.reply(event.message_id)] if number == 0 else []
        await send(adapter, event, [*head, seg.text(part)])


async def _admin(adapter: QQContext, event: MessageEvent, name: str, args: list[str]) -> None:
    """/allow /deny <id> (qq:123, qqgroup:456 or a Telegram id; in a group without id: the
    group), /quota <id> [<kind> <n|default>], /stats (/统计), /providers (/服务商),
    /resend <任务编号>."""
    if name == "resend":
        await _resend(adapter, event, args)
        return
    control = adapter.access
    if name == "stats":
        await reply(adapter, event, stats_text(await control.stats()))
        return
    if name == "providers":
        await reply(adapter, event, await providers_text(status_checks(adapter.services)))
        return
    admin, chat = ids_of(event)
    if name == "console":
        await reply(adapter, event, await console_link_text(
            adapter.services.db, adapter.settings, admin, private=not event.is_group,
            command=seg.shown_command("console")))  # fmt: skip
        return
    target: int | None = None
    if args:
        try:
            target = identity.parse(args[0])
        except ValueError:
            target = None
    elif event.is_group and name != "quota":
        target = chat
    if name in ("allow", "deny"):
        allowed = name == "allow"
        if not target:
            await reply(adapter, event,
                        texts.ADMIN_USAGE_ALLOW if allowed else texts.ADMIN_USAGE_DENY)  # fmt: skip
            return
        shown = identity.display(target)
        if not allowed and control.is_admin(target):
            await reply(adapter, event, texts.ADMIN_CANNOT_DENY_ADMIN.format(target=shown))
            return
        await control.set_allowed(target, allowed, admin)
        log.info(texts.LOG_ADMIN_ACCESS, identity.display(admin), name, shown)
        template = texts.ADMIN_TARGET_GROUP if target < 0 else texts.ADMIN_TARGET_USER
        done = texts.ADMIN_ALLOWED if allowed else texts.ADMIN_DENIED
        await reply(adapter, event, done.format(target=template.format(id=shown)))
        return
    if not target:
        await reply(adapter, event, texts.ADMIN_USAGE_QUOTA)
        return
    shown = identity.display(target)
    if len(args) == 1:
        limits = await control.limits(target)
        lines = "\n".join(
            f"{texts.QUOTA_KIND_NAMES[k]}（{k}）：{limits[k] if limits[k] is not None else '∞'}"
            for k in QUOTA_KINDS
        )
        await reply(adapter, event, texts.ADMIN_QUOTA_SHOW.format(user_id=shown, lines=lines))
        return
    kind = args[1].lower() if len(args) == 3 else ""
    raw = args[2].lower() if len(args) == 3 else ""
    value: int | None = None
    if raw in texts.ADMIN_QUOTA_DEFAULT_WORDS:
        value = None
    elif raw.isdecimal():
        value = int(raw)
    else:
        kind = ""
    if kind not in QUOTA_KINDS:
        await reply(adapter, event, texts.ADMIN_USAGE_QUOTA)
        return
    await control.set_quota(target, kind, value)
    name_text = texts.QUOTA_KIND_NAMES[kind]
    if value is None:
        default = control.default_limits()[kind]
        await reply(adapter, event, texts.ADMIN_QUOTA_RESET.format(
            user_id=shown, name=name_text, value=default))  # fmt: skip
    else:
        await reply(adapter, event, texts.ADMIN_QUOTA_SET.format(
            user_id=shown, name=name_text, value=value))  # fmt: skip


async def _resend(adapter: QQContext, event: MessageEvent, args: list[str]) -> None:
    """/resend <任务编号>: a result parked as undeliverable (refused, or maybe sent) goes out
    once more from its saved files; nothing is paid again."""
    if len(args) != 1 or not args[0].isdecimal():
        await reply(adapter, event, texts.ADMIN_USAGE_RESEND)
        return
    svc = adapter.services
    job = await svc.jobs.get(int(args[0]))
    if job is None or not await svc.runner.redeliver(job, actor=ids_of(event)[0]):
        await reply(adapter, event, texts.ADMIN_RESEND_NOT_PARKED.format(job_id=args[0]))
        return
    log.info(texts.LOG_ADMIN_RESENDS_JOB, identity.display(ids_of(event)[0]), job.id)
    await reply(adapter, event, texts.ADMIN_RESEND_STARTED.format(job_id=job.id))
