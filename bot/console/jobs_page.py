"""任务: every job, filtered (state, kind, platform, user, dates) and paged (newest first); a
job's page with its state history and reference thumbnails; cancel, resend, submit again.

At-most-once holds here as in the bot: cancelling is offered only while a job waits for a
slot (nothing went to a provider) and resending delivers the saved files again. The one
action that submits to a provider is "submit again" of a job whose submit was ambiguous: an
owner or admin only, after a confirmation page that says it may be paid twice, once per job
(bot/core/store/jobs.py claim_submit_again decides in one UPDATE), audited and in the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.console import queries
from bot.console.gallery import inside_data, media_link
from bot.console.render import CONSOLE, SESSION, error_page, render, zone
from bot.core import identity, texts
from bot.core.redact import scrub
from bot.core.store.jobs import AMBIGUOUS_SUBMIT_FAILURES, Job, Transition

KINDS = ("image", "video", "character")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/jobs", job_list)
    app.router.add_get("/jobs/{id:\\d+}", job_page)
    app.router.add_post("/jobs/{id:\\d+}/cancel", cancel)
    app.router.add_post("/jobs/{id:\\d+}/resend", resend)
    app.router.add_get("/jobs/{id:\\d+}/submit-again", confirm_submit_again)
    app.router.add_post("/jobs/{id:\\d+}/submit-again", submit_again)


def _int(value: str) -> int | None:
    return int(value) if value.isdecimal() and len(value) < 19 else None


def states() -> list[str]:
    """Every state a job can be in (with those later branches add, e.g. parked)."""
    return list(texts.JOB_STATE_NAMES)


async def job_list(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    q = request.query
    user_text = q.get("user", "").strip()
    try:
        user = identity.parse(user_text) if user_text else None
    except ValueError:
        user = None
    first, last = _day(q.get("from", "")), _day(q.get("to", ""))
    bad_dates = (bool(q.get("from", "")) and first is None) or (
        bool(q.get("to", "")) and last is None) or (first is not None and last is not None
                                                    and first > last)  # fmt: skip
    tz = zone(console.services.settings.quota_timezone)
    wanted = queries.JobFilter(
        state=q.get("state", "") if q.get("state", "") in states() else "",
        kind=q.get("kind", "") if q.get("kind", "") in KINDS else "",
        platform=q.get("platform", "") if q.get("platform", "") in queries.PLATFORMS else "",
        user=user, before=_int(q.get("before", "")),
        since=None if bad_dates or first is None else _start_of(first, tz),
        until=None if bad_dates or last is None else _start_of(last + dt.timedelta(days=1), tz),
    )  # fmt: skip
    found, more = await queries.list_jobs(console.services.db, wanted)
    return render(
        request, "jobs.html", nav="jobs", jobs=found, more=more, wanted=wanted,
        user_text=user_text if user is not None or not user_text else "", states=states(),
        kinds=KINDS, platforms=queries.PLATFORMS, bad_user=bool(user_text) and user is None,
        date_from="" if bad_dates or first is None else first.isoformat(),
        date_to="" if bad_dates or last is None else last.isoformat(), bad_dates=bad_dates,
    )  # fmt: skip


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


def _start_of(day: dt.date, tz: dt.tzinfo) -> float:
    """The moment `day` begins in the quota time zone (the day a quota counts)."""
    return dt.datetime.combine(day, dt.time(), tz).timestamp()


def can_cancel(job: Job) -> bool:
    return job.state == "created"


def can_submit_again(job: Job) -> bool:
    """Its submit may have reached the provider, and nobody launched it again yet (the store
    checks all of it again in the UPDATE that decides)."""
    return (job.state == "interrupted" and job.failure in AMBIGUOUS_SUBMIT_FAILURES
            and job.relaunched_at is None)  # fmt: skip


def can_resend(job: Job) -> bool:
    return (job.state == "failed" and job.failure == "chat_gone" and bool(job.files)
            and all(Path(f.path).is_file() for f in job.files))  # fmt: skip


async def job_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    job = await console.services.jobs.get(int(request.match_info["id"]))
    if job is None:
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    media = console.services.settings.media_dir
    files = [(index, saved, media_link(media, saved.path), Path(saved.path).is_file())
             for index, saved in enumerate(job.files)]  # fmt: skip
    changes = await console.auth.audit_of(f"job:{job.id}")
    history = history_of(job, await console.services.jobs.transitions(job.id))
    return render(
        request, "job.html", nav="jobs", job=job, files=files, changes=changes,
        references=references_of(job, console.services.settings.bot_data_dir),
        detail=scrub(job.failure_detail or ""), cancellable=can_cancel(job),
        resendable=can_resend(job), history=history,
        resubmittable=can_submit_again(job),
    )  # fmt: skip


@dataclass
class Step:
    change: Transition
    inferred: bool = False  # not recorded: a job older than the history (migration 12)


def history_of(job: Job, recorded: list[Transition]) -> list[Step]:
    """The recorded state changes; a job older than the record shows what is known: its
    creation, and its end when nothing was recorded after it."""
    steps = [Step(t) for t in recorded]
    if not recorded or recorded[0].from_state is not None:
        steps.insert(0, Step(Transition(job.id, None, "created", job.created_at), True))
    if not recorded and job.finished_at:
        steps.append(Step(Transition(job.id, None, job.state, job.finished_at,
                                     job.failure), True))  # fmt: skip
    return steps


@dataclass
class Reference:
    index: int
    shown: str  # the path as text (scrubbed), for a reference that is not served
    served: bool  # inside BOT_DATA_DIR: served by /ref and /thumb/ref
    present: bool
    image: bool


VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".m4v")


def references_of(job: Job, data_dir: Path) -> list[Reference]:
    found = []
    for index, ref in enumerate(job.request.references):
        path = inside_data(data_dir, str(ref), must_exist=False)
        found.append(Reference(
            index, scrub(str(ref))[:200], path is not None,
            path is not None and path.is_file(),
            not str(ref).lower().endswith(VIDEO_SUFFIXES),
        ))  # fmt: skip
    return found


async def cancel(request: web.Request) -> web.StreamResponse:
    return await _act(request, "cancel", ("cancelled", "not_cancellable"))


async def resend(request: web.Request) -> web.StreamResponse:
    return await _act(request, "resend", ("resent", "not_resendable"))


async def confirm_submit_again(request: web.Request) -> web.StreamResponse:
    """The confirmation step: what submitting again means (it may be paid twice), in words."""
    console = request.app[CONSOLE]
    job = await console.services.jobs.get(int(request.match_info["id"]))
    if job is None:
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    if not request[SESSION].can_change:
        return error_page(request, 403, texts.CONSOLE_UI["forbidden"])
    if not can_submit_again(job):
        raise web.HTTPSeeOther(f"/jobs/{job.id}?done=not_resubmittable&job={job.id}")
    return render(request, "submit_again.html", nav="jobs", job=job,
                  detail=scrub(job.failure_detail or ""))  # fmt: skip


async def submit_again(request: web.Request) -> web.StreamResponse:
    """Submit an ambiguous job again, confirmed: the form says `confirm` (a bare POST only
    leads to the confirmation). The runner's one conditional UPDATE lets one press through."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    job_id = int(request.match_info["id"])
    if not session.can_change:  # the CSRF guard refuses it first; kept here for clarity
        return error_page(request, 403, texts.CONSOLE_UI["forbidden"])
    form = await request.post()
    if form.get("confirm") != "yes":
        raise web.HTTPSeeOther(f"/jobs/{job_id}/submit-again")
    job = await console.services.runner.submit_again(job_id, session.identity)
    if job is None:
        raise web.HTTPSeeOther(f"/jobs/{job_id}?done=not_resubmittable&job={job_id}")
    await console.auth.audit(session.identity, "submit_again", f"job:{job_id}")
    raise web.HTTPSeeOther(f"/jobs/{job_id}?done=submitted_again&job={job_id}")


async def _act(request: web.Request, action: str, outcomes: tuple[str, str]) -> web.StreamResponse:
    """A job action under the runner's own at-most-once rules (`cancel_queued`, `resend`),
    audited when it took effect, then back to the job's page with what happened."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    job_id = int(request.match_info["id"])
    job = await console.services.jobs.get(job_id)
    if job is None:
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    runner = console.services.runner
    actor = session.identity
    done = await (runner.cancel_queued(job, actor) if action == "cancel"
                  else runner.resend(job, actor))  # fmt: skip
    if done:
        await console.auth.audit(session.identity, action, f"job:{job_id}")
    raise web.HTTPSeeOther(f"/jobs/{job_id}?done={outcomes[0] if done else outcomes[1]}"
                           f"&job={job_id}")  # fmt: skip
