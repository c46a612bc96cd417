"""画图 and 视频 from the web chat: the options /draw and /video take, turned into a request by
the same core use case (bot/core/usecases/requests.py), an attached picture as the reference,
then the core's launch_job, like on the other platforms."""

from __future__ import annotations

from aiohttp import web

from bot.console.webchat.context import WebChat, Who, webchat_of, who
from bot.console.webchat.events import job_view
from bot.console.webchat.media import read_form, save_upload, upload_url
from bot.core import texts
from bot.core.jobs.options import (
    IMAGE_RATIOS,
    IMAGE_SIZES,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DURATIONS,
    model_codes,
)
from bot.core.jobs.status import retry_offered
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import Job
from bot.core.usecases.launch import Origin, Refused, launch_job
from bot.core.usecases.requests import image_request, video_request, with_references

KINDS = ("image", "video")
# The choices the page offers: exactly what /draw and /video accept.
IMAGE_CHOICES = {"ratio": tuple(IMAGE_RATIOS), "size": tuple(IMAGE_SIZES),
                 "model": tuple(model_codes())}  # fmt: skip
VIDEO_CHOICES = {"ratio": tuple(VIDEO_ASPECT_RATIOS), "duration": tuple(VIDEO_DURATIONS),
                 "quality": ("small", "large")}  # fmt: skip
QUALITY_WORDS = {"small": "标清", "large": "高清"}  # the words /video takes


def add_routes(app: web.Application) -> None:
    app.router.add_post("/chat/job", start)
    app.router.add_get("/chat/job/{id:\\d+}", show)
    app.router.add_post("/chat/job/{id:\\d+}/retry", retry)


async def show(request: web.Request) -> web.Response:
    """A job's view now: a page that (re)connects its event stream catches up with it."""
    webchat, user = webchat_of(request), who(request)
    job = await webchat.console.services.jobs.get(int(request.match_info["id"]))
    if job is None or job.chat_id != user.chatter:
        return web.json_response({}, status=404)
    return web.json_response({"job": job_view(job)})


def option_words(kind: str, form: dict[str, str]) -> list[str]:
    """The options picked on the page, as the words a user types before a /draw or /video
    prompt; a value the page did not offer is ignored (the user's defaults hold)."""
    choices = IMAGE_CHOICES if kind == "image" else VIDEO_CHOICES
    words = []
    for name, allowed in choices.items():
        value = form.get(name, "")
        if value and value in [str(a) for a in allowed]:
            words.append(QUALITY_WORDS.get(value, value) if name == "quality" else value)
    return words


async def start(request: web.Request) -> web.Response:
    """POST /chat/job: kind, prompt, options, an optional picture → {"job": …} or {"notice": …}."""
    webchat, user = webchat_of(request), who(request)
    form = await read_form(request)
    if isinstance(form, str):
        return web.json_response({"notice": form})
    kind = str(form.get("kind", ""))
    prompt = str(form.get("prompt", "")).strip()
    if kind not in KINDS:
        return web.json_response({"notice": texts.ERR_BAD_REQUEST}, status=400)
    if not webchat.console.access.is_allowed(user.person, None):
        return web.json_response({"notice": texts.WEB_CHAT_NOT_ALLOWED}, status=403)
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    request_or_text = await generation_request(webchat, user, kind, prompt, fields)
    if isinstance(request_or_text, str):
        return web.json_response({"notice": request_or_text})
    saved = await save_upload(request, form.get("picture"))
    if isinstance(saved, str):
        return web.json_response({"notice": saved})
    picture = upload_url(saved[0].name) if saved else None
    if saved:
        request_or_text = with_references(request_or_text, [str(saved[0])])
    await webchat.log.add(user.chatter, "user", f"{texts.WEB_CHAT_UI[kind_word(kind)]}：{prompt}",
                          picture=picture)  # fmt: skip
    launched = await launch(webchat, user, request_or_text)
    if isinstance(launched, str):
        await webchat.log.add(user.chatter, "notice", launched)
        return web.json_response({"notice": launched})
    return web.json_response({"job": job_view(launched)})


async def retry(request: web.Request) -> web.Response:
    """重新生成: a failed job the user may submit again, submitted once more on their word.
    As the other platforms' retry (issue 9): only the owner, only when offered, at most once
    (the mark on the job row is set in one UPDATE before anything is paid, undone only when
    the quota refused and nothing was spent)."""
    webchat, user = webchat_of(request), who(request)
    jobs = webchat.console.services.jobs
    job = await jobs.get(int(request.match_info["id"]))
    if job is None or job.chat_id != user.chatter or not retry_offered(job):
        return web.json_response({"notice": texts.JOB_NOT_FOUND}, status=404)
    if not webchat.console.access.is_allowed(user.person, None):
        return web.json_response({"notice": texts.WEB_CHAT_NOT_ALLOWED}, status=403)
    if not await jobs.claim_relaunch(job.id):
        return web.json_response({"notice": texts.WEB_CHAT_ALREADY_RETRIED})
    # An exception leaves the mark set: a job row may exist (nothing is paid twice).
    launched = await launch(webchat, user, job.request)
    if isinstance(launched, str):  # the quota refused: nothing spent, the offer stays
        await jobs.release_relaunch(job.id)
        return web.json_response({"notice": launched})
    return web.json_response({"job": job_view(launched)})


def kind_word(kind: str) -> str:
    return "draw" if kind == "image" else "video"


async def generation_request(
    webchat: WebChat, user: Who, kind: str, prompt: str, form: dict[str, str]
) -> GenerationRequest | str:
    """The request /draw or /video would make of these options and prompt (the core's use
    case: the user's defaults, length, options, @characters), or why not."""
    if not prompt:  # said here: the core's wording shows the commands' syntax
        return texts.WEB_CHAT_DRAW_EMPTY if kind == "image" else texts.WEB_CHAT_VIDEO_EMPTY
    svc = webchat.console.services
    argument = " ".join([*option_words(kind, form), prompt])
    made = await (image_request(svc, user.person, argument) if kind == "image" else
                  video_request(svc, user.person, argument))  # fmt: skip
    return made.text if isinstance(made, Refused) else made


async def launch(webchat: WebChat, user: Who, request: GenerationRequest) -> Job | str:
    """The core's launch (bot/core/usecases/launch.py) for the web chat: the person's quota,
    the job in the web identity's chat; its first status is the transcript's job line (the
    page shows the job's status from there). The Chinese refusal when nothing was spent."""

    async def show_status(job: Job, _text: str) -> int:
        return await webchat.log.add(user.chatter, "job", job_id=job.id)

    launched = await launch_job(webchat.console.services, request,
                                Origin(user.person, user.chatter), show_status)  # fmt: skip
    return launched.text if isinstance(launched, Refused) else launched
