"""The adaptive poll interval (bot/core/jobs/polling.py): a pure function."""

from __future__ import annotations

import pytest

from bot.core.jobs.polling import poll_delay


def delay(progress: int | None = None, elapsed: float = 10.0, **kw: object) -> float:
    return poll_delay(6.0, elapsed=elapsed, typical=150.0, progress=progress, **kw)  # type: ignore[arg-type]


def test_far_from_done_polls_at_the_configured_interval() -> None:
    assert delay(progress=None, elapsed=10) == 6.0
    assert delay(progress=20, elapsed=10) == 6.0
    assert delay(progress=40, elapsed=10) == 6.0


@pytest.mark.parametrize("progress", [70, 90, 99])
def test_progress_past_70_percent_polls_every_two_seconds(progress: int) -> None:
    assert delay(progress=progress) == pytest.approx(2.0)


def test_interval_shrinks_steadily_between_40_and_70_percent() -> None:
    shown = [delay(progress=p) for p in range(40, 71, 5)]
    assert shown == sorted(shown, reverse=True)
    assert 2.0 < delay(progress=55) < 6.0


def test_without_progress_the_typical_duration_says_when_it_is_close() -> None:
    assert delay(progress=None, elapsed=100) == 6.0  # 2/3 of the typical 150 s
    assert delay(progress=None, elapsed=125) == pytest.approx(2.0)  # past 80 %
    assert delay(progress=None, elapsed=300) == pytest.approx(2.0)  # late, still expected
    assert delay(progress=None, elapsed=1000) == 6.0  # far beyond: stuck, back to the base


def test_a_provider_that_reports_low_progress_is_believed_over_the_clock() -> None:
    assert delay(progress=5, elapsed=240) == 6.0


def test_with_a_callback_expected_polling_is_only_a_slow_safety_net() -> None:
    assert delay(progress=95, callback_expected=True) == 24.0
    assert delay(progress=None, elapsed=125, callback_expected=True) == 24.0
