"""Job events for QQ: status messages and durable result delivery through OneBot.

Rules:
- QQ cannot edit: a job's status is one "收到，正在生成…" message (sent when it starts) and
  one message when it fails; nothing is repeated per progress step (QQ punishes floods);
- a failure the user may submit again says how ("回复 1 重新提交"): never resubmitted by the
  bot, the user answers (bot/onebot/actions.py); there are no buttons to point at;
- results reply to the request as image / video segments (base64, so NapCat may run on
  another machine), an image with how to get another one ("发送 1 再来一张"); each sent file is
  recorded (ResultMessage) so replies find it again;
- no OneBot connection, a cut connection or a refused send → DeliveryDelayed: the job stays
  `delivering` and the runner retries (a paid result is rather sent twice than lost).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot import identity, texts
from bot.jobs.runner import DeliveryDelayed
from bot.jobs.status import retry_offered, status_text
from bot.onebot import actions
from bot.onebot import segments as seg
from bot.onebot.context import QQContext
from bot.onebot.transport import ChatRef, OneBotError
from bot.store.jobs import Job, JobStore, ResultMessage

log = logging.getLogger(__name__)

DELIVERY_CONNECT_WAIT = 5.0  # seconds a delivery waits for NapCat before trying again later
VIDEO_SEGMENT_MAX = 100 << 20  # larger videos go as a file upload


def chat_ref(chat_id: int) -> ChatRef:
    number = identity.raw_qq(chat_id)
    return ChatRef("group", number) if identity.is_group(chat_id) else ChatRef("private", number)


# Telegram's wording points at a button; QQ has none (the retry offer follows the text).
_NO_BUTTONS = {texts.JOB_INTERRUPTED: texts.QQ_JOB_INTERRUPTED,
               texts.JOB_SUBMIT_UNCLEAR: texts.QQ_JOB_SUBMIT_UNCLEAR}  # fmt: skip


def failure_text(job: Job) -> str:
    text = status_text(job)
    for telegram, qq in _NO_BUTTONS.items():
        text = text.replace(telegram, qq)
    return text


class QQJobEvents:
    def __init__(self, adapter: QQContext, store: JobStore) -> None:
        self.adapter = adapter
        self.store = store
        self._told: set[int] = set()  # jobs whose failure was already shown
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_change(self, job: Job) -> None:
        if job.state in ("failed", "interrupted") and job.id not in self._told:
            self._told.add(job.id)
            task = asyncio.create_task(self._tell(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _tell(self, job: Job) -> None:
        text = failure_text(job)
        retry = retry_offered(job)
        if retry:
            await actions.offer(self.adapter, job)
            unclear = job.state == "interrupted"
            text += "\n" + (texts.QQ_RETRY_OFFER_UNCLEAR if unclear else texts.QQ_RETRY_OFFER)
        try:
            message_id = await self._send(job, [seg.text(text)])
        except OneBotError:
            log.warning("job %s: failure notice not sent", job.id, exc_info=True)
            return
        if retry:
            await actions.offered(self.adapter, job, message_id)

    async def _send(self, job: Job, message: list[seg.Segment], **kw: object) -> int:
        chat = chat_ref(job.chat_id)
        head = [seg.reply(job.reply_to_id)] if job.reply_to_id else []
        await self.adapter.pacer.wait(chat.key)
        return await self.adapter.server.send(chat, [*head, *message], **kw)  # type: ignore[arg-type]

    async def deliver(self, job: Job) -> None:
        sent = {m.path for m in await self.store.result_messages_of(job.id)}
        for index, file in enumerate(job.files):
            if file.path in sent:
                continue
            path = Path(file.path)
            try:
                if file.mime.startswith("video/"):
                    if file.size > VIDEO_SEGMENT_MAX:
                        chat = chat_ref(job.chat_id)
                        await self.adapter.server.upload_file(
                            chat, path, path.name, connect_wait=DELIVERY_CONNECT_WAIT
                        )
                        message_id = -(job.id * 1000 + index)  # uploads have no message id
                    else:
                        message_id = await self._send(
                            job, [seg.video(path.read_bytes())],
                            connect_wait=DELIVERY_CONNECT_WAIT,
                        )  # fmt: skip
                else:
                    message_id = await self._send(
                        job, [seg.image(path.read_bytes()), seg.text(texts.QQ_RESULT_ACTIONS)],
                        connect_wait=DELIVERY_CONNECT_WAIT,
                    )  # fmt: skip
            except OneBotError as exc:  # not connected, cut, refused: try again later
                raise DeliveryDelayed(f"QQ: {type(exc).__name__}") from exc
            await self.store.add_result_message(ResultMessage(
                chat_id=job.chat_id, message_id=message_id, job_id=job.id, kind=job.kind,
                file_id=None, path=file.path, width=file.width, height=file.height,
            ))  # fmt: skip

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
