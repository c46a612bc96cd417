"""Parsing the options a user writes before a prompt: `/draw 16:9 4K pro 一只猫`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.core import texts
from bot.core.providers.grsai_tasks import ASPECT_RATIOS as IMAGE_RATIOS
from bot.core.providers.grsai_tasks import (
    IMAGE_MODELS,
    IMAGE_SIZES,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DURATIONS,
    check_image_options,
)

# Short names users type → GrsAI model ids.
IMAGE_MODEL_SHORTHANDS = {
    "pro": "nano-banana-pro",
    "vt": "nano-banana-pro-vt",
    "cl": "nano-banana-pro-cl",
    "vip": "nano-banana-pro-vip",
    "4kvip": "nano-banana-pro-4k-vip",
    "4k-vip": "nano-banana-pro-4k-vip",
    "fast": "nano-banana-fast",
}


def image_model_name(model: str) -> str:
    """The Chinese name users read for a GrsAI image model id (the id itself if unnamed)."""
    return texts.IMAGE_MODEL_NAMES.get(model, model)


def model_codes() -> dict[str, str]:
    """Model id → the short code shown for it (the first one listed above)."""
    codes: dict[str, str] = {}
    for code, model in IMAGE_MODEL_SHORTHANDS.items():
        codes.setdefault(model, code)
    return codes


def image_model_choices() -> str:
    """Every model as "名称（code）", for /draw's help: the code is what users type."""
    short = model_codes()
    return "、".join(
        texts.OPTION_WITH_CODE.format(name=image_model_name(model), code=code)
        for model, code in short.items()
    )


def ratio_choices() -> str:
    """The ratios for /draw's help, "auto" with its Chinese name."""
    return " ".join(
        texts.OPTION_WITH_CODE.format(name=texts.RATIO_AUTO, code=r) if r == "auto" else r
        for r in IMAGE_RATIOS
    )


def image_sizes_for(model: str) -> tuple[str, ...]:
    """The sizes an image model comes in (the settings keep a saved model and size together)."""
    return tuple(s for s in IMAGE_SIZES if check_image_options(model, s, "auto") is None)


DEFAULT_IMAGE = {"aspect_ratio": "auto", "image_size": "1K", "model": "nano-banana-pro"}

DEFAULT_VIDEO = {"aspect_ratio": "9:16", "duration": 10, "size": "small", "model": "sora-2"}


@dataclass
class ParsedOptions:
    params: dict[str, object]
    prompt: str


def parse_image_options(text: str, defaults: dict[str, object]) -> ParsedOptions:
    """Leading tokens that are ratios, sizes or model names set options; the rest is the prompt."""
    params = {**DEFAULT_IMAGE, **defaults}
    tokens = text.split()
    used = 0
    for token in tokens:
        lower = token.lower()
        if token in IMAGE_RATIOS or lower == "auto":
            params["aspect_ratio"] = lower if lower == "auto" else token
        elif token.upper() in IMAGE_SIZES:
            params["image_size"] = token.upper()
        elif lower in IMAGE_MODEL_SHORTHANDS:
            params["model"] = IMAGE_MODEL_SHORTHANDS[lower]
        elif lower in IMAGE_MODELS:
            params["model"] = lower
        else:
            break
        used += 1
    return ParsedOptions(params, " ".join(tokens[used:]).strip() if used else text.strip())


def parse_video_options(text: str, defaults: dict[str, object]) -> ParsedOptions:
    params = {**DEFAULT_VIDEO, **defaults}
    tokens = text.split()
    used = 0
    for token in tokens:
        lower = token.lower()
        if token in VIDEO_ASPECT_RATIOS:
            params["aspect_ratio"] = token
        # isdecimal, not isdigit: "²".isdigit() is True but int("²") fails.
        elif lower.rstrip("s秒").isdecimal() and int(lower.rstrip("s秒")) in VIDEO_DURATIONS:
            params["duration"] = int(lower.rstrip("s秒"))
        elif token in ("高清", "hd", "HD", "large"):
            params["size"] = "large"
        elif token in ("标清", "sd", "small"):
            params["size"] = "small"
        else:
            break
        used += 1
    return ParsedOptions(params, " ".join(tokens[used:]).strip() if used else text.strip())


# -- character clips: `/role 1,3` -------------------------------------------------------------

MAX_CLIP_SECONDS = 3.0  # the upstream limit for a character clip


@dataclass(frozen=True)
class ClipRange:
    start: float
    end: float

    @property
    def timestamps(self) -> str:
        """The upstream's "a,b" form, without needless decimals ("1,3", "0.5,2.5")."""
        return f"{self.start:g},{self.end:g}"


@dataclass(frozen=True)
class ClipProblem:
    """Why a range was refused: "format", "order", "too_long" (with `length`) or "outside"."""

    reason: str
    length: float = 0.0


def clip_problem_text(problem: ClipProblem, seconds: float | None, command: str) -> str:
    """What the user reads about a refused range; `command` is how they typed it ("/role",
    "/角色"), so the example works on their platform."""
    match problem.reason:
        case "order":
            return texts.ROLE_RANGE_ORDER.format(command=command)
        case "too_long":
            return texts.ROLE_RANGE_TOO_LONG.format(length=f"{problem.length:g}", command=command)
        case "outside":
            return texts.ROLE_RANGE_OUTSIDE.format(duration=f"{seconds or 0:g}")
    return texts.ROLE_BAD_RANGE.format(command=command)


def parse_clip_range(text: str, video_seconds: float | None) -> ClipRange | ClipProblem:
    """`1,3`, `1-3`, `1 3` or `1，3` (seconds) → a range of at most 3 s inside the video.

    `video_seconds` None means the length is unknown: only the upstream can check the end.
    """
    text = text.strip().removesuffix("秒")
    parts = [p for p in re.split(r"[,，\-~～\s]+", text) if p]
    if len(parts) != 2 or not text[:1].isdecimal():  # "-1,2" is not "1,2"
        return ClipProblem("format")
    try:
        start, end = (float(p.removesuffix("s").removesuffix("秒")) for p in parts)
    except ValueError:
        return ClipProblem("format")
    if not all(math.isfinite(x) for x in (start, end)) or start < 0:
        return ClipProblem("format")
    if start >= end:
        return ClipProblem("order")
    if end - start > MAX_CLIP_SECONDS + 1e-9:
        return ClipProblem("too_long", end - start)
    if video_seconds is not None and end > video_seconds + 0.05:  # container rounding
        return ClipProblem("outside")
    return ClipRange(start, end)


def looks_like_clip_range(text: str) -> bool:
    """True when `text` is meant as a time range (digits first), not a character name."""
    return bool(re.match(r"^\s*\d", text))
