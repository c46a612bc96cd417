"""任务: every job, filtered and paged (newest first); a job's page; cancel and resend.

At-most-once holds here as in the bot: cancelling is offered only while a job waits for a
slot (nothing went to a provider) and resending delivers the saved files again; the console
never submits anything to a provider.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.console import queries
from bot.console.gallery import media_link
from bot.console.render import CONSOLE, SESSION, error_page, render
from bot.core import identity, texts
from bot.core.redact import scrub
from bot.core.store.jobs import Job

KINDS = ("image", "video", "character")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/jobs", job_list)
    app.router.add_get("/jobs/{id:\\d+}", job_page)
    app.router.add_post("/jobs/{id:\\d+}/cancel", cancel)
    app.router.add_post("/jobs/{id:\\d+}/resend", resend)


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
    wanted = queries.JobFilter(
        state=q.get("state", "") if q.get("state", "") in states() else "",
        kind=q.get("kind", "") if q.get("kind", "") in KINDS else "",
        platform=q.get("platform", "") if q.get("platform", "") in queries.JOB_PLATFORMS else "",
        user=user, before=_int(q.get("before", "")),
    )  # fmt: skip
    found, more = await queries.list_jobs(console.services.db, wanted)
    return render(
        request, "jobs.html", nav="jobs", jobs=found, more=more, wanted=wanted,
        user_text=user_text if user is not None or not user_text else "", states=states(),
        kinds=KINDS, platforms=queries.JOB_PLATFORMS, bad_user=bool(user_text) and user is None,
    )  # fmt: skip


def can_cancel(job: Job) -> bool:
    return job.state == "created"


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
    return render(
        request, "job.html", nav="jobs", job=job, files=files, changes=changes,
        references=[scrub(str(ref))[:200] for ref in job.request.references],
        detail=scrub(job.failure_detail or ""), cancellable=can_cancel(job),
        resendable=can_resend(job),
    )  # fmt: skip


async def cancel(request: web.Request) -> web.StreamResponse:
    return await _act(request, "cancel", ("cancelled", "not_cancellable"))


async def resend(request: web.Request) -> web.StreamResponse:
    return await _act(request, "resend", ("resent", "not_resendable"))


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
    done = await (runner.cancel_queued(job) if action == "cancel" else runner.resend(job))
    if done:
        await console.auth.audit(session.identity, action, f"job:{job_id}")
    raise web.HTTPSeeOther(f"/jobs/{job_id}?done={outcomes[0] if done else outcomes[1]}"
                           f"&job={job_id}")  # fmt: skip
