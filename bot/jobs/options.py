"""Parsing the options a user writes before a prompt: `/draw 16:9 4K pro 一只猫`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.providers.grsai_tasks import ASPECT_RATIOS as IMAGE_RATIOS
from bot.providers.grsai_tasks import (
    IMAGE_MODELS,
    IMAGE_SIZES,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DURATIONS,
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
        elif lower.rstrip("s秒").isdigit() and int(lower.rstrip("s秒")) in VIDEO_DURATIONS:
            params["duration"] = int(lower.rstrip("s秒"))
        elif token in ("高清", "hd", "HD", "large"):
            params["size"] = "large"
        elif token in ("标清", "sd", "small"):
            params["size"] = "small"
        else:
            break
        used += 1
    return ParsedOptions(params, " ".join(tokens[used:]).strip() if used else text.strip())
