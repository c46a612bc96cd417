"""The /story input (Chinese, one shot per line) → the `Shot N:` prompt format."""

from __future__ import annotations

import pytest

from bot.core.jobs.storyboard import Shot, StoryProblem, parse_story, storyboard_prompt


def test_shots_become_the_documented_prompt_format() -> None:
    story = parse_story("16:9\n7.5秒 清晨的城市街道\n7.5s: 主角推门走进咖啡馆")
    assert not isinstance(story, StoryProblem)
    assert storyboard_prompt(story.shots) == (
        "Shot 1:\nduration: 7.5sec\nScene: 清晨的城市街道\n\n"
        "Shot 2:\nduration: 7.5sec\nScene: 主角推门走进咖啡馆"
    )
    assert story.params["aspect_ratio"] == "16:9" and story.params["duration"] == 15
    assert story.params["storyboard"] is True and story.params["model"] == "sora-2"


def test_options_line_is_optional_and_unit_may_touch_the_scene() -> None:
    story = parse_story("5秒清晨\n5 秒 黄昏")
    assert not isinstance(story, StoryProblem)
    assert story.shots == [Shot(5.0, "清晨"), Shot(5.0, "黄昏")]
    assert story.params["duration"] == 10 and story.params["aspect_ratio"] == "16:9"


def test_twenty_five_seconds_selects_pro_and_options_are_read() -> None:
    story = parse_story("9:16 私密 水印 高清\n10秒 a\n10秒 b\n5秒 c")
    assert not isinstance(story, StoryProblem)
    p = story.params
    assert (p["duration"], p["model"], p["aspect_ratio"]) == (25, "sora-2-pro", "9:16")
    assert p["private"] is True and p["watermark"] is True and p["size"] == "large"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("5秒 只有一个镜头", "too_few"),
        ("5秒 a\n没有时长的一行", "bad_line"),
        ("5秒 a\n4秒 b", "bad_total"),
        ("0秒 a\n10秒 b", "bad_duration"),
        ("\n".join("1秒 x" for _ in range(15)), "too_many"),
    ],
)
def test_bad_input_is_named(text: str, reason: str) -> None:
    problem = parse_story(text)
    assert isinstance(problem, StoryProblem) and problem.reason == reason


def test_bad_total_reports_the_sum() -> None:
    problem = parse_story("3.5秒 a\n4秒 b")
    assert isinstance(problem, StoryProblem) and problem.total == "7.5"
