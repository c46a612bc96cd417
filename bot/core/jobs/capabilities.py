"""Which commands the configured providers can run, so a platform offers only those.

Rules: a command that builds on a provider feature (a remix, a character, a storyboard) is
offered when at least one configured provider accepts a request of that shape; every other
command is always offered. Platform-free: each adapter decides how it shows the result.
"""

from __future__ import annotations

from bot.core.providers.base import GenerationRequest
from bot.core.providers.registry import ProviderSet

# What each command needs a configured provider to accept (menus and /help of every platform).
COMMAND_NEEDS: dict[str, GenerationRequest] = {
    "draw": GenerationRequest("image", "-", {}),
    "video": GenerationRequest("video", "-", {}),
    "remix": GenerationRequest("video", "-", {"remix_target": "-"}),
    "role": GenerationRequest("character", "-", {"pid": "-", "timestamps": "1,3"}),
    "roles": GenerationRequest("character", "-", {"pid": "-", "timestamps": "1,3"}),
    "story": GenerationRequest("video", "-", {"storyboard": True, "duration": 10,
                                              "aspect_ratio": "16:9"}),
}  # fmt: skip


def can_run(providers: ProviderSet, command: str) -> bool:
    need = COMMAND_NEEDS.get(command)
    return need is None or bool(providers.candidates(need))
