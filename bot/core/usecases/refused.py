"""The answer of a use case that spent nothing (its own module: every use case returns it,
and the services hold use cases that launch.py, which reads the services, must not import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refused:
    """Nothing was spent; `text` is the Chinese answer for the user."""

    text: str
