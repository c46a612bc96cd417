"""/draw: image generation and editing with Nano Banana."""

from __future__ import annotations

from telegram import Message, Update

from bot.core import texts
from bot.core.jobs.options import image_model_choices, parse_image_options, ratio_choices
from bot.core.providers.base import GenerationRequest
from bot.core.usecases.options import option_refusal
from bot.tg.context import Context
from bot.tg.handlers.common import command_argument, services
from bot.tg.handlers.generation import start_job
from bot.tg.handlers.references import collect_image_references


async def on_draw(update: Update, context: Context) -> None:
    """/draw [options] <prompt>, optionally with or replying to reference images."""
    message = update.effective_message
    assert message is not None
    await draw_from(context, [message], command_argument(message))


async def draw_from(
    context: Context, parts: list[Message], argument: str,
    extra_references: list[str] | None = None,
) -> None:  # fmt: skip
    """Shared by /draw, photo captions, albums and replies to a "use as reference" prompt."""
    message = parts[0]
    user = message.from_user
    assert user is not None
    svc = services(context)
    defaults = (await svc.prefs.prefs(user.id)).get("image", {})
    parsed = parse_image_options(argument, defaults)
    if not parsed.prompt:
        await message.reply_text(
            texts.DRAW_EMPTY.format(ratios=ratio_choices(), models=image_model_choices())
        )
        return
    limit = svc.settings.chat_max_prompt_chars
    if len(parsed.prompt) > limit:
        await message.reply_text(
            texts.PROMPT_TOO_LONG.format(length=len(parsed.prompt), limit=limit)
        )
        return
    if refused := option_refusal(svc, GenerationRequest("image", parsed.prompt, parsed.params)):
        await message.reply_text(refused.text)
        return
    refs = await collect_image_references(
        parts, svc.jobs, svc.settings.media_dir / "refs",
        max_count=svc.settings.draw_max_references, max_mb=svc.settings.draw_max_reference_mb,
    )  # fmt: skip
    if refs.problem:
        await message.reply_text(refs.problem)
        return
    references = (extra_references or []) + refs.paths
    request = GenerationRequest("image", parsed.prompt, parsed.params, references)
    await start_job(context, message, user.id, request)
