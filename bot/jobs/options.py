"""Parsing the options a user writes before a prompt: `/draw 16:9 4K pro 一只猫`."""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_RATIOS = ("auto", "1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "21:9")
IMAGE_SIZES = ("1K", "2K", "4K")
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
IMAGE_MODELS = tuple(dict.fromkeys(IMAGE_MODEL_SHORTHANDS.values()))
DEFAULT_IMAGE = {"aspect_ratio": "auto", "image_size": "1K", "model": "nano-banana-pro"}

VIDEO_RATIOS = ("9:16", "16:9")
VIDEO_DURATIONS = (10, 15)
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


def image_combination_problem(params: dict[str, object]) -> str | None:
    """The provider's forbidden model/size pairs, refused before anything is submitted."""
    model, size = params.get("model"), params.get("image_size")
    if model == "nano-banana-pro-vip" and size not in ("1K", "2K"):
        return "vip_sizes"
    if model == "nano-banana-pro-4k-vip" and size != "4K":
        return "4k_vip_size"
    return None


def parse_video_options(text: str, defaults: dict[str, object]) -> ParsedOptions:
    params = {**DEFAULT_VIDEO, **defaults}
    tokens = text.split()
    used = 0
    for token in tokens:
        lower = token.lower()
        if token in VIDEO_RATIOS:
            params["aspect_ratio"] = token
        elif lower in ("10s", "15s", "10秒", "15秒"):
            params["duration"] = int(lower[:2])
        elif token in ("高清", "hd", "HD", "large"):
            params["size"] = "large"
        elif token in ("标清", "sd", "small"):
            params["size"] = "small"
        else:
            break
        used += 1
    return ParsedOptions(params, " ".join(tokens[used:]).strip() if used else text.strip())
