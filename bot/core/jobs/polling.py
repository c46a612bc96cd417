"""How long to wait before the next status poll of a running job (pure: numbers in, seconds out).

Rules:
- far from done, poll every `base` seconds (the configured interval);
- as the provider's progress passes NEAR_FROM % the interval shrinks, reaching base/FAST_DIVISOR
  at NEAR_FULL % (a finished result then waits little for its poll);
- without a progress figure, the elapsed time says the same once it passes NEAR_TIME of the
  typical duration; a job far beyond it (STUCK_AFTER) is polled at `base` again;
- when the provider will call back (webhook), polling is only the safety net: CALLBACK_FACTOR
  times `base`, never shrinking.
"""

from __future__ import annotations

FAST_DIVISOR = 3.0  # image 1.5 s → 0.5 s, video 6 s → 2 s
NEAR_FROM, NEAR_FULL = 40, 70  # percent: the last 30 % usually takes seconds
NEAR_TIME = 0.8  # of the typical duration
STUCK_AFTER = 3.0  # typical durations
CALLBACK_FACTOR = 4.0


def poll_delay(
    base: float,
    *,
    elapsed: float,
    typical: float,
    progress: int | None,
    callback_expected: bool = False,
) -> float:
    if callback_expected:
        return base * CALLBACK_FACTOR
    fast = base / FAST_DIVISOR
    if progress:
        nearness = (progress - NEAR_FROM) / (NEAR_FULL - NEAR_FROM)
    elif typical > 0 and NEAR_TIME * typical <= elapsed <= STUCK_AFTER * typical:
        nearness = 1.0
    else:
        nearness = 0.0
    nearness = max(0.0, min(1.0, nearness))
    return base - (base - fast) * nearness
