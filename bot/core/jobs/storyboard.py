"""Storyboards (故事板): a user's shots with durations → the `Shot N:` prompt Sora expects.

Input (the text after /story):
    16:9 pro 私密            ← optional first line of options
    7.5秒 清晨的城市街道…     ← one shot per line: duration, then the scene
    7.5s: 主角推门走进咖啡馆…
Output prompt (seed 003): "Shot 1:\\nduration: 7.5sec\\nScene: …\\n\\nShot 2:\\n…".
Pure functions; the handler turns problems into Chinese answers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from bot.core import texts

TOTALS = (10.0, 15.0, 25.0)  # what the unified aggregator's `duration` accepts
MAX_SHOTS = 10
MAX_SHOT_SECONDS = 25.0
RATIOS = ("16:9", "9:16")

# "7.5秒 场景", "7.5s: 场景", "7.5 场景", "7.5秒场景" (a unit lets the scene follow directly).
_SHOT_RE = re.compile(
    r"^(?P<sec>\d+(?:\.\d+)?)\s*(?:(?:秒钟|秒|sec|s)\s*[:：,，、.。]?\s*|[:：,，、]\s*|\s+)"
    r"(?P<scene>\S.*)$",
    re.IGNORECASE,
)
_OPTION_WORDS = {
    "pro": ("model", "sora-2-pro"),
    "高清": ("size", "large"),
    "hd": ("size", "large"),
    "私密": ("private", True),
    "private": ("private", True),
    "水印": ("watermark", True),
    "watermark": ("watermark", True),
}


@dataclass(frozen=True)
class Shot:
    seconds: float
    scene: str


@dataclass
class Story:
    shots: list[Shot]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(shot.seconds for shot in self.shots)


@dataclass(frozen=True)
class StoryProblem:
    """reason: "bad_line" (number, line), "too_few", "too_many", "bad_duration" (number,
    seconds) or "bad_total" (total)."""

    reason: str
    number: int = 0
    line: str = ""
    seconds: str = ""
    total: str = ""


def _seconds_text(value: float) -> str:
    return f"{value:g}"


def _options(line: str) -> dict[str, Any] | None:
    """The options of a first line made only of option words, else None."""
    params: dict[str, Any] = {}
    tokens = line.split()
    if not tokens:
        return None
    for token in tokens:
        lower = token.lower()
        if token in RATIOS:
            params["aspect_ratio"] = token
        elif lower in _OPTION_WORDS:
            key, value = _OPTION_WORDS[lower]
            params[key] = value
        else:
            return None
    return params


def parse_story(text: str, defaults: dict[str, Any] | None = None) -> Story | StoryProblem:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    params: dict[str, Any] = {"aspect_ratio": "16:9", "model": "sora-2", "size": "small",
                              **(defaults or {})}  # fmt: skip
    if lines and (options := _options(lines[0])) is not None:
        params.update(options)
        lines = lines[1:]
    shots: list[Shot] = []
    for number, line in enumerate(lines, 1):
        match = _SHOT_RE.match(line)
        if not match:
            return StoryProblem("bad_line", number=number, line=line[:40])
        seconds = float(match["sec"])
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_SHOT_SECONDS:
            return StoryProblem("bad_duration", number=len(shots) + 1, seconds=match["sec"])
        shots.append(Shot(seconds, match["scene"].strip()))
    if len(shots) < 2:
        return StoryProblem("too_few")
    if len(shots) > MAX_SHOTS:
        return StoryProblem("too_many")
    story = Story(shots, params)
    total = round(story.total, 3)
    if total not in TOTALS:
        return StoryProblem("bad_total", total=_seconds_text(total))
    params["duration"] = int(total)
    if total == 25.0:
        params["model"] = "sora-2-pro"  # 25 s exists only on sora-2-pro
    params["storyboard"] = True
    return story


def storyboard_prompt(shots: list[Shot]) -> str:
    """The `Shot N:` format from the unified aggregator's doc."""
    return "\n\n".join(
        f"Shot {n}:\nduration: {_seconds_text(shot.seconds)}sec\nScene: {shot.scene}"
        for n, shot in enumerate(shots, 1)
    )


def problem_text(problem: StoryProblem) -> str:
    """What the user reads about a storyboard that cannot be sent (every platform)."""
    match problem.reason:
        case "bad_line":
            return texts.STORY_BAD_LINE.format(number=problem.number, line=problem.line)
        case "too_many":
            return texts.STORY_TOO_MANY.format(limit=MAX_SHOTS)
        case "bad_duration":
            return texts.STORY_BAD_DURATION.format(number=problem.number, seconds=problem.seconds)
        case "bad_total":
            return texts.STORY_BAD_TOTAL.format(total=problem.total)
    return texts.STORY_TOO_FEW
