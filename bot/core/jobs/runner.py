"""The one runner that owns every in-flight generation job (images, videos, characters).

Durability rules (never lose a paid result, never pay twice):
- the job row exists before anything goes upstream; `submitting` is committed before the
  request and `submitted` + task id right after it;
- on start-up every active job is resumed from its state; only `submitting` is not resumed
  automatically, because the provider may or may not have the task: the user is asked;
- a submit with an ambiguous outcome (5xx, read timeout, cut connection, unreadable 2xx) is
  treated the same way: never re-sent, neither to another host nor to another provider. Only
  a submit that provably never left (`NotSent`) or was refused outright (401/402/403/429)
  moves on; a `NotSent` without another provider is retried here (the status says "正在连接
  服务商，第 N 次重试…") for at most `not_sent_window` seconds from the first try: no new
  attempt starts after it, so the whole submit ends within the window plus one attempt;
- a resumed job's wait limit counts from the resume, and it is polled at least once;
- results are downloaded as soon as they are ready (URLs expire) and only then delivered;
- a delivery that fails for a transient reason (`DeliveryDelayed`: Telegram down, a proxy
  error, 429) keeps the job in `delivering` and is retried with capped backoff, across
  restarts too, at most `delivery_max_failures` times; only `RecipientGone` (blocked, chat
  deleted) ends it, and `Undeliverable` (the platform refuses the result in every form, or
  the tries ran out) parks it, files kept, for an admin to resend (`redeliver`);
- polls come more often as a job nears its end (bot/core/jobs/polling.py); a provider callback
  (bot/core/jobs/callbacks.py) only makes the next poll come at once: states, results and URLs
  are always the poll's, and polling is the safety net;
- a queued job's position is re-shown only when it changed, at most QUEUE_SHOWS_PER_INTERVAL
  times per `queue_status_interval`, with the newest value (linear in the queue, not N²);
- an operator (web console) may cancel a job only while it waits for a slot (`cancel_queued`:
  nothing has gone upstream) and may resend a finished result the chat could not take
  (`resend`: the saved files are delivered again); neither ever submits to a provider. The
  one console action that does is `submit_again`: an owner or admin knowingly submits a job
  whose submit was ambiguous once more (it may be paid twice), at most once per job, decided by
  one conditional UPDATE (bot/core/store/jobs.py claim_submit_again), then through `_submit`
  as any job; each action records its operator in the job's history (job_transitions);
- delivery holds no slot of its own: a job leaves its `max_running` slot once its result is
  downloaded, and upload slots belong to the Telegram budget (bot/tg/outbound/pacing.py), taken
  only while a file is being sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import httpx

from bot.core import texts
from bot.core.error_text import failure_reason
from bot.core.jobs.callbacks import Callbacks
from bot.core.jobs.polling import poll_delay
from bot.core.jobs.status import typical_seconds
from bot.core.media.download import (
    EXPIRY_MARGIN,
    RESULT_URL_TTL,
    UrlPolicy,
    download_result,
    save_bytes,
)
from bot.core.providers import errors
from bot.core.providers.base import GenerationProvider, GenerationRequest, ResultItem, TaskState
from bot.core.redact import scrub
from bot.core.store.jobs import AMBIGUOUS_SUBMIT_FAILURES, Job, JobStore, SavedFile

log = logging.getLogger(__name__)

# Polling errors that do not end a job: the task is still upstream, try again later.
TRANSIENT = (errors.Timeout, errors.Unreachable, errors.ServerError, errors.RateLimited,
             errors.StreamDropped)  # fmt: skip
# Submit answers that refused the request outright: nothing was created or paid, so the job
# may move to the next provider for its kind (with `errors.NotSent`: never arrived).
REFUSED = (errors.AuthError, errors.CreditsExhausted, errors.KeyForbidden,
           errors.RateLimited)  # fmt: skip
# Submit failures after which the task may exist upstream: never re-sent automatically.
AMBIGUOUS = (errors.Timeout, errors.StreamDropped, errors.ServerError, errors.Unreachable)
SUBMIT_UNCLEAR = "submit_unclear"  # failure reason of such jobs (state `interrupted`)
CONNECT_RETRY_MAX = 15.0  # seconds between two connect retries of a submit (status moves)


class DeliveryDelayed(Exception):
    """The chat side could not deliver now for a transient reason; try again later."""

    def __init__(self, detail: str = "", retry_after: float = 0.0) -> None:
        super().__init__(detail or "delivery delayed")
        self.retry_after = retry_after  # at least this long before the next try


class RecipientGone(Exception):
    """The result can never be delivered (the user blocked the bot, the chat is gone)."""


class Undeliverable(Exception):
    """The chat exists but the platform refuses this result in every form the adapter tried
    (e.g. Telegram cannot process the picture, as a photo or as a file). The job is parked as
    failed "undeliverable" with its files kept, the user is told, and an admin can send it
    again (`JobRunner.redeliver`)."""


class JobEvents(Protocol):
    """What the runner needs from the chat side (each platform adapter; bot/core/platform.py)."""

    async def on_change(self, job: Job) -> None:
        """The job's state or progress changed: show it. Must return at once (the adapter
        shows it in the background, throttled) so that showing never delays the job."""
        ...

    async def deliver(self, job: Job) -> None:
        """Send the saved result files not sent yet and record each message. Raises
        DeliveryDelayed for a transient failure (retried later) and RecipientGone when the
        chat can never receive it."""
        ...

    async def close(self) -> None:
        """Stop showing anything (shutdown)."""
        ...


# A queued job's place: the first moves show at once (its status text may be stale from the
# start), then at most this many per queue_status_interval.
QUEUE_SHOWS_PER_INTERVAL = 2


@dataclass
class RunnerConfig:
    poll_interval: Mapping[str, float] = field(
        default_factory=lambda: {"image": 1.5, "video": 6.0, "character": 3.0}
    )
    max_wait: Mapping[str, float] = field(
        default_factory=lambda: {"image": 15 * 60, "video": 45 * 60, "character": 15 * 60}
    )
    max_bytes: Mapping[str, int] = field(
        default_factory=lambda: {"image": 50 << 20, "video": 2 << 30}
    )
    # Without new progress, the status is still refreshed this often (seconds), so a video's
    # elapsed time and estimate keep moving during minutes of "running".
    heartbeat: Mapping[str, float] = field(default_factory=lambda: {"video": 30.0})
    max_running: int = 200  # jobs driven at once; more wait their turn (durable meanwhile)
    queue_status_interval: float = 10.0  # a queued job's position is re-shown this rarely
    auto_resubmits: int = 1  # failure_reason "error" is resubmitted this often (it's refunded)
    # Delivery retries after a transient failure: min doubling up to max seconds, at most
    # delivery_max_failures times; then the job is parked as undeliverable (files kept, /resend).
    # 600 tries at the 300 s cap are about 50 hours: a chat platform or NapCat down over a
    # weekend still gets its result, nothing retries for ever.
    delivery_retry_min: float = 2.0
    delivery_retry_max: float = 300.0
    delivery_max_failures: int = 600
    # A submit that never left (provider unreachable), without another provider to try, is
    # tried again for this long (seconds) before the job fails: a network blip must not end it,
    # and a user must not wait minutes for nothing (JOB_SUBMIT_CONNECT_WINDOW, 90 s).
    not_sent_window: float = 90.0


class JobRunner:
    def __init__(
        self,
        store: JobStore,
        providers: Mapping[str, GenerationProvider],
        http: httpx.AsyncClient,
        media_dir: Path,
        config: RunnerConfig | None = None,
        fallback: Callable[[GenerationRequest, str], str | None] | None = None,
        *,
        events: JobEvents | None = None,
        url_policies: Mapping[str, UrlPolicy] | None = None,
        callbacks: Callbacks | None = None,
        on_disk_full: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        # (request, failed provider) → the next provider to try, or None (see registry.py)
        self.fallback = fallback
        self.providers = providers
        self.http = http
        self.media_dir = media_dir
        self.config = config or RunnerConfig()
        # Where jobs are shown and delivered: the runtime's router, one handler per platform.
        self.events: JobEvents | None = events
        # Where each provider's result URLs may point (bot/core/media/download.py policies_for).
        self.url_policies: Mapping[str, UrlPolicy] = url_policies or {}
        # Called (synchronously) on ENOSPC: the runtime's upkeep tells the admins and sweeps.
        self.on_disk_full = on_disk_full
        self._slots = asyncio.Semaphore(self.config.max_running)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._waiting: list[int] = []  # job ids waiting for a slot, in order
        self._queued: dict[int, Job] = {}  # the same jobs, to refresh their queue position
        self._queue_notice: asyncio.Task[None] | None = None
        self._queue_wake = asyncio.Event()
        # job id → (position last shown, when the last QUEUE_SHOWS_PER_INTERVAL were shown)
        self._queue_shown: dict[int, tuple[int, tuple[float, ...]]] = {}
        # Provider callbacks (webhook mode), served by the runtime's HTTP server.
        self.callbacks: Callbacks | None = callbacks
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    # -- public -------------------------------------------------------------------------------

    async def resume(self) -> list[Job]:
        """Pick up every active job after a start: poll, download or deliver as saved."""
        resumed = []
        for job in await self.store.active():
            if job.state == "submitting":
                await self._finish(job, "interrupted", "")
                continue
            self.start(job)
            resumed.append(job)
        return resumed

    def start(self, job: Job) -> None:
        if job.id in self._tasks:
            return
        upstream = job.state != "delivering"  # a delivery waits for no slot
        if upstream:
            self._waiting.append(job.id)
            self._queued[job.id] = job
        task = asyncio.create_task(self._drive(job), name=f"job-{job.id}")
        if upstream and self._slots.locked():
            self._refresh_queue()  # show its place: the text it was created with may be stale
        self._tasks[job.id] = task
        task.add_done_callback(lambda _t, jid=job.id: self._tasks.pop(jid, None))

    async def redeliver(self, job: Job, actor: int | None = None) -> bool:
        """An admin (`actor`) sends a parked ("undeliverable") result again: its saved files,
        nothing is paid again. False when the job is not such a job."""
        if job.state != "failed" or job.failure != "undeliverable" or not job.files:
            return False
        await self.store.update(job, state="delivering", failure=None, failure_detail=None,
                                delivery_failures=0, maybe_sent_at=None, actor=actor,
                                reason="resend")  # fmt: skip
        await self._notify(job)
        self.start(job)
        return True

    def queue_ahead_of_new(self) -> int:
        """How many jobs a job started now would wait behind (0 while a slot is free)."""
        return len(self._waiting) if self._slots.locked() else 0

    def queue_position(self, job_id: int) -> int:
        """How many jobs wait before this one (0 = running or next)."""
        try:
            return self._waiting.index(job_id)
        except ValueError:
            return 0

    async def cancel_queued(self, job: Job, actor: int | None = None) -> bool:
        """An operator (`actor`) ends a job still waiting for a slot: it never went upstream,
        so nothing is paid. False once it holds a slot (its submit may be under way) or has
        moved on."""
        if job.state != "created":
            return False
        task = self._tasks.get(job.id)
        if task is not None:
            if job.id not in self._waiting:
                return False
            # No await between the check and the cancel: the job cannot take a slot meanwhile.
            self._waiting.remove(job.id)
            self._queued.pop(job.id, None)
            self._queue_shown.pop(job.id, None)
            task.cancel()
        await self._finish(job, "cancelled", "", actor=actor)
        if self._queued:
            self._refresh_queue()  # everyone behind moved up one place
        return True

    async def resend(self, job: Job, actor: int | None = None) -> bool:
        """An operator (`actor`) delivers again a result whose chat could not take it
        (`chat_gone`), from the files saved on disk; False when there is nothing to resend."""
        if job.state != "failed" or job.failure != "chat_gone" or job.id in self._tasks:
            return False
        if not job.files or not all(Path(f.path).is_file() for f in job.files):
            return False
        await self.store.update(job, state="delivering", failure=None, failure_detail=None,
                                delivery_failures=0, actor=actor, reason="resend")  # fmt: skip
        self.start(job)
        return True

    async def submit_again(self, job_id: int, actor: int) -> Job | None:
        """An operator (`actor`) knowingly submits again a job whose submit may have reached
        the provider (it may be paid twice): the job, now driven as a new one, for the one
        caller that won `claim_submit_again`; None for any other (a second click, a second
        operator, the user's own retry first, or a job that is not such a job)."""
        job = await self.store.claim_submit_again(job_id, actor)
        if job is None:
            return None
        ending = self._tasks.get(job_id)
        if ending is not None:  # the drive that parked it is returning: let it end first
            await asyncio.wait({ending})
        await self._notify(job)
        self.start(job)
        return job

    async def stop(self) -> None:
        """Stop driving jobs; their rows stay and the next start resumes them."""
        if self._queue_notice is not None:
            self._queue_notice.cancel()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.events is not None:
            await self.events.close()

    async def wait_all(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    # -- life cycle -----------------------------------------------------------------------------

    async def _drive(self, job: Job) -> None:
        try:
            if job.state != "delivering":
                await self._run_upstream(job)
            if job.state == "delivering":  # outside the slot: a chat Telegram is slow to
                await self._deliver(job)  # reach must not keep other users' jobs waiting
                await self.store.update(job, state="done", progress=100)
                await self._notify(job)
        except asyncio.CancelledError:
            raise
        except RecipientGone as exc:
            log.info(texts.LOG_JOB_CHAT_CANNOT_RECEIVE_ANY, job.id, exc)
            await self._finish(job, "chat_gone", "")
        except Undeliverable as exc:
            log.warning(texts.LOG_JOB_UNDELIVERABLE, job.id, exc)
            await self._finish(job, "undeliverable", str(exc))
        except errors.ProviderError as exc:
            # The provider's own wording: for the logs only, users read error_text's sentence.
            log.info(texts.LOG_JOB_FAILED, job.id, type(exc).__name__, exc.detail)
            await self._finish(job, failure_reason(exc), exc.detail)
        except Exception:
            log.exception(texts.LOG_JOB_CRASHED, job.id)
            await self._finish(job, "internal", "")
        finally:
            if self.callbacks is not None:
                self.callbacks.forget(job.id)

    async def _run_upstream(self, job: Job) -> None:
        """Submit, poll and download: the part that holds one of `max_running` slots."""
        async with self._slots:
            with contextlib.suppress(ValueError):
                self._waiting.remove(job.id)
            self._queued.pop(job.id, None)
            self._queue_shown.pop(job.id, None)
            if self._queued:
                self._refresh_queue()  # everyone behind moved up one place
            if job.state == "created":
                await self._submit(job)
            if job.state == "submitted":
                await self._poll_until_done(job)
            if job.state == "downloading":
                await self._download(job)

    async def _submit(self, job: Job) -> None:
        provider = self.providers[job.provider]
        await self.store.update(job, state="submitting", attempts=job.attempts + 1)
        await self._notify(job)
        job.connect_retries = 0
        # The window counts from the first try: a provider that takes 20 s to refuse is not
        # given 90 s more after that.
        give_up_at = time.monotonic() + self.config.not_sent_window
        while True:
            try:
                task_id = await provider.submit(self._outgoing(job, provider))
                break
            except (errors.NotSent, *REFUSED) as exc:
                following = self.fallback(job.request, job.provider) if self.fallback else None
                if following is None:
                    left = give_up_at - time.monotonic()
                    if isinstance(exc, errors.NotSent) and left > 0:
                        # nothing left this process: the same request is safe to send again
                        job.connect_retries += 1
                        log.info(texts.LOG_JOB_CONNECT_RETRY, job.id, job.provider,
                                 job.connect_retries, type(exc).__name__)  # fmt: skip
                        await self._notify(job)
                        delay = min(self._backoff(job.connect_retries), CONNECT_RETRY_MAX)
                        await self._sleep(min(delay, left))
                        continue
                    raise
                log.info(texts.LOG_JOB_FAILED_MOVING, job.id, job.provider,
                         type(exc).__name__, following)  # fmt: skip
                # Persisted before the next submit, so a restart resumes on the new provider.
                await self.store.update(job, provider=following, state="created")
                await self._submit(job)
                return
            except AMBIGUOUS as exc:
                # The request may have reached the provider: resubmitting could pay twice.
                log.warning(texts.LOG_JOB_SUBMIT_ENDED_AMBIGUOUSLY_NOT,
                            job.id, job.provider, type(exc).__name__)  # fmt: skip
                await self._finish(job, SUBMIT_UNCLEAR, exc.detail)
                return
        await self.store.update(job, state="submitted", task_id=task_id, progress=0)
        log.info(texts.LOG_JOB_SUBMITTED, job.id, job.provider, task_id)
        await self._notify(job)

    async def _poll_until_done(self, job: Job) -> None:
        provider = self.providers[job.provider]
        interval = self.config.poll_interval.get(job.kind, 3.0)
        # From now, not from job.updated_at: a job resumed after downtime gets its full wait
        # (the result is likely finished upstream and downloadable for hours).
        deadline = time.time() + self.config.max_wait.get(job.kind, 3600)
        polled = False  # every job is asked at least once before it may time out
        polling_since = time.time()
        failures = 0
        heartbeat = self.config.heartbeat.get(job.kind)
        last_notice = time.time()
        while True:
            called = await self._until_next_poll(job, time.time() - polling_since)
            if polled and time.time() > deadline:
                await self._finish(job, "job_timeout", "")
                return
            assert job.task_id is not None
            try:
                state = await provider.poll(job.task_id)  # a callback only made it come sooner
            except TRANSIENT as exc:
                failures += 1
                log.info(texts.LOG_JOB_POLL_FAILED_RETRYING, job.id, type(exc).__name__)
                await self._sleep(min(60.0, interval * 2 ** min(failures, 5)))
                continue
            failures = 0
            polled = True
            if state.status == "running":
                progress = state.progress if state.progress is not None else job.progress
                if progress != job.progress:
                    await self.store.update(job, progress=progress)
                    await self._notify(job)
                    last_notice = time.time()
                elif heartbeat is not None and time.time() - last_notice >= heartbeat:
                    await self._notify(job)
                    last_notice = time.time()
                continue
            if not called and self.callbacks is not None:
                self.callbacks.ended_by_polling(job.id)
            if state.status == "failed":
                if await self._maybe_resubmit(job, state):
                    continue
                if job.state != "submitted":
                    return  # the resubmit itself ended the job (e.g. an ambiguous answer)
                raise _failure_of(state)
            await self.store.update(
                job, state="downloading", results=list(state.results), progress=100
            )
            await self._notify(job)
            return

    async def _deliver(self, job: Job) -> None:
        """Deliver until it works; transient failures wait (capped backoff), never end it."""
        assert self.events is not None
        while True:
            try:
                # Upload slots are taken by the Telegram budget only while sending.
                await self.events.deliver(job)
                return
            except DeliveryDelayed as exc:
                failures = job.delivery_failures + 1
                if failures > self.config.delivery_max_failures:
                    gave_up = texts.DELIVERY_GAVE_UP.format(tries=failures - 1, reason=exc)
                    raise Undeliverable(gave_up) from exc
                delay = max(self._backoff(failures), exc.retry_after)
                log.warning(texts.LOG_JOB_DELIVERY_RETRY, job.id, exc,
                            failures, delay)  # fmt: skip
                await self.store.update(job, delivery_failures=failures)
                await self._notify(job)
                await self._sleep(delay)

    def _backoff(self, failures: int) -> float:
        low, high = self.config.delivery_retry_min, self.config.delivery_retry_max
        return min(high, low * 2 ** min(max(failures - 1, 0), 20))

    def _outgoing(self, job: Job, provider: GenerationProvider) -> GenerationRequest:
        """The request as sent: with a callback URL when the provider can call back."""
        if self.callbacks is None or not getattr(provider, "accepts_callback", False):
            return job.request
        url = self.callbacks.expect(job.id)
        return replace(job.request, params={**job.request.params, "callback_url": url})

    async def _until_next_poll(self, job: Job, elapsed: float) -> bool:
        """Wait until the next poll is due; a provider callback ends the wait early (True)."""
        callbacks = self.callbacks
        waiting = callbacks is not None and callbacks.waiting(job.id)
        delay = poll_delay(
            self.config.poll_interval.get(job.kind, 3.0), elapsed=elapsed,
            typical=typical_seconds(job), progress=job.progress,
            callback_expected=waiting and callbacks is not None and callbacks.trusted,
        )  # fmt: skip
        if callbacks is None or not waiting:
            await self._sleep(delay)
            return False
        return await callbacks.wait(job.id, job.task_id, delay)

    async def _maybe_resubmit(self, job: Job, state: TaskState) -> bool:
        """failure_reason "error" is worth one more try (the provider advises it, refunds it)."""
        if state.failure_reason != "error" or job.attempts > self.config.auto_resubmits:
            return False
        log.info(texts.LOG_JOB_PROVIDER_ERROR_RESUBMITTING_ATTEMPT, job.id, job.attempts + 1)
        await self.store.update(job, state="created", task_id=None, progress=0)
        await self._submit(job)
        return job.state == "submitted"

    async def _download(self, job: Job) -> None:
        files: list[SavedFile] = [f for f in job.files if Path(f.path).exists()]
        saved = {Path(f.path).stem for f in files}  # done before a restart
        media_kind = "video" if job.kind == "video" else "image"
        lost: errors.ResultExpired | None = None
        for index, item in enumerate(job.results):
            if job.kind == "character" or f"job{job.id}-{index}" in saved:
                continue
            try:
                files.append(await self._save(job, index, item, media_kind))
            except errors.ResultExpired as exc:
                # One dead link among several pictures: deliver the others (the status says
                # how many are missing) rather than fail a paid job that has results.
                log.info(texts.LOG_JOB_RESULT_GONE, job.id, index, exc.detail)
                lost = exc
        if lost is not None and not files:
            raise lost
        if job.kind != "character" and not files:
            raise errors.TaskFailed("no result")
        await self.store.update(job, state="delivering", files=files)
        await self._notify(job)

    # A full disk while saving never ends a job: it waits this long and tries again, and
    # `on_disk_full` (the runtime's upkeep) tells the admins.
    disk_full_retry: float = 60.0

    async def _save(self, job: Job, index: int, item: ResultItem, kind: str) -> SavedFile:
        while True:
            try:
                return await self._save_once(job, index, item, kind)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                log.warning(texts.LOG_JOB_DISK_FULL_WHILE_SAVING, job.id)
                if self.on_disk_full is not None:
                    self.on_disk_full()
                await self._sleep(self.disk_full_retry)

    async def _save_once(self, job: Job, index: int, item: ResultItem, kind: str) -> SavedFile:
        dest = self.media_dir / f"job{job.id}-{index}{'.mp4' if kind == 'video' else '.img'}"
        limit = self.config.max_bytes.get(kind, 2 << 30)
        policy = self.url_policies.get(job.provider, UrlPolicy())
        staged = policy.staged_file(item.url) if item.url else None  # file:// in staging only
        if item.data is not None:  # providers that answer with the bytes themselves
            media = await save_bytes(item.data, dest, kind=kind, max_bytes=limit)
        elif staged is not None:  # synchronous providers stage their bytes on disk
            try:
                data = await asyncio.to_thread(staged.read_bytes)
            except OSError:
                raise errors.ResultExpired("staged result missing") from None
            media = await save_bytes(data, dest, kind=kind, max_bytes=limit)
        elif item.url:
            # URLs stay valid ~2 h after the task finished (when the job entered downloading).
            until = job.updated_at + RESULT_URL_TTL - EXPIRY_MARGIN
            media = await download_result(self.http, item.url, dest, kind=kind, max_bytes=limit,
                                          policy=policy, retry_until=until)  # fmt: skip
        else:
            raise errors.TaskFailed("result without file")
        return SavedFile(
            str(media.path), media.size, media.sha256, media.mime, media.width, media.height,
            item.url,
        )  # fmt: skip

    async def _finish(
        self, job: Job, reason: str, detail: str, actor: int | None = None
    ) -> None:
        # the reasons a console operator may knowingly submit again (claim_submit_again)
        state = "interrupted" if reason in AMBIGUOUS_SUBMIT_FAILURES else "failed"
        detail = scrub(detail)[:300]  # providers may echo our key in their error text
        await self.store.update(job, state=state, failure=reason, failure_detail=detail,
                                actor=actor)  # fmt: skip
        await self._notify(job)

    def _refresh_queue(self) -> None:
        """Re-show the "前面还有 N 个" line of waiting jobs, in one background task."""
        if self._queue_notice is None or self._queue_notice.done():
            self._queue_notice = asyncio.create_task(self._notify_queued())
        else:
            self._queue_wake.set()

    async def _notify_queued(self) -> None:
        """Each waiting job's place is shown when it changed, at most QUEUE_SHOWS_PER_INTERVAL
        times per interval per job (a later change waits and shows the newest place): with N
        jobs moving up one by one this is a few edits per job, not one per move (N²)."""
        interval = self.config.queue_status_interval
        while True:
            self._queue_wake.clear()
            now = time.monotonic()
            next_due: float | None = None
            for queued in list(self._queued.values()):
                position = self.queue_position(queued.id)
                shown_at, times = self._queue_shown.get(queued.id, (-1, ()))
                if shown_at == position:
                    continue
                if len(times) >= QUEUE_SHOWS_PER_INTERVAL and now - times[0] < interval:
                    due = times[0] + interval - now
                    next_due = due if next_due is None else min(next_due, due)
                    continue
                recent = (*times, now)[-QUEUE_SHOWS_PER_INTERVAL:]
                self._queue_shown[queued.id] = (position, recent)
                await self._notify(queued)
            if next_due is None and not self._queue_wake.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue_wake.wait(), next_due)

    async def _notify(self, job: Job) -> None:
        if self.events is None:
            return
        try:
            await self.events.on_change(job)
        except Exception:  # showing progress must never break the job
            log.warning(texts.LOG_STATUS_UPDATE_JOB_FAILED, job.id, exc_info=True)


def _failure_of(state: TaskState) -> errors.ProviderError:
    if state.failure_reason == "input_moderation":
        return errors.ModerationRejected("input", state.error)
    if state.failure_reason == "output_moderation":
        return errors.ModerationRejected("output", state.error)
    return errors.TaskFailed(state.error or state.failure_reason or "")
