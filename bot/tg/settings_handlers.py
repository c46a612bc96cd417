"""/settings: the user's defaults for /draw and /video, changed with inline buttons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.jobs.options import DEFAULT_IMAGE, DEFAULT_VIDEO, IMAGE_MODEL_SHORTHANDS, IMAGE_RATIOS
from bot.providers.grsai_tasks import IMAGE_SIZES, VIDEO_ASPECT_RATIOS, VIDEO_DURATIONS
from bot.tg.common import services
from bot.tg.provider_info import provider_summary

MODEL_SIZES = {"nano-banana-pro-vip": ("1K", "2K"), "nano-banana-pro-4k-vip": ("4K",)}
MARK = "✅"
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("image", "aspect_ratio"): IMAGE_RATIOS,
    ("image", "image_size"): IMAGE_SIZES,
    ("image", "model"): tuple(IMAGE_MODEL_SHORTHANDS),
    ("video", "aspect_ratio"): VIDEO_ASPECT_RATIOS,
    ("video", "duration"): tuple(str(d) for d in VIDEO_DURATIONS),
    ("video", "size"): tuple(texts.VIDEO_QUALITY_NAMES),
}


def _button(label: str, selected: bool, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(f"{MARK}{label}" if selected else label, callback_data=data)


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def settings_view(
    image: dict, video: dict, chat_model: str, owner: int
) -> tuple[str, InlineKeyboardMarkup]:
    def data(kind: str, key: str, value: object) -> str:
        return f"set|{kind}|{key}|{value}|{owner}"

    text = texts.SETTINGS_TITLE.format(
        ratio=image["aspect_ratio"], size=image["image_size"], model=image["model"],
        video_ratio=video["aspect_ratio"], duration=video["duration"],
        quality=texts.VIDEO_QUALITY_NAMES.get(str(video["size"]), video["size"]),
        chat_model=chat_model,
    )  # fmt: skip
    short_names = {v: k for k, v in reversed(IMAGE_MODEL_SHORTHANDS.items())}
    keyboard: list[list[InlineKeyboardButton]] = []
    keyboard += _rows(
        [_button(r, r == image["aspect_ratio"], data("image", "aspect_ratio", r))
         for r in IMAGE_RATIOS], 6)  # fmt: skip
    keyboard += _rows(
        [_button(s, s == image["image_size"], data("image", "image_size", s))
         for s in IMAGE_SIZES], 3)  # fmt: skip
    keyboard += _rows(
        [_button(short, model == image["model"], data("image", "model", short))
         for model, short in short_names.items()], 3)  # fmt: skip
    keyboard.append(
        [_button(r, r == video["aspect_ratio"], data("video", "aspect_ratio", r))
         for r in VIDEO_ASPECT_RATIOS]
        + [_button(f"{d}秒", d == video["duration"], data("video", "duration", d))
           for d in VIDEO_DURATIONS]
    )  # fmt: skip
    keyboard.append(
        [_button(name, size == video["size"], data("video", "size", size))
         for size, name in texts.VIDEO_QUALITY_NAMES.items()]
    )  # fmt: skip
    return text, InlineKeyboardMarkup(keyboard)


async def _current(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> tuple[dict, dict, str]:
    svc = services(context)
    prefs = await svc.prefs.prefs(user_id)
    image = {**DEFAULT_IMAGE, **prefs.get("image", {})}
    video = {**DEFAULT_VIDEO, **prefs.get("video", {})}
    return image, video, await svc.chat.model_for(user_id)


async def on_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the defaults with buttons to change them."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    text, markup = settings_view(*await _current(context, user.id), owner=user.id)
    text += await provider_summary(services(context), user.id)  # routing, last provider used
    await message.reply_text(text, reply_markup=markup)


async def on_setting_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store one changed default; keep model and size compatible (vip / 4k-vip)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split("|")
    if len(parts) != 5 or parts[4] != str(query.from_user.id):
        await query.answer(texts.BUTTON_FORBIDDEN, show_alert=True)
        return
    _, kind, key, value, _owner = parts
    if value not in ALLOWED.get((kind, key), ()):
        await query.answer(texts.UNKNOWN_BUTTON)
        return
    image, video, _ = await _current(context, query.from_user.id)
    note = texts.SETTINGS_SAVED
    if kind == "image":
        if key == "model":
            value = IMAGE_MODEL_SHORTHANDS.get(value, value)
        image[key] = value
        allowed = MODEL_SIZES.get(str(image["model"]))
        if allowed and image["image_size"] not in allowed:
            if key == "image_size":
                image["model"] = DEFAULT_IMAGE["model"]
            else:
                image["image_size"] = allowed[-1]
                note = texts.SETTINGS_ADJUSTED.format(model=image["model"], sizes="/".join(allowed))
        await services(context).prefs.update_prefs(query.from_user.id, image=image)
    elif kind == "video":
        video[key] = int(value) if key == "duration" else value
        await services(context).prefs.update_prefs(query.from_user.id, video=video)
    await query.answer(note)
    text, markup = settings_view(*await _current(context, query.from_user.id),
                                 owner=query.from_user.id)  # fmt: skip
    text += await provider_summary(services(context), query.from_user.id)
    await query.edit_message_text(text, reply_markup=markup)
