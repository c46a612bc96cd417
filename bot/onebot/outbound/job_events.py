"""Job events for QQ: status messages and durable result delivery through OneBot.

Rules:
- QQ cannot edit: a job's status is one "收到，正在生成…" message (sent when it starts) and
  one message when it fails; nothing is repeated per progress step (QQ punishes floods);
- a failure the user may submit again says how ("回复 1 重新提交"): never resubmitted by the
  bot, the user answers (bot/onebot/outbound/offers.py, bot/onebot/handlers/actions.py);
  there are no buttons to point at;
- a long video gets at most QQ_PROGRESS_MILESTONES "仍在生成…" messages, one each
  QQ_PROGRESS_MILESTONE_SECONDS of its age; milestones passed before the adapter saw the
  job (a restart) are not caught up, so a job never gets more than that many;
- results reply to the request as image / video segments (base64, so NapCat may run on
  another machine), an image with how to get another one ("发送 1 再来一张"); each sent file
  is recorded (ResultMessage, with a video's pid and length) so replies find it again
  (/续写, /角色, references);
- a video larger than QQ_VIDEO_SEGMENT_MAX_MB (or whose video segment QQ refuses) goes as a
  file upload, then a short notice that stands for it in replies; an upload QQ refuses
  becomes a link to the provider's URL with its expiry (the file stays saved);
- a character job is stored (CharacterStore) and announced with its @name;
- every send goes through the account that took the request (the job's `account_id`, QQ's
  self_id); while that account is offline delivery waits (DeliveryDelayed), never through
  another account;
- a video segment or file upload waits `media_timeout(size)` for NapCat's answer; after a
  timeout the job is marked "maybe sent" (durably) and the late answer is awaited up to
  LATE_ANSWER_WAIT: an "ok" records it as sent, a refusal means it did not arrive (then the
  next form is tried). Still unknown (no answer, connection cut, or a restart in between):
  nothing is sent again blindly, the job is parked as undeliverable with a Chinese note for
  admins (/resend sends it once more). One result, one copy;
- a permanent refusal (retcode 14xx, NapCat's "group not found" / "not in group" / "not a
  friend" wordings) ends delivery like a chat that is gone (RecipientGone);
- no OneBot connection, a cut connection or another refused send → DeliveryDelayed: the job
  stays `delivering` and the runner retries, a bounded number of times (bot/core/jobs/runner.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.core import identity, texts
from bot.core.jobs.result_links import minutes_left
from bot.core.jobs.runner import DeliveryDelayed, RecipientGone, Undeliverable
from bot.core.jobs.status import retry_offered, shown_prompt, status_text
from bot.core.media.mp4info import mp4_info
from bot.core.providers import errors
from bot.core.store.characters import CharacterStore
from bot.core.store.jobs import Job, JobStore, ResultMessage, SavedFile
from bot.onebot.capabilities import capabilities
from bot.onebot.context import QQContext
from bot.onebot.outbound import offers
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.transport import ActionFailed, ActionTimeout, ChatRef, OneBotError

log = logging.getLogger(__name__)

DELIVERY_CONNECT_WAIT = 5.0  # seconds a delivery waits for NapCat before trying again later
MB = 1024 * 1024
PROMPT_CHARS = 300  # of the prompt repeated above a link or a file notice
RUNNING_STATES = ("created", "submitting", "submitted")
# A video segment or upload makes NapCat push the whole file to QQ before it answers: a fixed
# part (decoding, QQ's upload handshake) plus the transfer at 0.5 MB/s (4 Mbit/s, a modest
# home uplink; QQ's own upload is often slower at peak hours). 100 MB → 260 s, 10 MB → 80 s.
MEDIA_TIMEOUT_BASE = 60.0
MEDIA_SECONDS_PER_MB = 2.0
# After a media timeout, NapCat's late answer is still awaited this long (it answers once
# QQ has the file); beyond it the outcome stays unknown and the job is parked for admins.
LATE_ANSWER_WAIT = 600.0
T = TypeVar("T")


def media_timeout(size: int) -> float:
    return MEDIA_TIMEOUT_BASE + size / MB * MEDIA_SECONDS_PER_MB


def chat_gone(exc: ActionFailed) -> bool:
    """A refusal that will not change by trying again: the request is malformed for this
    chat (retcode 1400-class) or the account is no longer in the group / a friend."""
    message = exc.message.lower()
    return 1400 <= exc.retcode < 1500 or any(w in message for w in texts.ONEBOT_GONE_WORDINGS)


def chat_ref(chat_id: int) -> ChatRef:
    number = identity.raw_qq(chat_id)
    return ChatRef("group", number) if identity.is_group(chat_id) else ChatRef("private", number)


# Telegram's wording points at a button; QQ has none (the retry offer follows the text).
_NO_BUTTONS = {texts.JOB_INTERRUPTED: texts.QQ_JOB_INTERRUPTED,
               texts.JOB_SUBMIT_UNCLEAR: texts.QQ_JOB_SUBMIT_UNCLEAR}  # fmt: skip


def failure_text(job: Job) -> str:
    if job.failure == "undeliverable" and job.maybe_sent_at is not None:
        return texts.QQ_MAYBE_SENT  # it may have arrived: not "refused"
    text = status_text(job)
    for telegram, qq in _NO_BUTTONS.items():
        text = text.replace(telegram, qq)
    return text


class QQJobEvents:
    def __init__(self, adapter: QQContext, store: JobStore) -> None:
        self.adapter = adapter
        self.store = store
        self.capabilities = capabilities(adapter.settings)
        self._told: set[int] = set()  # jobs whose failure was already shown
        self._tasks: set[asyncio.Task[None]] = set()
        self._milestones: dict[int, asyncio.Task[None]] = {}  # job id → its milestone timer

    async def on_change(self, job: Job) -> None:
        if job.state in ("failed", "interrupted") and job.id not in self._told:
            self._told.add(job.id)
            self._background(self._tell(job))
        elif job.state == "submitting" and job.connect_retries == 1:
            # QQ cannot edit the "排队中" it said: one message that the bot is connecting.
            self._background(self._tell_connecting(job))
        elif job.kind == "video" and job.state in RUNNING_STATES and job.id not in self._milestones:
            settings = self.adapter.settings
            if settings.qq_progress_milestone_seconds > 0 and settings.qq_progress_milestones > 0:
                # The runner keeps updating this same Job object: the timer reads its state.
                task = asyncio.create_task(self._milestones_of(job))
                self._milestones[job.id] = task
                task.add_done_callback(lambda _t, jid=job.id: self._milestones.pop(jid, None))

    def _background(self, work: object) -> None:
        task = asyncio.create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tell(self, job: Job) -> None:
        text = failure_text(job)
        retry = retry_offered(job)
        if retry:
            await offers.offer(self.adapter, job)
            unclear = job.state == "interrupted"
            text += "\n" + (texts.QQ_RETRY_OFFER_UNCLEAR if unclear else texts.QQ_RETRY_OFFER)
        try:
            message_id = await self._send(job, [seg.text(text)])
        except OneBotError:
            log.warning(texts.LOG_JOB_FAILURE_NOTICE_NOT_SENT, job.id, exc_info=True)
            return
        if retry:
            await offers.offered(self.adapter, job, message_id)

    async def _tell_connecting(self, job: Job) -> None:
        try:
            await self._send(job, [seg.text(status_text(job))])
        except OneBotError:  # a status only: the job goes on
            log.info(texts.LOG_JOB_CONNECTING_NOTICE_NOT_SENT, job.id, exc_info=True)

    async def _milestones_of(self, job: Job) -> None:
        every = float(self.adapter.settings.qq_progress_milestone_seconds)
        most = self.adapter.settings.qq_progress_milestones
        number = int(job.elapsed // every) + 1  # milestones already passed are not caught up
        while number <= most:
            await asyncio.sleep(max(0.0, number * every - job.elapsed))
            if job.state not in RUNNING_STATES:
                return
            if job.state == "submitted":  # still queued or being submitted: nothing to tell
                text = texts.QQ_JOB_STILL_RUNNING + "\n" + status_text(job)
                try:
                    await self._send(job, [seg.text(text)])
                except OneBotError:  # a status only: the result still comes
                    log.info(texts.LOG_JOB_MILESTONE_NOT_SENT, job.id, exc_info=True)
            number += 1

    async def _send(self, job: Job, message: list[seg.Segment], **kw: object) -> int:
        chat = chat_ref(job.chat_id)
        head = [seg.reply(job.reply_to_id)] if job.reply_to_id else []
        await self.adapter.pacer.wait(chat.key)
        return await self.adapter.server.send(chat, [*head, *message], self_id=job.account_id,
                                              **kw)  # type: ignore[arg-type]  # fmt: skip

    async def _media(self, job: Job, size: int, send: Callable[..., Awaitable[T]]) -> T:
        """A media send with a timeout that grows with the file; see the module rules."""
        try:
            return await send(answer_timeout=media_timeout(size), keep_late=True)
        except ActionTimeout as exc:
            if exc.late is None:
                raise
            await self.store.update(job, maybe_sent_at=time.time())
            log.warning(texts.LOG_QQ_MEDIA_MAYBE_SENT, job.id, media_timeout(size))
            try:
                async with asyncio.timeout(LATE_ANSWER_WAIT):
                    result: Any = await exc.late
            except ActionFailed:  # the late answer says it did not arrive: safe to go on
                await self.store.update(job, maybe_sent_at=None)
                raise
            except (TimeoutError, OneBotError):  # still unknown: never upload blindly again
                raise Undeliverable(texts.QQ_MAYBE_SENT_NOTE.format(job_id=job.id)) from None
            await self.store.update(job, maybe_sent_at=None)
            return result  # type: ignore[no-any-return]

    async def deliver(self, job: Job) -> None:
        if job.maybe_sent_at is not None:  # a send of it timed out before a restart
            raise Undeliverable(texts.QQ_MAYBE_SENT_NOTE.format(job_id=job.id))
        try:
            if job.kind == "character":
                await self._deliver_character(job)
                return
            sent = {m.path for m in await self.store.result_messages_of(job.id)}
            for index, file in enumerate(job.files):
                if file.path in sent:
                    continue
                if file.mime.startswith("video/"):
                    pid = job.results[index].pid if index < len(job.results) else None
                    await self._deliver_video(job, index, file, pid)
                    continue
                picture = seg.image(Path(file.path).read_bytes())
                message_id = await self._send(
                    job, [picture, seg.text(texts.QQ_RESULT_ACTIONS)],
                    connect_wait=DELIVERY_CONNECT_WAIT,
                )  # fmt: skip
                await self.store.add_result_message(ResultMessage(
                    chat_id=job.chat_id, message_id=message_id, job_id=job.id, kind=job.kind,
                    file_id=None, path=file.path, width=file.width, height=file.height,
                ))  # fmt: skip
        except ActionFailed as exc:
            if chat_gone(exc):
                raise RecipientGone(f"QQ: {exc}") from exc
            raise DeliveryDelayed(f"QQ: {exc}") from exc
        except OneBotError as exc:  # not connected, cut: try again later
            raise DeliveryDelayed(f"QQ: {type(exc).__name__}") from exc

    async def _deliver_video(self, job: Job, index: int, file: SavedFile, pid: str | None) -> None:
        path = Path(file.path)
        info = await asyncio.to_thread(mp4_info, path)
        # The container knows best; otherwise the length that was asked for.
        seconds = info.duration if info and info.duration else job.request.params.get("duration")
        link = ResultMessage(
            chat_id=job.chat_id, message_id=0, job_id=job.id, kind="video", file_id=None,
            path=file.path, pid=pid, width=info.width if info else file.width,
            height=info.height if info else file.height,
            duration=round(float(seconds)) if seconds else None,  # type: ignore[arg-type]
        )  # fmt: skip
        limit = self.capabilities.max_inline_video_bytes
        if file.size <= limit:
            video = [seg.video(await asyncio.to_thread(path.read_bytes))]
            try:
                link.message_id = await self._media(job, file.size, lambda **kw: self._send(
                    job, video, connect_wait=DELIVERY_CONNECT_WAIT, **kw))  # fmt: skip
                await self.store.add_result_message(link)
                return
            except ActionFailed as exc:  # QQ refused the segment (too big for it): upload
                if chat_gone(exc):
                    raise
                log.info(texts.LOG_JOB_VIDEO_SEGMENT_REFUSED_UPLOADING, job.id)
        size_mb = f"{file.size / MB:.0f}"
        try:
            await self._media(job, file.size, lambda **kw: self.adapter.server.upload_file(
                chat_ref(job.chat_id), path, path.name, self_id=job.account_id,
                connect_wait=DELIVERY_CONNECT_WAIT, **kw))  # fmt: skip
        except ActionFailed as exc:  # refused outright (size, rights): the provider's link
            if chat_gone(exc):
                raise
            log.info(texts.LOG_JOB_FILE_UPLOAD_REFUSED_SENDING, job.id)
            link.message_id = await self._send(
                job, [seg.text(await self._link_text(job, file, size_mb))],
                connect_wait=DELIVERY_CONNECT_WAIT,
            )  # fmt: skip
            await self.store.add_result_message(link)
            return
        link.message_id = -(job.id * 1000 + index)  # an upload has no message id
        await self.store.add_result_message(link)
        # A notice replying to the request: the upload itself cannot be replied to.
        notice = texts.QQ_VIDEO_SENT_AS_FILE.format(prompt=_prompt(job), size_mb=size_mb)
        try:
            link.message_id = await self._send(job, [seg.text(notice)])
        except OneBotError:  # the video itself went out: the notice is not worth a retry
            log.info(texts.LOG_JOB_NOTICE_UPLOADED_VIDEO_NOT, job.id, exc_info=True)
            return
        await self.store.add_result_message(link)

    async def _link_text(self, job: Job, file: SavedFile, size_mb: str) -> str:
        minutes = await asyncio.to_thread(minutes_left, file)
        if file.url and minutes is not None:
            return texts.QQ_VIDEO_TOO_BIG_LINK.format(
                prompt=_prompt(job), size_mb=size_mb, url=file.url,
                expires=texts.VIDEO_LINK_EXPIRES.format(minutes=minutes),
            )  # fmt: skip
        return texts.QQ_VIDEO_TOO_BIG_NO_LINK.format(prompt=_prompt(job), size_mb=size_mb)

    async def _deliver_character(self, job: Job) -> None:
        if await self.store.result_messages_of(job.id):
            return  # told before a restart
        item = next((r for r in job.results if r.character_id), None)
        if item is None or item.character_id is None:
            raise errors.TaskFailed("no character id")
        # Idempotent per (job, character): a retried delivery finds the same row.
        character = await CharacterStore(self.store.db).add(job.user_id, item.character_id, job.id)
        text = texts.QQ_ROLE_CREATED.format(character_id=character.character_id,
                                            name=character.name)  # fmt: skip
        message_id = await self._send(job, [seg.text(text)], connect_wait=DELIVERY_CONNECT_WAIT)
        await self.store.add_result_message(ResultMessage(
            chat_id=job.chat_id, message_id=message_id, job_id=job.id, kind="character",
            file_id=None, path=None, pid=character.character_id,
        ))  # fmt: skip

    async def send_text(self, job: Job, text: str) -> None:
        """A text to the job's chat, replying to its request (best effort: never raises)."""
        try:
            await self._send(job, [seg.text(text)])
        except OneBotError:
            log.info(texts.LOG_JOB_TEXT_NOT_SENT, job.id, exc_info=True)

    async def close(self) -> None:
        for task in [*self._tasks, *self._milestones.values()]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._milestones.values(), return_exceptions=True)


def _prompt(job: Job) -> str:
    prompt = shown_prompt(job.request).strip()
    return prompt if len(prompt) <= PROMPT_CHARS else prompt[:PROMPT_CHARS] + "…"
