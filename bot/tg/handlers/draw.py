"""/draw: image generation and editing with Nano Banana."""

from __future__ import annotations

from telegram import Message, Update

from bot.core.usecases.refused import Refused
from bot.core.usecases.requests import image_request, with_references
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
    request = await image_request(svc, user.id, argument)
    if isinstance(request, Refused):
        await message.reply_text(request.text)
        return
    refs = await collect_image_references(
        parts, svc.jobs, svc.settings.media_dir / "refs",
        max_count=svc.settings.draw_max_references, max_mb=svc.settings.draw_max_reference_mb,
    )  # fmt: skip
    if refs.problem:
        await message.reply_text(refs.problem)
        return
    request = with_references(request, (extra_references or []) + refs.paths)
    await start_job(context, message, user.id, request)
