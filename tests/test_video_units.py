"""Pure pieces behind /video and /role: clip ranges, @name expansion, MP4 headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.jobs.characters import default_name, expand_mentions, valid_name
from bot.core.jobs.options import ClipProblem, ClipRange, parse_clip_range
from bot.core.media.mp4info import mp4_info
from tests.media import make_mp4


@pytest.mark.parametrize(
    "text, seconds, expected",
    [
        ("1,3", 10.0, ClipRange(1, 3)),
        ("0.5，2.5", 10.0, ClipRange(0.5, 2.5)),
        ("1-3", None, ClipRange(1, 3)),
        ("1秒,3秒", 10.0, ClipRange(1, 3)),
        ("3,1", 10.0, ClipProblem("order")),
        ("2,2", 10.0, ClipProblem("order")),
        ("0,4", 10.0, ClipProblem("too_long", 4)),
        ("8,11", 10.0, ClipProblem("outside")),
        ("-1,2", 10.0, ClipProblem("format")),
        ("a,b", 10.0, ClipProblem("format")),
        ("1", 10.0, ClipProblem("format")),
        ("1,2,3", 10.0, ClipProblem("format")),
    ],
)
def test_clip_ranges_are_checked_before_anything_is_sent(
    text: str, seconds: float | None, expected: ClipRange | ClipProblem
) -> None:
    assert parse_clip_range(text, seconds) == expected


def test_clip_range_timestamps_are_written_without_needless_decimals() -> None:
    assert ClipRange(1.0, 3.0).timestamps == "1,3"
    assert ClipRange(0.5, 2.5).timestamps == "0.5,2.5"


def test_names_are_expanded_longest_first_even_without_a_space_after_them() -> None:
    owned = {"小猫": "char.cat", "小猫咪": "char.kitten"}
    prompt, unknown = expand_mentions("@小猫咪和@小猫在海边", owned)
    assert prompt == "@char.kitten 和 @char.cat 在海边"
    assert unknown == []


def test_unknown_names_are_reported_but_typed_ids_pass() -> None:
    assert expand_mentions("@小狗 跑步", {"小猫": "char.cat"})[1] == ["小狗"]
    assert expand_mentions("@char.abc 跑步", {}) == ("@char.abc 跑步", [])


def test_default_names_skip_the_taken_ones_and_names_are_validated() -> None:
    assert default_name({"角色1", "角色2"}) == "角色3"
    assert valid_name("小熊_2") and not valid_name("小 熊") and not valid_name("@熊")


def test_mp4_size_and_length_are_read_from_the_moov_box(tmp_path: Path) -> None:
    path = tmp_path / "a.mp4"
    path.write_bytes(make_mp4(1280, 720, 9.5, payload=1 << 20))
    info = mp4_info(path)
    assert info is not None
    assert (info.width, info.height, info.duration) == (1280, 720, 9.5)


def test_mp4_without_moov_gives_no_info(tmp_path: Path) -> None:
    path = tmp_path / "b.mp4"
    path.write_bytes(b"\0\0\0\x20ftypisom" + bytes(20) + b"\0\0\0\x10mdat" + bytes(8))
    assert mp4_info(path) is None
    assert mp4_info(tmp_path / "missing.mp4") is None
