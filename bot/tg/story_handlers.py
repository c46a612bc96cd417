"""/story: a multi-shot storyboard video (the unified aggregator's `Shot N:` prompt format)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.jobs.storyboard import MAX_SHOTS, StoryProblem, parse_story, storyboard_prompt
from bot.providers.base import GenerationRequest
from bot.tg.common import command_argument, services
from bot.tg.generation import start_job


def problem_text(problem: StoryProblem) -> str:
    match problem.reason:
        case "bad_line":
            return texts.STORY_BAD_LINE.format(number=problem.number, line=problem.line)
        case "too_many":
            return texts.STORY_TOO_MANY.format(limit=MAX_SHOTS)
        case "bad_duration":
            return texts.STORY_BAD_DURATION.format(number=problem.number, seconds=problem.seconds)
        case "bad_total":
            return texts.STORY_BAD_TOTAL.format(total=problem.total)
    return texts.STORY_TOO_FEW


async def on_story(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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
