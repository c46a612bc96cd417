"""Reading pictures and progress out of a chat-format image answer (pure functions, no I/O).

Image models spoken to through `/v1/chat/completions` (gpt-4o-image on the unified aggregator
and on 聚合API) write their result into the answer text. Rules kept here:
- pictures are, in this order of trust: Markdown images `![…](url)` and `data:image/…;base64,`
  URLs; else Markdown links that point at an image; else bare URLs that end like an image file.
  A lower tier is only read when the higher ones found nothing, because the models often add a
  "[下载](…/download/…)" link to the very picture they already showed;
- a URL that touches the end of a cut-off answer may itself be cut off and is not trusted;
- progress is the last percentage, or the last number on a "进度" line ("进度 11....46");
- an answer without a picture is described in Chinese words, never quoted (it may be English,
  contain links or the provider's internals).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from bot.core import texts
from bot.core.providers.common import percent

MAX_PICTURES = 10  # one Telegram album; more would be an answer gone wrong

_DATA_URL_RE = re.compile(r"data:image/(?:png|jpe?g|webp|gif);base64,[A-Za-z0-9+/=]+", re.I)
_MD_IMAGE_RE = re.compile(r"!\[[^\]\n]*\]\(\s*<?(https?://[^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_LINK_RE = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?(https?://[^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_URL_RE = re.compile(r"https?://[^\s<>\"'()\[\]（）「」，。]+")
_IMAGE_PATH_RE = re.compile(r"\.(?:png|jpe?g|webp|gif)(?:$|[?#])", re.I)
_IMAGE_WORDS_RE = re.compile(r"图|image|img|picture|photo|下载|download", re.I)
_TRAILING = ".,;:!?，。；：！？）)]】'\""

_PERCENT_RE = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_PROGRESS_LINE_RE = re.compile(r"(?:进度|progress)(.*)$", re.I)
_NUMBER_RE = re.compile(r"\d{1,3}(?:\.\d+)?")

_POLICY_RE = re.compile(
    r"违规|违反|不符合|审核|敏感|政策|规范|不允许|policy|policies|violat|moderation|safety|"
    r"guideline|inappropriate|not allowed|prohibited",
    re.I,
)
_FAILED_RE = re.compile(
    r"失败|错误|出错|超时|繁忙|拥挤|稍后|异常|error|fail|timeout|timed out|busy|overload|"
    r"try again|unavailable",
    re.I,
)
_REFUSAL_RE = re.compile(r"抱歉|无法|不能|拒绝|sorry|can't|cannot|can not|unable|won't", re.I)


def find_pictures(text: str, *, complete: bool = True) -> list[str]:
    """The picture URLs (http(s) or data:image) in an answer, in order, without repeats.

    `complete=False` (the stream was cut): a URL that runs to the end of the text is skipped.
    """
    end = len(text.rstrip())

    def whole(match_end: int) -> bool:
        return complete or match_end < end

    found: list[tuple[int, str]] = []
    for m in _MD_IMAGE_RE.finditer(text):
        found.append((m.start(), m.group(1)))
    for m in _DATA_URL_RE.finditer(text):
        if whole(m.end()):
            found.append((m.start(), m.group(0)))
    if not found:
        for m in _MD_LINK_RE.finditer(text):
            label, url = m.group(1), m.group(2)
            if _IMAGE_PATH_RE.search(url) or _IMAGE_WORDS_RE.search(label):
                found.append((m.start(), url))
    if not found:
        for m in _BARE_URL_RE.finditer(text):
            url = m.group(0).rstrip(_TRAILING)
            if _IMAGE_PATH_RE.search(url) and whole(m.start() + len(url)):
                found.append((m.start(), url))
    pictures = list(dict.fromkeys(url for _, url in sorted(found)))
    return pictures[:MAX_PICTURES]


def decode_data_url(url: str) -> bytes | None:
    """The bytes of a `data:image/…;base64,` URL, or None when it is not valid base64."""
    _, _, payload = url.partition(",")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def progress_of(text: str) -> int | None:
    """The latest progress the answer reports, 0..100, or None when it reports none."""
    plain = _BARE_URL_RE.sub("", _DATA_URL_RE.sub("", text[-4000:]))
    for line in reversed(plain.splitlines()):
        found = _PERCENT_RE.findall(line)
        if found:
            return percent(found[-1])
        labelled = _PROGRESS_LINE_RE.search(line)
        if labelled:
            numbers = _NUMBER_RE.findall(labelled.group(1))
            if numbers:
                return percent(numbers[-1])
    return None


def no_picture_reason(text: str, *, cut_off: bool = False) -> str:
    """Why an answer without a picture failed, in Chinese words of our own."""
    plain = " ".join(_BARE_URL_RE.sub("", _DATA_URL_RE.sub("", text)).split())
    if _POLICY_RE.search(plain):
        return texts.CHAT_IMAGE_REFUSED_POLICY
    if cut_off:
        return texts.CHAT_IMAGE_CUT_OFF
    if not plain:
        return texts.CHAT_IMAGE_EMPTY
    if _FAILED_RE.search(plain):
        return texts.CHAT_IMAGE_PROVIDER_FAILED
    if _REFUSAL_RE.search(plain):
        return texts.CHAT_IMAGE_REFUSED
    return texts.CHAT_IMAGE_TEXT_ONLY


def prompt_with_options(prompt: str, params: dict[str, Any]) -> str:
    """The chat format has no fields for ratio and size: ask for them in the prompt itself."""
    wishes = []
    ratio = str(params.get("aspect_ratio") or "auto")
    if ratio != "auto":
        wishes.append(texts.CHAT_IMAGE_ASK_RATIO.format(ratio=ratio))
    size = str(params.get("image_size") or "")
    if size in texts.CHAT_IMAGE_ASK_SIZE:
        wishes.append(texts.CHAT_IMAGE_ASK_SIZE[size])
    if not wishes:
        return prompt
    return f"{prompt}\n\n（{'，'.join(wishes)}）"
