"""/settings: the user's defaults for /draw and /video, changed with inline buttons.

Each group of buttons sits under a label button (pressing it only says what the group is for);
options show their Chinese names, the chosen one marked with texts.SELECTED_MARK. Groups for
work no configured provider can do are not shown.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core import texts
from bot.core.jobs.options import (
    DEFAULT_IMAGE,
    DEFAULT_VIDEO,
    IMAGE_MODEL_SHORTHANDS,
    IMAGE_RATIOS,
    IMAGE_SIZES,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DURATIONS,
    image_model_name,
    image_sizes_for,
    model_codes,
)
from bot.tg.context import Context
from bot.tg.handlers.commands import available_commands
from bot.tg.handlers.common import services
from bot.tg.handlers.provider_info import provider_summary

ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("image", "aspect_ratio"): IMAGE_RATIOS,
    ("image", "image_size"): IMAGE_SIZES,
    ("image", "model"): tuple(IMAGE_MODEL_SHORTHANDS),
    ("video", "aspect_ratio"): VIDEO_ASPECT_RATIOS,
    ("video", "duration"): tuple(str(d) for d in VIDEO_DURATIONS),
    ("video", "size"): tuple(texts.VIDEO_QUALITY_NAMES),
}
Markup = InlineKeyboardMarkup
LABEL = "label"  # callback key of a group's label button


def _button(label: str, selected: bool, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(texts.SELECTED_MARK + label if selected else label,
                                callback_data=data)  # fmt: skip


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _ratio_name(ratio: object) -> str:
    return texts.RATIO_AUTO if ratio == "auto" else str(ratio)


def settings_view(
    image: dict, video: dict, chat_model: str, owner: int,
    draw: bool = True, make_video: bool = True,
) -> tuple[str, InlineKeyboardMarkup]:  # fmt: skip
    def data(kind: str, key: str, value: object) -> str:
        return f"set|{kind}|{key}|{value}|{owner}"

    def label(text: str) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(text, callback_data=data(LABEL, "-", "-"))]

    lines = [texts.SETTINGS_HEAD]
    keyboard: list[list[InlineKeyboardButton]] = []
    if draw:
        lines.append(texts.SETTINGS_DRAW.format(
            ratio=_ratio_name(image["aspect_ratio"]), size=image["image_size"],
            model=image_model_name(str(image["model"]))))  # fmt: skip
        keyboard.append(label(texts.SETTINGS_SECTION_RATIO))
        keyboard += _rows(
            [_button(_ratio_name(r), r == image["aspect_ratio"], data("image", "aspect_ratio", r))
             for r in IMAGE_RATIOS], 6)  # fmt: skip
        keyboard.append(label(texts.SETTINGS_SECTION_SIZE))
        keyboard += _rows(
            [_button(s, s == image["image_size"], data("image", "image_size", s))
             for s in IMAGE_SIZES], 3)  # fmt: skip
        keyboard.append(label(texts.SETTINGS_SECTION_MODEL))
        keyboard += _rows(
            [_button(image_model_name(model), model == image["model"],
                     data("image", "model", code))
             for model, code in model_codes().items()], 3)  # fmt: skip
    if make_video:
        lines.append(texts.SETTINGS_VIDEO.format(
            ratio=video["aspect_ratio"], duration=texts.SECONDS.format(seconds=video["duration"]),
            quality=texts.VIDEO_QUALITY_NAMES.get(str(video["size"]), video["size"])))  # fmt: skip
        keyboard.append(label(texts.SETTINGS_SECTION_VIDEO))
        keyboard.append(
            [_button(r, r == video["aspect_ratio"], data("video", "aspect_ratio", r))
             for r in VIDEO_ASPECT_RATIOS]
            + [_button(texts.SECONDS.format(seconds=d), d == video["duration"],
                       data("video", "duration", d))
               for d in VIDEO_DURATIONS]
        )  # fmt: skip
        keyboard.append(label(texts.SETTINGS_SECTION_VIDEO_QUALITY))
        keyboard.append(
            [_button(name, size == video["size"], data("video", "size", size))
             for size, name in texts.VIDEO_QUALITY_NAMES.items()]
        )  # fmt: skip
    lines.append(texts.SETTINGS_CHAT.format(chat_model=chat_model))
    lines.append(texts.SETTINGS_FOOT)
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


async def _view(context: Context, user_id: int) -> tuple[str, Markup]:
    svc = services(context)
    offered = available_commands(svc.providers)
    text, markup = settings_view(*await _current(context, user_id), owner=user_id,
                                 draw="draw" in offered, make_video="video" in offered)  # fmt: skip
    return text + await provider_summary(svc, user_id), markup  # routing, last provider used


async def _current(context: Context, user_id: int) -> tuple[dict, dict, str]:
    svc = services(context)
    prefs = await svc.prefs.prefs(user_id)
    image = {**DEFAULT_IMAGE, **prefs.get("image", {})}
    video = {**DEFAULT_VIDEO, **prefs.get("video", {})}
    return image, video, await svc.chat.model_for(user_id)


async def on_settings(update: Update, context: Context) -> None:
    """Show the defaults with buttons to change them."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    text, markup = await _view(context, user.id)
    await message.reply_text(text, reply_markup=markup)


async def on_setting_chosen(update: Update, context: Context) -> None:
    """Store one changed default; keep model and size compatible (vip / 4k-vip)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split("|")
    if len(parts) != 5 or parts[4] != str(query.from_user.id):
        await query.answer(texts.BUTTON_FORBIDDEN, show_alert=True)
        return
    _, kind, key, value, _owner = parts
    if kind == LABEL:
        await query.answer(texts.SETTINGS_SECTION_HINT)
        return
    if value not in ALLOWED.get((kind, key), ()):
        await query.answer(texts.UNKNOWN_BUTTON)
        return
    image, video, _ = await _current(context, query.from_user.id)
    note = texts.SETTINGS_SAVED
    if kind == "image":
        if key == "model":
            value = IMAGE_MODEL_SHORTHANDS.get(value, value)
        image[key] = value
        allowed = image_sizes_for(str(image["model"]))
        if allowed and image["image_size"] not in allowed:
            if key == "image_size":
                image["model"] = DEFAULT_IMAGE["model"]
            else:
                image["image_size"] = allowed[-1]
                note = texts.SETTINGS_ADJUSTED.format(
                    model=image_model_name(str(image["model"])), sizes="/".join(allowed))
        await services(context).prefs.update_prefs(query.from_user.id, image=image)
    elif kind == "video":
        video[key] = int(value) if key == "duration" else value
        await services(context).prefs.update_prefs(query.from_user.id, video=video)
    await query.answer(note)
    text, markup = await _view(context, query.from_user.id)
    await query.edit_message_text(text, reply_markup=markup)
