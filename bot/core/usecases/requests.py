"""Turning what a user typed after /draw or /video into a request, the same on every platform.

Rules:
- the user's saved defaults (/settings) fill what the command leaves out;
- an empty prompt, one longer than CHAT_MAX_PROMPT_CHARS, options no provider that may run the
  request takes (bot/core/usecases/options.py) and an unknown `@character` are refused with the
  Chinese answer before anything is reserved or paid;
- references are the platform's to collect (from a message, a reply, an upload): the request
  comes back without them and the adapter adds them (`with_references`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.core import texts
from bot.core.jobs.characters import expand_mentions
from bot.core.jobs.options import (
    DEFAULT_VIDEO,
    image_model_choices,
    parse_image_options,
    parse_video_options,
    ratio_choices,
)
from bot.core.providers.base import GenerationRequest
from bot.core.store.characters import CharacterStore
from bot.core.store.jobs import ResultMessage
from bot.core.usecases.options import option_refusal
from bot.core.usecases.refused import Refused

if TYPE_CHECKING:
    from bot.core.services import Services


async def image_request(
    services: Services, user_id: int, argument: str
) -> GenerationRequest | Refused:
    """/draw's text → an image request (no references yet), or why not."""
    defaults = (await services.prefs.prefs(user_id)).get("image", {})
    parsed = parse_image_options(argument, defaults)
    if not parsed.prompt:
        return Refused(texts.DRAW_EMPTY.format(ratios=ratio_choices(),
                                               models=image_model_choices()))  # fmt: skip
    if refused := _too_long(services, parsed.prompt):
        return refused
    request = GenerationRequest("image", parsed.prompt, parsed.params)
    return option_refusal(services, request) or request


async def video_request(
    services: Services,
    user_id: int,
    argument: str,
    prefix: str = "",
    base: dict[str, object] | None = None,
    empty: str = texts.VIDEO_EMPTY,
) -> GenerationRequest | Refused:
    """/video's text → a video request (no references yet), or why not. `prefix` (a
    character's `@name`) goes before the prompt; `base` replaces the user's defaults (a remix
    keeps its source's shape); `empty` is what an empty prompt is told."""
    defaults = base if base is not None else (await services.prefs.prefs(user_id)).get("video", {})
    parsed = parse_video_options(argument, defaults)
    prompt = f"{prefix} {parsed.prompt}".strip() if parsed.prompt.strip() else ""
    if not prompt:
        return Refused(empty)
    if refused := _too_long(services, prompt):
        return refused
    names = await CharacterStore(services.db).names(user_id)
    expanded, unknown = expand_mentions(prompt, names)
    if unknown:
        return Refused(texts.VIDEO_UNKNOWN_CHARACTER.format(name=unknown[0]))
    return GenerationRequest("video", expanded, parsed.params)


async def remix_request(
    services: Services, user_id: int, argument: str, target: ResultMessage, empty: str
) -> GenerationRequest | Refused:
    """/remix's text on a bot video → the continuation's request, or why not. The
    continuation keeps the source's shape (ratio, length, model) unless the user asks
    otherwise; `empty` is each platform's own hint for an empty prompt."""
    if not target.pid:
        return Refused(texts.REMIX_TARGET_MISSING)
    source = await services.jobs.get(target.job_id)
    base = {**DEFAULT_VIDEO, **(source.request.params if source else {})}
    base.pop("remix_target", None)
    request = await video_request(services, user_id, argument, base=base, empty=empty)
    if isinstance(request, Refused):
        return request
    params = {**request.params, "remix_target": target.pid}
    return dataclasses.replace(request, params=params)


def with_references(request: GenerationRequest, references: list[str]) -> GenerationRequest:
    return dataclasses.replace(request, references=[*request.references, *references])


def _too_long(services: Services, prompt: str) -> Refused | None:
    limit = services.settings.chat_max_prompt_chars
    if len(prompt) > limit:
        return Refused(texts.PROMPT_TOO_LONG.format(length=len(prompt), limit=limit))
    return None
