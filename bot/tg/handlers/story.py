"""/story: a multi-shot storyboard video (the unified aggregator's `Shot N:` prompt format)."""

from __future__ import annotations

from telegram import Update

from bot.core import texts
from bot.core.jobs.storyboard import StoryProblem, parse_story, problem_text, storyboard_prompt
from bot.core.providers.base import GenerationRequest
from bot.tg.context import Context
from bot.tg.handlers.common import command_argument, services
from bot.tg.handlers.generation import start_job


async def on_story(update: Update, context: Context) -> None:
    """/story [options] then one `时长 画面` line per shot."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    argument = command_argument(message)
    if not argument:
        await message.reply_text(texts.STORY_HELP)
        return
    story = parse_story(argument)
    if isinstance(story, StoryProblem):
        await message.reply_text(problem_text(story))
        return
    request = GenerationRequest("video", storyboard_prompt(story.shots), story.params)
    if not services(context).providers.candidates(request):
        await message.reply_text(texts.STORY_UNAVAILABLE)
        return
    await start_job(context, message, user.id, request)
