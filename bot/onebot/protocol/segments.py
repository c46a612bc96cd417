"""Message segments (message/segment.md, array.md): builders, readers, command parsing.

Rules: messages are handled in array format; a string message (CQ codes, string.md) is
parsed into the same array on the way in, so readers never see CQ codes. Outgoing
segments carry only string values (as the spec requires), except a node's `content`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Segment = dict[str, Any]

# --- builders ---------------------------------------------------------------------------


def text(value: str) -> Segment:
    return {"type": "text", "data": {"text": value}}


def at(qq: int | str) -> Segment:
    return {"type": "at", "data": {"qq": str(qq)}}


def reply(message_id: int | str) -> Segment:
    return {"type": "reply", "data": {"id": str(message_id)}}


def file_ref(source: bytes | Path | str) -> str:
    """The `file` value for bytes (base64://), a local path (file://) or a URL (kept)."""
    if isinstance(source, bytes):
        return "base64://" + base64.b64encode(source).decode("ascii")
    if isinstance(source, Path):
        return source.resolve().as_uri()
    return source


def image(source: bytes | Path | str) -> Segment:
    return {"type": "image", "data": {"file": file_ref(source)}}


def video(source: bytes | Path | str) -> Segment:
    return {"type": "video", "data": {"file": file_ref(source)}}


def record(source: bytes | Path | str) -> Segment:
    return {"type": "record", "data": {"file": file_ref(source)}}


def file(source: bytes | Path | str, name: str) -> Segment:
    """A file segment (NapCat/LLOneBot extension; not in v11 itself)."""
    return {"type": "file", "data": {"file": file_ref(source), "name": name}}


def node(content: str | list[Segment], *, user_id: int | str, nickname: str) -> Segment:
    """A custom merged-forward node (合并转发自定义节点)."""
    body = [text(content)] if isinstance(content, str) else content
    data = {"user_id": str(user_id), "nickname": nickname, "content": body}
    return {"type": "node", "data": data}


def node_ref(message_id: int | str) -> Segment:
    return {"type": "node", "data": {"id": str(message_id)}}


# --- normalizing ------------------------------------------------------------------------

_CQ = re.compile(r"\[CQ:([A-Za-z0-9_.-]+)((?:,[^\]]*)?)\]")


def _unescape(value: str) -> str:
    for escaped, plain in (("&#44;", ","), ("&#91;", "["), ("&#93;", "]"), ("&amp;", "&")):
        value = value.replace(escaped, plain)
    return value


def parse_cq(message: str) -> list[Segment]:
    """A string-format message (CQ codes, string.md) → array format."""
    out: list[Segment] = []
    pos = 0
    for match in _CQ.finditer(message):
        if match.start() > pos:
            out.append(text(_unescape(message[pos : match.start()])))
        data: dict[str, str] = {}
        for part in match.group(2)[1:].split(",") if match.group(2) else ():
            key, _, value = part.partition("=")
            data[key] = _unescape(value)
        out.append({"type": match.group(1), "data": data})
        pos = match.end()
    if pos < len(message):
        out.append(text(_unescape(message[pos:])))
    return out


def normalize(message: Any) -> list[Segment]:
    """Any `message` value (string, one segment, array) → a list of segments.

    Raises ValueError for something that is no message at all.
    """
    if message is None:
        return []
    if isinstance(message, str):
        return parse_cq(message)
    if isinstance(message, dict):
        message = [message]
    if not isinstance(message, list):
        raise ValueError("message must be a string, a segment or an array of segments")
    out: list[Segment] = []
    for seg in message:
        if not isinstance(seg, dict) or not isinstance(seg.get("type"), str):
            raise ValueError("every segment needs a string 'type'")
        data = seg.get("data")
        if data is not None and not isinstance(data, dict):
            raise ValueError("segment 'data' must be an object or null")
        out.append({"type": seg["type"], "data": dict(data or {})})
    return out


# --- readers ----------------------------------------------------------------------------


def _of(message: Iterable[Segment], kind: str) -> list[dict[str, Any]]:
    return [seg.get("data") or {} for seg in message if seg.get("type") == kind]


def mentions(message: Iterable[Segment], self_id: int | str) -> bool:
    """True if the message @s account `self_id` (an @全体成员 does not count)."""
    return any(str(data.get("qq")) == str(self_id) for data in _of(message, "at"))


def reply_id(message: Iterable[Segment]) -> int | None:
    """The id of the message this one replies to, if any."""
    for data in _of(message, "reply"):
        value = str(data.get("id", "")).strip()
        if value.lstrip("-").isdigit():
            return int(value)
    return None


@dataclass(frozen=True)
class MediaSource:
    """Where a received image/video can be fetched: `url` if given, else `get_image(file)`."""

    kind: str  # "image" | "video"
    file: str
    url: str | None = None


def media_sources(message: Iterable[Segment], kind: str = "image") -> list[MediaSource]:
    out = []
    for data in _of(message, kind):
        url = data.get("url")
        file_value = str(data.get("file") or "")
        if not url and file_value.startswith(("http://", "https://")):
            url = file_value
        if file_value or url:
            out.append(MediaSource(kind=kind, file=file_value, url=str(url) if url else None))
    return out


def image_sources(message: Iterable[Segment]) -> list[MediaSource]:
    return media_sources(message, "image")


def plain_text(message: Iterable[Segment], *, self_id: int | str | None = None) -> str:
    """The text of a message: text segments joined; @self (and a reply) dropped, trimmed.

    Other @s become "@<QQ号>" so a prompt keeps its meaning.
    """
    parts: list[str] = []
    for seg in message:
        data = seg.get("data") or {}
        if seg.get("type") == "text":
            parts.append(str(data.get("text", "")))
        elif seg.get("type") == "at" and str(data.get("qq")) != str(self_id):
            parts.append(f"@{data.get('qq')}")
    return "".join(parts).strip()


# --- commands ---------------------------------------------------------------------------

# Chinese alias → the bot's command name; longest aliases are tried first (角色列表 before 角色).
ALIASES: dict[str, str] = {
    "画图": "draw",
    "绘图": "draw",
    "视频": "video",
    "续写": "remix",
    "角色列表": "roles",
    "角色": "role",
    "新对话": "new",
    "模型": "model",
    "帮助": "help",
    "用量": "usage",
    "设置": "settings",
    "故事": "story",
    "问": "ask",
    "统计": "stats",
    "服务商": "providers",
    "控制台": "console",
}


def shown_command(name: str) -> str:
    """How a QQ user types a command in examples: its first Chinese alias ("role" → "/角色")."""
    return "/" + next((alias for alias, command in ALIASES.items() if command == name), name)


COMMANDS = frozenset(
    {"start", "help", "new", "model", "ask", "draw", "settings", "video", "remix", "story",
     "role", "roles", "usage"}
)  # fmt: skip
_PREFIXES = ("/", "／")  # a Chinese IME often types the full-width slash
_ENGLISH = re.compile(r"([A-Za-z][A-Za-z0-9_]*)(?=$|\s)")


@dataclass(frozen=True)
class Command:
    name: str  # English command name ("draw"); unknown English names are passed on as typed
    args: str  # the rest, stripped
    known: bool  # False for an English name the bot may not have (admin commands decide)


def parse_command(value: str) -> Command | None:
    """`/画图 一只猫`, `/画图一只猫`, `／draw 一只猫` → Command("draw", "一只猫")."""
    value = value.strip()
    if not value.startswith(_PREFIXES):
        return None
    body = value[1:]
    for alias in sorted(ALIASES, key=len, reverse=True):
        if body.startswith(alias):
            return Command(ALIASES[alias], body[len(alias) :].strip(), True)
    match = _ENGLISH.match(body)
    if not match:
        return None
    name = match.group(1).lower()
    return Command(name, body[match.end() :].strip(), name in COMMANDS)
