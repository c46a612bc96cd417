"""/设置 (settings) on QQ: the user's defaults for /画图 and /视频, changed without buttons.

`/设置` shows the defaults and numbers the items; `/设置 <项> <值>` (`/设置 比例 16:9`,
`/设置 清晰度 2K`, `/设置 5 2`) changes one; `/设置 <项>` or a reply with an item's number
lists its options, and a reply with an option's number picks it (bot/onebot/handlers/choices.py).

Rules (as Telegram's /settings, bot/tg/handlers/settings.py):
- only items a configured provider can use are shown or accepted;
- items and values are accepted by their Chinese names and by the short codes;
- anything else gets a Chinese answer naming what is allowed, and nothing changes;
- an image model and size that do not go together are never saved: the other one is adjusted
  and the user is told.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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
from bot.core.providers.base import GenerationRequest
from bot.onebot.context import QQContext
from bot.onebot.outbound.replies import ids_of, reply
from bot.onebot.protocol.events import MessageEvent

MENU = "settings"  # choices kind: the numbered items of /设置
OPTIONS = "setting:"  # choices kind prefix: the numbered options of one item


@dataclass(frozen=True)
class Item:
    key: str  # texts.QQ_SETTING_NAMES key
    kind: str  # "image" / "video": the prefs section and what a provider must be able to do
    field: str  # the field inside that section
    codes: tuple[str, ...]  # Latin names users may type for the item


ITEMS = (
    Item("image_ratio", "image", "aspect_ratio", ("ratio", "aspect_ratio")),
    Item("image_size", "image", "image_size", ("size", "image_size")),
    Item("image_model", "image", "model", ("model",)),
    Item("video_ratio", "video", "aspect_ratio", ("video_ratio",)),
    Item("video_duration", "video", "duration", ("duration",)),
    Item("video_quality", "video", "size", ("quality", "video_size")),
)


@dataclass(frozen=True)
class Option:
    value: object  # what is stored in the prefs
    name: str  # what users read
    accepted: frozenset[str]  # normalized inputs that mean this option


def _norm(text: str) -> str:
    return "".join(text.split()).lower().replace("：", ":")


def _option(value: object, name: str, *inputs: str) -> Option:
    return Option(value, name, frozenset(_norm(x) for x in (str(value), name, *inputs)))


def options(item: Item) -> list[Option]:
    match item.key:
        case "image_ratio":
            return [_option(r, texts.RATIO_AUTO if r == "auto" else r) for r in IMAGE_RATIOS]
        case "image_size":
            return [_option(s, s) for s in IMAGE_SIZES]
        case "image_model":
            return [
                _option(model, image_model_name(model),
                        *(c for c, m in IMAGE_MODEL_SHORTHANDS.items() if m == model))
                for model in model_codes()
            ]  # fmt: skip
        case "video_ratio":
            return [_option(r, r) for r in VIDEO_ASPECT_RATIOS]
        case "video_duration":
            return [
                _option(d, texts.SECONDS.format(seconds=d), f"{d}s")  # and "15秒": the name
                for d in VIDEO_DURATIONS
            ]
        case _:  # video_quality
            words = {"small": ("sd",), "large": ("hd",)}
            return [_option(size, name, *words.get(size, ()))
                    for size, name in texts.VIDEO_QUALITY_NAMES.items()]  # fmt: skip


def _choices_text(item: Item) -> str:
    """The allowed values as users read them; models with the code to type."""
    if item.key == "image_model":
        codes = model_codes()
        return "、".join(
            texts.OPTION_WITH_CODE.format(name=o.name, code=codes[str(o.value)])
            for o in options(item)
        )
    return "、".join(o.name for o in options(item))


def _value_name(item: Item, value: object) -> str:
    for option in options(item):
        if option.value == value or str(option.value) == str(value):
            return option.name
    return str(value)


def available_items(adapter: QQContext) -> list[Item]:
    """The items of the kinds a configured provider can make (as the Telegram menu)."""
    providers = adapter.services.providers
    kinds = {k for k in ("image", "video") if providers.candidates(GenerationRequest(k, "-", {}))}
    return [item for item in ITEMS if item.kind in kinds]


async def _current(adapter: QQContext, user: int) -> tuple[dict, dict]:
    prefs = await adapter.services.prefs.prefs(user)
    return {**DEFAULT_IMAGE, **prefs.get("image", {})}, {**DEFAULT_VIDEO, **prefs.get("video", {})}


def _remember(adapter: QQContext, event: MessageEvent, kind: str, values: list[str]) -> None:
    user, chat = ids_of(event)
    adapter.choices[(chat, user)] = (kind, values, time.monotonic())


async def settings(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    """/设置 [项 [值]]."""
    words = argument.split()
    items = available_items(adapter)
    if not words:
        await show(adapter, event, items)
        return
    item = await _find_item(adapter, event, words[0], items)
    if item is None:
        return
    if len(words) == 1:
        await show_options(adapter, event, item)
        return
    await choose(adapter, event, item, " ".join(words[1:]))


async def show(adapter: QQContext, event: MessageEvent, items: list[Item]) -> None:
    user, _ = ids_of(event)
    if not items:
        await reply(adapter, event, texts.QQ_SETTINGS_NONE)
        return
    image, video = await _current(adapter, user)
    lines = [texts.QQ_SETTINGS_HEAD]
    kinds = {item.kind for item in items}
    if "image" in kinds:
        lines.append(texts.SETTINGS_DRAW.format(
            ratio=_value_name(ITEMS[0], image["aspect_ratio"]), size=image["image_size"],
            model=image_model_name(str(image["model"]))))  # fmt: skip
    if "video" in kinds:
        lines.append(texts.SETTINGS_VIDEO.format(
            ratio=video["aspect_ratio"], duration=texts.SECONDS.format(seconds=video["duration"]),
            quality=texts.VIDEO_QUALITY_NAMES.get(str(video["size"]), video["size"])))  # fmt: skip
    lines.append(texts.SETTINGS_CHAT.format(
        chat_model=await adapter.services.chat.model_for(user)))  # fmt: skip
    lines.append(texts.QQ_SETTINGS_ITEMS)
    for number, item in enumerate(items, 1):
        section = image if item.kind == "image" else video
        lines.append(texts.QQ_SETTINGS_ITEM_LINE.format(
            number=number, name=texts.QQ_SETTING_NAMES[item.key],
            value=_value_name(item, section[item.field])))  # fmt: skip
    lines.append(texts.QQ_SETTINGS_EXAMPLES)
    _remember(adapter, event, MENU, [item.key for item in items])
    await reply(adapter, event, "\n".join(lines))


async def show_options(adapter: QQContext, event: MessageEvent, item: Item) -> None:
    user, _ = ids_of(event)
    image, video = await _current(adapter, user)
    current = (image if item.kind == "image" else video)[item.field]
    name = texts.QQ_SETTING_NAMES[item.key]
    listed = options(item)
    lines = [texts.QQ_SETTING_OPTIONS.format(name=name, current=_value_name(item, current))]
    for number, option in enumerate(listed, 1):
        mark = texts.SELECTED_MARK if str(option.value) == str(current) else ""
        lines.append(texts.QQ_CHOICE_LINE.format(number=number, mark=mark, name=option.name))
    lines.append(texts.QQ_SETTING_OPTIONS_HOW.format(name=name, example=listed[-1].name))
    _remember(adapter, event, OPTIONS + item.key, [str(o.value) for o in listed])
    await reply(adapter, event, "\n".join(lines))


async def _find_item(
    adapter: QQContext, event: MessageEvent, word: str, items: list[Item]
) -> Item | None:
    """The item `word` names (a number of /设置's list, a Chinese name or a code), or None
    after telling the user why not."""
    if word.isdecimal():
        index = int(word) - 1
        if 0 <= index < len(items):
            return items[index]
        await reply(adapter, event, texts.QQ_CHOICE_OUT_OF_RANGE.format(count=len(items)))
        return None
    wanted = _norm(word)
    for item in ITEMS:
        names = (texts.QQ_SETTING_NAMES[item.key], *texts.QQ_SETTING_ALIASES[item.key], *item.codes)
        if wanted in {_norm(n) for n in names}:
            if item in items:
                return item
            await reply(adapter, event, texts.QQ_SETTING_UNAVAILABLE.format(
                kind=texts.QQ_SETTING_KIND_NAMES[item.kind],
                name=texts.QQ_SETTING_NAMES[item.key]))  # fmt: skip
            return None
    names = "、".join(texts.QQ_SETTING_NAMES[item.key] for item in items)
    await reply(adapter, event, texts.QQ_SETTING_UNKNOWN.format(name=word, names=names))
    return None


async def choose(adapter: QQContext, event: MessageEvent, item: Item, value: str) -> None:
    """Store `value` (an option's name, code or number) for `item`."""
    listed = options(item)
    wanted = _norm(value)
    picked = next((o for o in listed if wanted in o.accepted), None)
    if picked is None and wanted.isdecimal() and 1 <= int(wanted) <= len(listed):
        picked = listed[int(wanted) - 1]  # a number that is no value: the option's number
    name = texts.QQ_SETTING_NAMES[item.key]
    if picked is None:
        await reply(adapter, event, texts.QQ_SETTING_BAD_VALUE.format(
            name=name, value=value.strip(), choices=_choices_text(item)))  # fmt: skip
        return
    user, _ = ids_of(event)
    image, video = await _current(adapter, user)
    answer = texts.QQ_SETTING_SAVED.format(name=name, value=picked.name)
    prefs = adapter.services.prefs
    if item.kind == "image":
        image[item.field] = picked.value
        model = str(image["model"])
        sizes = image_sizes_for(model)
        if image["image_size"] not in sizes:
            if item.field == "image_size":  # the size wins: back to the default model
                image["model"] = DEFAULT_IMAGE["model"]
                answer = texts.QQ_SETTING_MODEL_RESET.format(
                    name=name, value=picked.name, model=image_model_name(str(image["model"]))
                )
            else:  # the model wins: its largest size
                image["image_size"] = sizes[-1]
                answer = texts.QQ_SETTING_SIZE_ADJUSTED.format(
                    name=name, value=picked.name, model=image_model_name(model),
                    sizes="/".join(sizes), size=sizes[-1])  # fmt: skip
        await prefs.update_prefs(user, image=image)
    else:
        video[item.field] = picked.value
        await prefs.update_prefs(user, video=video)
    await reply(adapter, event, answer)


async def numbered(adapter: QQContext, event: MessageEvent, kind: str, value: str) -> bool:
    """A number answering /设置's item list or an item's option list; True when it was."""
    if kind == MENU:
        items = available_items(adapter)
        item = await _find_item(adapter, event, value, items)
        if item is not None:
            await show_options(adapter, event, item)
        return True
    if kind.startswith(OPTIONS):
        item = next((i for i in ITEMS if i.key == kind.removeprefix(OPTIONS)), None)
        if item is None:
            return False
        listed = options(item)
        index = int(value) - 1
        if not 0 <= index < len(listed):
            await reply(adapter, event, texts.QQ_CHOICE_OUT_OF_RANGE.format(count=len(listed)))
            return True
        await choose(adapter, event, item, listed[index].name)
        return True
    return False
