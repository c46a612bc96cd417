"""The text of a job's status message (pure: job in, Chinese text out)."""

from __future__ import annotations

import re

from bot.core import texts
from bot.core.error_text import describe_failure
from bot.core.jobs.options import image_model_name
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import Job

BAR_CELLS = 10
# Typical durations (seconds) for the wait estimate; videos: 1–3 min for 10 s, more for 15 s/HD.
TYPICAL_SECONDS = {"image": 40, "character": 60}
VIDEO_USUAL_MAX_SECONDS = 600
# Failures where submitting the same request again is sensible (the provider refunds failed
# tasks). The user decides — a button on Telegram, a number on QQ —, never the bot.
RETRYABLE_FAILURES = frozenset(
    {"error", "upstream", "unreachable", "timeout", "rate_limited", "expired", "not_found",
     "interrupted", "job_timeout", "internal", "output_moderation", "dropped",
     "submit_unclear"}
)  # fmt: skip


def retry_offered(job: Job) -> bool:
    """The job ended in a way the user may knowingly submit again."""
    return job.state in ("failed", "interrupted") and (job.failure or "") in RETRYABLE_FAILURES


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return texts.SECONDS.format(seconds=seconds)
    minutes, rest = divmod(seconds, 60)
    return texts.MINUTES_SECONDS.format(minutes=minutes, seconds=rest)


def progress_bar(percent: int) -> str:
    filled = max(0, min(BAR_CELLS, round(percent / 100 * BAR_CELLS)))
    return "▓" * filled + "░" * (BAR_CELLS - filled)


def typical_seconds(job: Job) -> float:
    if job.kind != "video":
        return TYPICAL_SECONDS.get(job.kind, 60)
    params = job.request.params
    seconds = 150.0 if int(params.get("duration", 10)) == 10 else 270.0
    if params.get("size") == "large":
        seconds += 240
    return seconds


def estimate_line(job: Job) -> str:
    remaining = typical_seconds(job) - job.elapsed
    if job.progress:  # blend in what the provider reports
        by_progress = job.elapsed * (100 - job.progress) / max(job.progress, 1)
        remaining = (remaining + by_progress) / 2 if remaining > 0 else by_progress
    if job.kind == "video":  # early percentages crawl; Sora videos finish within ~10 minutes
        remaining = min(remaining, max(60.0, VIDEO_USUAL_MAX_SECONDS - job.elapsed))
    if remaining < 20:
        return texts.JOB_ESTIMATE_SOON
    return texts.JOB_ESTIMATE.format(minutes=max(1, round(remaining / 60)))


def option_summary(job: Job) -> str:
    """The job's options in the words users read: "自动比例 · 1K · 专业版", "16:9 · 10 秒"."""
    p = job.request.params
    if job.kind == "image":
        ratio = p.get("aspect_ratio")
        parts = [texts.SUMMARY_AUTO_RATIO if ratio == "auto" else ratio, p.get("image_size"),
                 image_model_name(str(p.get("model") or ""))]  # fmt: skip
    elif job.kind == "video":
        duration = texts.SECONDS.format(seconds=p["duration"]) if p.get("duration") else None
        quality = texts.VIDEO_QUALITY_NAMES["large"] if p.get("size") == "large" else None
        parts = [p.get("aspect_ratio"), duration, quality]
    else:
        parts = [clip_text(str(p["timestamps"])) if p.get("timestamps") else None]
    return " · ".join(str(x) for x in parts if x)


def clip_text(timestamps: str) -> str:
    """"1,3" → "第 1～3 秒"."""
    start, _, end = timestamps.partition(",")
    return texts.CLIP_SECONDS.format(start=start, end=end) if end else timestamps


_SHOT_RE = re.compile(r"Shot (\d+):\nduration: ([\d.]+)sec\nScene: (.*?)(?=\n\nShot \d+:|\Z)", re.S)


def shown_prompt(request: GenerationRequest) -> str:
    """The prompt as users wrote it: a storyboard's `Shot N:` format (what the provider reads)
    is shown as Chinese shot lines."""
    if not request.params.get("storyboard"):
        return request.prompt
    shots = _SHOT_RE.findall(request.prompt)
    if not shots:
        return request.prompt
    return "\n".join(
        texts.STORY_SHOT_LINE.format(number=n, seconds=sec, scene=scene.strip())
        for n, sec, scene in shots
    )


def status_text(job: Job, queue_ahead: int = 0) -> str:
    prompt = shown_prompt(job.request).strip().replace("\n", " ")
    if len(prompt) > 60:
        prompt = prompt[:60] + "…"
    header = texts.JOB_KIND_NAMES.get(job.kind, "")
    if prompt:
        header += f"：{prompt}"
    summary = option_summary(job)
    lines = [header] + ([summary] if summary else [])
    lines.append(_state_line(job, queue_ahead))
    if job.state in ("submitting", "submitted") and job.kind == "video":
        lines.append(texts.JOB_ELAPSED.format(elapsed=format_elapsed(job.elapsed)))
        lines.append(estimate_line(job))
    elif job.state == "submitted":
        lines.append(texts.JOB_ELAPSED.format(elapsed=format_elapsed(job.elapsed)))
    return "\n".join(lines)


def _state_line(job: Job, queue_ahead: int) -> str:
    match job.state:
        case "created":
            if queue_ahead:
                return texts.JOB_STATE_QUEUED_AT.format(ahead=queue_ahead)
            return texts.JOB_STATE_CREATED
        case "submitting":
            if job.connect_retries:
                return texts.JOB_STATE_CONNECTING.format(attempt=job.connect_retries)
            if job.attempts > 1:
                return texts.JOB_STATE_RETRYING.format(attempt=job.attempts)
            return texts.JOB_STATE_SUBMITTING
        case "submitted":
            if job.progress:
                return texts.JOB_STATE_RUNNING.format(
                    bar=progress_bar(job.progress), percent=job.progress
                )
            return texts.JOB_STATE_RUNNING_NO_PERCENT
        case "downloading":
            return texts.JOB_STATE_DOWNLOADING
        case "delivering":
            if job.delivery_failures:
                return texts.JOB_STATE_DELIVERY_RETRY
            return texts.JOB_STATE_RESULT_SENDING
        case "done":
            done = texts.JOB_STATE_DONE.format(elapsed=format_elapsed(job.elapsed))
            missing = len(job.results) - len(job.files)
            if job.kind == "image" and job.files and missing > 0:
                done += "\n" + texts.JOB_SOME_PICTURES_MISSING.format(missing=missing)
            return done
        case "interrupted":
            if job.failure == "submit_unclear":
                return texts.JOB_SUBMIT_UNCLEAR
            return texts.JOB_INTERRUPTED
    # The reason is a whole sentence with its own emoji: no "未完成：" prefix to double it.
    return video_failure(job) or describe_failure(job.failure or "internal", job.failure_detail)


# What GrsAI's error texts say in the failures that need a more specific answer for Sora.
_REAL_PERSON_RE = re.compile(r"real|person|human|face|celebrit|真人|人脸|人物|肖像", re.IGNORECASE)
_REMIX_TARGET_RE = re.compile(r"remix|pid|target|not found|不存在|私有|private", re.IGNORECASE)
_CLIP_RE = re.compile(r"timestamps|too long|duration|时长|秒|范围", re.IGNORECASE)


def video_failure(job: Job) -> str | None:
    """The Sora-specific explanation of a failed video/character job, if there is one."""
    failure, detail = job.failure or "", job.failure_detail or ""
    params = job.request.params
    upstream_refusal = failure in ("input_moderation", "error", "bad_request", "not_found")
    if job.kind == "video":
        if (
            params.get("remix_target")
            and upstream_refusal
            and (failure == "not_found" or _REMIX_TARGET_RE.search(detail))
        ):
            return texts.REMIX_TARGET_UNAVAILABLE
        if (
            job.request.references
            and upstream_refusal
            and (failure == "input_moderation" or _REAL_PERSON_RE.search(detail))
        ):
            return texts.VIDEO_REAL_PERSON_REJECTED
    elif job.kind == "character" and upstream_refusal:
        if job.request.references and (
            failure == "input_moderation" or _REAL_PERSON_RE.search(detail)
        ):
            return texts.ROLE_REJECTED
        if _CLIP_RE.search(detail):
            return texts.ROLE_CLIP_REJECTED
    return None
