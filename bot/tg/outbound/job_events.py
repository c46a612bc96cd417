"""The Telegram side of generation jobs: the status message and the delivered results.

Rules: a transient Telegram failure (5xx, timeout, network error through the proxy, 429 after
the limiter's retries) never ends a job — delivery raises DeliveryDelayed and the runner tries
again later; the status painter keeps retrying too, so the user sees the outcome once Telegram
is back. Only a chat that is gone for good (blocked, deleted, kicked) ends delivery. A group
upgraded to a supergroup is followed (migrate_to_chat_id), a deleted topic is left (the result
goes to the chat itself). Other permanent refusals get a fallback first (a photo Telegram
cannot process goes as a file, a video as a document); when every form is refused the job is
parked as undeliverable: the user is told in Chinese, an admin can resend it (/resend). Each
part of a result (photo, the original file, a video) is recorded once sent and never sent
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)

from bot.core import texts
from bot.core.jobs.runner import DeliveryDelayed, JobRunner, RecipientGone, Undeliverable
from bot.core.jobs.status import retry_offered, status_text
from bot.core.platform import Capabilities
from bot.core.store.jobs import Job, JobStore, ResultMessage, SavedFile
from bot.tg.capabilities import TELEGRAM
from bot.tg.outbound.addressing import about_the_place, chat_gone, job_button, reply_to_job
from bot.tg.outbound.pacing import Priority, budget
from bot.tg.outbound.video_delivery import deliver_video_job

log = logging.getLogger(__name__)

# Telegram's photo rules: at most 10 MB, width + height ≤ 10000, ratio ≤ 20; above ~1280 px
# on the long side the photo is visibly recompressed, so the original goes out as a file too.
PHOTO_MAX_BYTES = TELEGRAM.max_photo_bytes or 0
PHOTO_MAX_SIDE_SUM = 10000
PHOTO_MAX_RATIO = 20
PHOTO_LOSSLESS_SIDE = 1280
FINAL_STATES = ("done", "failed", "interrupted")
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}
MAX_MIGRATIONS = 3  # a chat is upgraded once; more hops would be a loop


def delivery_problem(exc: TelegramError) -> DeliveryDelayed | RecipientGone | None:
    """What a Telegram failure means for delivering a result: wait and retry, give up for
    good, or None (a request Telegram refuses as such: not worth repeating; ChatMigrated is
    followed by the caller)."""
    if isinstance(exc, Forbidden):
        return RecipientGone(str(exc))
    if isinstance(exc, BadRequest):
        return RecipientGone(str(exc)) if chat_gone(exc) else None
    if isinstance(exc, ChatMigrated):
        return None
    if isinstance(exc, RetryAfter):
        return DeliveryDelayed("429", retry_after=exc._retry_after.total_seconds())
    # TimedOut, NetworkError (5xx, proxy and connection errors), odd answers: Telegram's side.
    return DeliveryDelayed(type(exc).__name__)


def _hidden_state(job: Job) -> bool:
    # Downloading and sending an image take well under a second; an edit saying so would only
    # queue ahead of the photo in the chat's pace. A delivery that had to wait is shown.
    return (
        job.kind == "image"
        and job.state in ("downloading", "delivering")
        and not job.delivery_failures
    )


def status_budget(final: bool, retries: int | None = 0) -> dict[str, object]:
    """Status edits spend what results leave of the Telegram budget; a final state is a result."""
    if final:
        return budget(Priority.RESULT)
    return budget(Priority.STATUS, retries)


def streamed(handle: BinaryIO, name: str) -> InputFile:
    """An upload httpx reads from the open file while sending, instead of PTB reading it whole
    into memory when the call is made (which may be long before its turn in the budget)."""
    return InputFile(handle, filename=name, read_file_handle=False)


def photo_fits(file: SavedFile) -> bool:
    if file.size > PHOTO_MAX_BYTES or not file.width or not file.height:
        return False
    w, h = file.width, file.height
    return w + h <= PHOTO_MAX_SIDE_SUM and max(w, h) / max(1, min(w, h)) <= PHOTO_MAX_RATIO


def photo_would_be_recompressed(file: SavedFile, image_size: str | None) -> bool:
    longest = max(file.width or 0, file.height or 0)
    return image_size in ("2K", "4K") or longest > PHOTO_LOSSLESS_SIDE or not photo_fits(file)


class TelegramJobEvents:
    """Implements the runner's JobEvents with one status message per job."""

    def __init__(
        self,
        bot: Bot,
        store: JobStore,
        runner: JobRunner,
        min_interval: float,
        *,
        kind_intervals: Mapping[str, float] | None = None,
        capabilities: Capabilities = TELEGRAM,
        retry_min: float = 2.0,
        retry_max: float = 300.0,
    ) -> None:
        self.bot = bot
        self.store = store
        self.runner = runner
        self.min_interval = min_interval
        # Per kind, a longer minimum between status edits (videos run for minutes).
        self.kind_intervals = dict(kind_intervals or {})
        # What the core may expect of Telegram here, with this deployment's upload limit.
        self.capabilities = capabilities
        # A status that could not be shown is tried again after min, doubling up to max seconds.
        self.retry_min = retry_min
        self.retry_max = retry_max
        self._shown: dict[int, tuple[str, float]] = {}  # job id → (text, when) on screen
        self._jobs: dict[int, Job] = {}  # the newest state of each job being shown
        self._painters: dict[int, asyncio.Task[None]] = {}
        self._dirty: set[int] = set()  # changed while its painter was busy
        self._wake: dict[int, asyncio.Event] = {}  # set on each change, ends a throttle wait

    # -- status ------------------------------------------------------------------------------

    async def on_change(self, job: Job) -> None:
        """Note the new state; a per-job painter shows the latest one in the background.

        Never waits for Telegram: a status edit queued behind the chat's pace must not delay
        the submit, the polling or the delivery of the result itself.
        """
        self._jobs[job.id] = job
        painter = self._painters.get(job.id)
        if painter is None or painter.done():
            self._painters[job.id] = asyncio.create_task(self._paint(job.id))
        else:
            self._dirty.add(job.id)
            self._wake.setdefault(job.id, asyncio.Event()).set()

    def note_shown(self, job: Job, text: str) -> None:
        """The status message was just sent with `text` (by the handler that started the job)."""
        self._shown[job.id] = (text, time.monotonic())

    async def close(self) -> None:
        for painter in list(self._painters.values()):
            painter.cancel()
        for painter in list(self._painters.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await painter
        self._painters.clear()

    async def _paint(self, job_id: int) -> None:
        failures = migrations = 0
        try:
            while True:
                self._dirty.discard(job_id)
                job = self._jobs[job_id]
                final = job.state in FINAL_STATES
                last_text, last_at = self._shown.get(job_id, ("", 0.0))
                interval = max(self.min_interval, self.kind_intervals.get(job.kind, 0.0))
                wait = last_at + interval - time.monotonic()
                if not final and wait > 0:
                    # Wait out the interval, but wake for each change: a final state is shown
                    # at once, and the clock is read again (tests run on a fake clock).
                    wake = self._wake.setdefault(job_id, asyncio.Event())
                    wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), wait)
                    continue
                text = status_text(job, self.runner.queue_position(job.id))
                if _hidden_state(job):
                    text = last_text
                if text != last_text:
                    try:
                        await self._show_status(job, text, self._markup(job), final)
                    except ChatMigrated as exc:
                        migrations += 1
                        if migrations > MAX_MIGRATIONS:
                            raise
                        await self._follow_migration(job, exc.new_chat_id)
                        continue
                    except TelegramError as exc:
                        if not isinstance(delivery_problem(exc), DeliveryDelayed):
                            raise
                        # Telegram is unwell: show the newest state once it is back.
                        failures += 1
                        delay = min(self.retry_max, self.retry_min * 2 ** min(failures - 1, 20))
                        log.info(texts.LOG_STATUS_JOB_NOT_SHOWN_RETRY, job_id,
                                 type(exc).__name__, delay)  # fmt: skip
                        wake = self._wake.setdefault(job_id, asyncio.Event())
                        wake.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wake.wait(), delay)
                        continue
                    failures = 0
                    self._shown[job_id] = (text, time.monotonic())
                if final or job_id not in self._dirty:
                    break
        except Exception:  # showing progress must never break anything else
            log.warning(texts.LOG_STATUS_UPDATE_JOB_FAILED, job_id, exc_info=True)
        finally:
            if self._jobs.get(job_id) is not None and self._jobs[job_id].state in FINAL_STATES:
                self._jobs.pop(job_id, None)
                self._shown.pop(job_id, None)
            self._painters.pop(job_id, None)
            self._wake.pop(job_id, None)

    async def _follow_migration(self, job: Job, new_chat_id: int) -> None:
        """The group became a supergroup: everything goes to the new chat from now on (old
        message ids, topics and the status message do not exist there)."""
        log.info(texts.LOG_JOB_CHAT_MOVED, job.id, job.chat_id, new_chat_id)
        await self.store.update(job, chat_id=new_chat_id, thread_id=None, reply_to_id=None,
                                status_message_id=None)  # fmt: skip
        self._shown.pop(job.id, None)

    @staticmethod
    def _markup(job: Job) -> InlineKeyboardMarkup | None:
        if retry_offered(job):
            return InlineKeyboardMarkup([[job_button(texts.BUTTON_RETRY, "retry", job)]])
        return None

    async def _show_status(
        self, job: Job, text: str, markup: InlineKeyboardMarkup | None, final: bool
    ) -> None:
        if job.status_message_id is not None:
            try:
                await self.bot.edit_message_text(
                    text, job.chat_id, job.status_message_id, reply_markup=markup,
                    rate_limit_args=status_budget(final),
                )  # fmt: skip
                return
            except RetryAfter:
                if final:
                    raise
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
                if "not found" not in str(exc).lower():
                    raise
        # No status message yet, or the user deleted it: post a fresh one.
        message = await self.bot.send_message(
            job.chat_id, text, reply_markup=markup, message_thread_id=job.thread_id,
            reply_parameters=reply_to_job(job), rate_limit_args=status_budget(final, None),
        )  # fmt: skip
        await self.store.update(job, status_message_id=message.message_id)

    # -- results -----------------------------------------------------------------------------

    async def deliver(self, job: Job) -> None:
        """Send what is not sent yet; Telegram failures become DeliveryDelayed/RecipientGone.

        A permanent refusal that is about the topic or the replied message (a deleted forum
        topic) is answered by sending into the chat itself (durably: the job forgets both);
        any other permanent refusal, once the fallbacks below were tried (a photo goes as a
        file), parks the result as Undeliverable: the user is told, an admin can resend it."""
        for _ in range(MAX_MIGRATIONS + 1):
            try:
                await self._deliver_missing(job)
                return
            except ChatMigrated as exc:
                await self._follow_migration(job, exc.new_chat_id)
            except TelegramError as exc:
                problem = delivery_problem(exc)
                if problem is not None:
                    raise problem from exc
                if about_the_place(exc) and (job.thread_id or job.reply_to_id):
                    log.info(texts.LOG_JOB_PLACE_REFUSED_SENDING_TO_CHAT, job.id, exc)
                    await self.store.update(job, thread_id=None, reply_to_id=None)
                    continue
                raise Undeliverable(str(exc)) from exc
        raise DeliveryDelayed("chat migrated repeatedly")

    async def _deliver_missing(self, job: Job) -> None:
        sent = await self.store.result_messages_of(job.id)
        if job.kind == "image":
            for file in job.files:
                parts = {m.part: m for m in sent if m.path == file.path}
                if None not in parts:  # None: recorded whole before parts were kept
                    await self._deliver_image(job, file, parts)
        else:  # videos and characters: bot/tg/outbound/video_delivery.py
            await deliver_video_job(self, job, {m.path for m in sent})

    async def _deliver_image(
        self, job: Job, file: SavedFile, done: Mapping[str | None, ResultMessage]
    ) -> None:
        """The photo, then (if the photo would lose detail) the original as a file; a part
        recorded in `done` was sent before and is skipped."""
        image_size = job.request.params.get("image_size")
        caption = self._image_caption(job, file)
        buttons = InlineKeyboardMarkup(
            [[job_button(texts.BUTTON_AGAIN, "again", job),
              job_button(texts.BUTTON_USE_AS_REFERENCE, "ref", job)]]
        )  # fmt: skip
        name = Path(file.path).stem + EXTENSIONS.get(file.mime, ".png")
        photo_id: int | None = done["photo"].message_id if "photo" in done else None
        if photo_fits(file) and photo_id is None:
            try:
                with open(file.path, "rb") as handle:
                    sent_photo = await self.bot.send_photo(
                        job.chat_id, streamed(handle, name), caption=caption,
                        reply_markup=buttons, reply_parameters=reply_to_job(job),
                        message_thread_id=job.thread_id,
                    )  # fmt: skip
            except BadRequest as exc:
                if delivery_problem(exc) is not None or about_the_place(exc):
                    raise
                # E.g. IMAGE_PROCESS_FAILED: Telegram cannot make a photo of it; the file
                # itself, sent as a document below (with the caption and buttons), still goes.
                log.warning(texts.LOG_JOB_PHOTO_REFUSED_SENDING_FILE, job.id, exc)
            else:
                await self._remember(job, sent_photo, file, sent_photo.photo[-1].file_id,
                                     "photo")  # fmt: skip
                photo_id = sent_photo.message_id
        if "document" in done:
            return
        if photo_id is None or photo_would_be_recompressed(file, image_size):
            with open(file.path, "rb") as handle:
                sent_doc = await self.bot.send_document(
                    job.chat_id, streamed(handle, name), filename=name,
                    caption=texts.DRAW_ORIGINAL_FILE.format(width=file.width, height=file.height)
                    if photo_id else caption,
                    reply_markup=None if photo_id else buttons,
                    reply_parameters=ReplyParameters(photo_id, allow_sending_without_reply=True)
                    if photo_id else reply_to_job(job),
                    message_thread_id=job.thread_id, disable_content_type_detection=True,
                )  # fmt: skip
            assert sent_doc.document is not None
            await self._remember(job, sent_doc, file, sent_doc.document.file_id, "document")

    def _image_caption(self, job: Job, file: SavedFile) -> str:
        prompt = job.request.prompt
        caption = texts.DRAW_CAPTION.format(
            prompt=prompt if len(prompt) <= 700 else prompt[:700] + "…"
        )
        note = size_mismatch_note(job, file)
        return caption + ("\n\n" + note if note else "")

    async def _remember(
        self, job: Job, message: Message, file: SavedFile, file_id: str, part: str
    ) -> None:
        await self.store.add_result_message(
            ResultMessage(
                chat_id=message.chat_id, message_id=message.message_id, job_id=job.id,
                kind=job.kind, file_id=file_id, path=file.path, width=file.width,
                height=file.height, part=part,
            )
        )  # fmt: skip

    async def send_text(self, job: Job, text: str) -> None:
        with contextlib.suppress(TelegramError):
            await self.bot.send_message(
                job.chat_id, text, reply_parameters=reply_to_job(job),
                message_thread_id=job.thread_id,
            )  # fmt: skip


# Nano Banana's output sizes: the long side is about 1024 / 2048 / 4096 px.
_SIZE_LONG_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}


def size_mismatch_note(job: Job, file: SavedFile) -> str:
    """Gateways sometimes ignore aspectRatio/imageSize silently: say so when it happened."""
    if not file.width or not file.height:
        return ""
    params = job.request.params
    asked: list[str] = []
    ratio = str(params.get("aspect_ratio") or "auto")
    if ratio != "auto":
        rw, rh = (int(x) for x in ratio.split(":"))
        if abs(file.width / file.height - rw / rh) > 0.03 * (rw / rh):
            asked.append(texts.DRAW_ASKED_RATIO.format(ratio=ratio))
    size = str(params.get("image_size") or "")
    expected = _SIZE_LONG_SIDE.get(size)
    if expected and not 0.7 * expected <= max(file.width, file.height) <= 1.3 * expected:
        asked.append(texts.DRAW_ASKED_SIZE.format(size=size))
    if not asked:
        return ""
    return texts.DRAW_SIZE_MISMATCH.format(
        width=file.width, height=file.height, asked="、".join(asked)
    )
