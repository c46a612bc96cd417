"""A strict in-process fake of the Telegram Bot API for tests.

It speaks real HTTP on 127.0.0.1 so the production code path (PTB's HTTPXRequest) is used
unchanged, validates every call against the official Bot API spec and answers errors the way
Telegram does, so bugs that only show up against the real server show up in tests too.

It serves from its own thread with its own event loop: a call is stamped (``Call.at``, the
flood limits) when it reaches the fake, not when the bot's event loop, busy with its own work
on a loaded machine, gets round to the fake's handler. Tests act and read from their own loop;
one lock guards the fake's state, and the records tests read (``calls``, ``flood_events``,
``drafts``, ``callback_answers``, ``commands``) are only ever appended to or set item by item.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import html
import io
import json
import math
import mimetypes
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import unquote, urlparse

import imagesize
from aiohttp import web

# A copy of the Bot API spec lives in the repo so the tests need nothing outside it.
SPEC_PATH = Path(__file__).resolve().parent.parent / "specs" / "telegram-bot-api.json"

MB = 1024 * 1024
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_UPLOAD = 10 * MB
MAX_UPLOAD = 50 * MB
MAX_LOCAL_UPLOAD = 2000 * MB  # a local Bot API server (--local) reads files up to 2 GB
MAX_DOWNLOAD = 20 * MB

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Update types Telegram leaves out when allowed_updates is empty/unspecified.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Form values are strings; these spec types stay scalar, everything else is JSON.
SCALAR_TYPES = frozenset({"String", "Integer", "Boolean", "Float", "InputFile"})
MEDIA_KEYS = ("photo", "video", "document", "animation", "audio", "voice", "sticker")
_WS = " \t\r\n"


@dataclass
class Call:
    """One request the bot made, as the fake understood it."""

    method: str
    params: dict[str, Any]
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    at: float = field(default_factory=time.monotonic)


_F = TypeVar("_F", bound=Callable[..., Any])


def _locked(method: _F) -> _F:
    """Run a public method under the fake's lock (the server thread changes the same state)."""

    @functools.wraps(method)
    def run(self: FakeTelegram, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


class _Records(dict):  # type: ignore[type-arg]
    """A dict the server thread adds to while a test reads it: iterating it (keys, values,
    items) walks a copy taken at once, so a key added meanwhile cannot break the loop."""

    def __iter__(self) -> Iterator[Any]:
        return iter(list(super().keys()))

    def keys(self) -> list[Any]:  # type: ignore[override]
        return list(super().keys())

    def values(self) -> list[Any]:  # type: ignore[override]
        return list(super().values())

    def items(self) -> list[tuple[Any, Any]]:  # type: ignore[override]
        return list(super().items())


class ApiError(Exception):
    """Raised inside handlers; turned into Telegram's error JSON."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class _ParseError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# spec


@dataclass(frozen=True)
class _Spec:
    methods: dict[str, str]  # lower-case name -> canonical name
    fields: dict[str, dict[str, dict[str, Any]]]  # canonical method -> field name -> field
    entity_types: frozenset[str]
    button_actions: frozenset[str]


@cache
def load_spec() -> _Spec:
    raw = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    methods = {name.lower(): name for name in raw["methods"]}
    fields = {
        name: {f["name"]: f for f in m.get("fields", [])} for name, m in raw["methods"].items()
    }
    ent_desc = next(f for f in raw["types"]["MessageEntity"]["fields"] if f["name"] == "type")
    entity_types = frozenset(re.findall(r'"([a-z_]+)"', ent_desc["description"]))
    btn_fields = {f["name"] for f in raw["types"]["InlineKeyboardButton"]["fields"]}
    actions = frozenset(btn_fields - {"text", "icon_custom_emoji_id", "style"})
    return _Spec(methods, fields, entity_types, actions)


# ---------------------------------------------------------------------------------------------
# text helpers (Telegram measures everything in UTF-16 code units)


def u16len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _byte_offset(s: str, i: int) -> int:
    return len(s[:i].encode("utf-8"))


def _u16_to_index(s: str, units: int) -> int:
    """Python string index of a UTF-16 offset (needed to slice text by entity bounds)."""
    count = 0
    for idx, ch in enumerate(s):
        if count >= units:
            return idx
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(s)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips surrounding whitespace after parsing and shifts entities to match."""
    stripped_left = text.lstrip(_WS)
    lead = u16len(text) - u16len(stripped_left)
    new = stripped_left.rstrip(_WS)
    total = u16len(new)
    out: list[dict[str, Any]] = []
    for e in entities:
        start = max(0, e["offset"] - lead)
        end = min(total, e["offset"] + e["length"] - lead)
        if end > start:
            out.append({**e, "offset": start, "length": end - start})
    return new, out


class _EntityBuilder:
    """Collects output text and entities in UTF-16 offsets while a parser walks the input."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += u16len(s)

    def open(self, entity: dict[str, Any]) -> dict[str, Any]:
        # Appended at open time so outer entities precede inner ones, like Telegram.
        entity["offset"] = self.pos
        self.entities.append(entity)
        return entity

    def close(self, entity: dict[str, Any]) -> None:
        entity["length"] = self.pos - entity["offset"]

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        ents = [e for e in self.entities if e.get("length", 0) > 0]
        return "".join(self.parts), ents


_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_HTML_ATTR_RE = re.compile(
    r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
}


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    b = _EntityBuilder()
    stack: list[tuple[str, dict[str, Any] | None]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "&":
            m = _HTML_ENTITY_RE.match(src, i)
            decoded = html.unescape(m.group(0)) if m else None
            if m is None or decoded == m.group(0):
                raise _ParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(src, i)}"
                )
            b.add(decoded or "")
            i = m.end()
            continue
        if c != "<":
            b.add(c)
            i += 1
            continue
        off = _byte_offset(src, i)
        end = src.find(">", i)
        if end < 0:
            raise _ParseError(f"Unclosed start tag at byte offset {off}")
        inner = src[i + 1 : end]
        i = end + 1
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise _ParseError(f"Unexpected end tag at byte offset {off}")
            top, ent = stack.pop()
            if top != name:
                raise _ParseError(
                    f'Unmatched end tag at byte offset {off}, expected "</{top}>", '
                    f'found "</{name}>"'
                )
            if ent is not None:
                b.close(ent)
            continue
        m = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", inner)
        if not m:
            raise _ParseError(f'Unsupported start tag "{inner}" at byte offset {off}')
        name = m.group(0).lower()
        attrs: dict[str, str] = {}
        rest = inner[m.end() :].rstrip()
        pos = 0
        while pos < len(rest):
            am = _HTML_ATTR_RE.match(rest, pos)
            if not am or am.end() == pos:
                raise _ParseError(f'Empty attribute name in the tag "{name}" at byte offset {off}')
            attrs[am.group(1).lower()] = html.unescape(
                next((g for g in am.groups()[1:] if g is not None), "")
            )
            pos = am.end()
        entity: dict[str, Any] | None
        if name in _HTML_SIMPLE:
            entity = {"type": _HTML_SIMPLE[name]}
            if name == "code" and stack and stack[-1][0] == "pre":
                # <pre><code class="language-x"> is one pre entity (with a language).
                lang = attrs.get("class", "")
                pre = stack[-1][1]
                if lang.startswith("language-") and pre is not None:
                    pre["language"] = lang[len("language-") :]
                entity = None
        elif name == "a":
            href = attrs.get("href")
            entity = {"type": "text_link", "url": href} if href else None
        elif name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise _ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {off}')
            entity = {"type": "spoiler"}
        elif name == "blockquote":
            kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
            entity = {"type": kind}
        elif name == "tg-emoji":
            if "emoji-id" not in attrs:
                raise _ParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {off}'
                )
            entity = {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
        else:
            raise _ParseError(f'Unsupported start tag "{name}" at byte offset {off}')
        stack.append((name, b.open(entity) if entity is not None else None))
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return b.result()


MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def _reserved(c: str) -> _ParseError:
    return _ParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")


def _scan_code(src: str, i: int, closer: str, kind: str, start_off: int) -> tuple[str, int]:
    """Read raw code/pre content up to `closer`; only '`' and '\\' are escapable inside."""
    out: list[str] = []
    n = len(src)
    while i < n:
        if src[i] == "\\" and i + 1 < n:
            out.append(src[i + 1])
            i += 2
            continue
        if src.startswith(closer, i):
            return "".join(out), i + len(closer)
        out.append(src[i])
        i += 1
    raise _ParseError(f"Can't find end of {kind} entity at byte offset {start_off}")


def parse_markdown_v2(src: str) -> tuple[str, list[dict[str, Any]]]:
    b = _EntityBuilder()
    # (entity, byte offset of its opening marker) - Telegram reports the latter on errors
    stack: list[tuple[dict[str, Any], int]] = []
    quote: dict[str, Any] | None = None
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        nxt = src[i + 1] if i + 1 < n else ""
        off = _byte_offset(src, i)
        if c == "\\" and nxt and 0 < ord(nxt) <= 126:
            b.add(nxt)
            i += 2
            continue
        if c == ">" and (i == 0 or src[i - 1] == "\n"):
            # Block quotes: consecutive lines starting with '>' form one entity.
            if quote is None:
                quote = b.open({"type": "blockquote"})
            i += 1
            continue
        if c == "\n" and quote is not None and nxt != ">":
            b.close(quote)
            quote = None
        if c == "`":
            if src.startswith("```", i):
                raw, i = _scan_code(src, i + 3, "```", "Pre", off)
                ent: dict[str, Any] = {"type": "pre"}
                first, sep, rest = raw.partition("\n")
                if sep and first and not any(ch in first for ch in _WS):
                    ent["language"] = first
                    raw = rest
                elif sep and not first:
                    raw = rest
                b.open(ent)
                b.add(raw)
                b.close(ent)
            else:
                raw, i = _scan_code(src, i + 1, "`", "Code", off)
                ent = b.open({"type": "code"})
                b.add(raw)
                b.close(ent)
            continue
        top = stack[-1][0]["type"] if stack else None
        kind: str | None = None
        width = 1
        if c == "*":
            kind = "bold"
        elif c == "_":
            if nxt == "_" and top != "italic":
                kind, width = "underline", 2
            else:
                kind = "italic"
        elif c == "~":
            kind = "strikethrough"
        elif c == "|":
            if nxt != "|":
                raise _reserved(c)
            kind, width = "spoiler", 2
        elif c == "[":
            stack.append((b.open({"type": "text_link"}), off))
            i += 1
            continue
        elif c == "]":
            if top != "text_link":
                raise _reserved(c)
            ent, _ = stack.pop()
            i += 1
            if i < n and src[i] == "(":
                url: list[str] = []
                i += 1
                while i < n and src[i] != ")":
                    if src[i] == "\\" and i + 1 < n:
                        i += 1
                    url.append(src[i])
                    i += 1
                if i >= n:
                    raise _ParseError(f"Can't find end of a URL at byte offset {off}")
                i += 1
                ent["url"] = "".join(url)
                b.close(ent)
            else:
                ent["length"] = 0  # "[text]" without a URL is plain text
            continue
        elif c in MDV2_RESERVED:
            raise _reserved(c)
        if kind is None:
            b.add(c)
            i += 1
            continue
        if top == kind:
            ent, _ = stack.pop()
            b.close(ent)
        else:
            stack.append((b.open({"type": kind}), off))
        i += width
    if stack:
        ent, start = stack[-1]
        name = _MDV2_NAMES.get(ent["type"], ent["type"])
        raise _ParseError(f"Can't find end of {name} entity at byte offset {start}")
    if quote is not None:
        b.close(quote)
    return b.result()


def parse_markdown(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: no nesting, only `_*`[` escapable, any unclosed marker is an error."""
    b = _EntityBuilder()
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        off = _byte_offset(src, i)
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            b.add(src[i + 1])
            i += 2
            continue
        closer = {"*": "*", "_": "_", "`": "`"}.get(c)
        if src.startswith("```", i):
            closer = "```"
        if closer is not None:
            end = src.find(closer, i + len(closer))
            if end < 0:
                raise _ParseError(f"Can't find end of the entity starting at byte offset {off}")
            raw = src[i + len(closer) : end]
            ent: dict[str, Any] = {
                "```": {"type": "pre"},
                "`": {"type": "code"},
                "*": {"type": "bold"},
                "_": {"type": "italic"},
            }[closer]
            if closer == "```":
                first, sep, rest = raw.partition("\n")
                if sep and first and " " not in first:
                    ent["language"] = first
                    raw = rest
            b.open(ent)
            b.add(raw)
            b.close(ent)
            i = end + len(closer)
            continue
        if c == "[":
            m = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(src, i)
            if m is None:
                raise _ParseError(f"Can't find end of the entity starting at byte offset {off}")
            ent = b.open({"type": "text_link", "url": m.group(2)})
            b.add(m.group(1))
            b.close(ent)
            i = m.end()
            continue
        b.add(c)
        i += 1
    return b.result()


_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}(?![\w@])")
_URL_RE = re.compile(r"https?://[^\s]+")


def _plain(text: str, parse_mode: Any) -> str:
    """What a user reads of `text`: without HTML or Markdown markup (raw if unparsable)."""
    parser = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}
    parse = parser.get(str(parse_mode or "").lower())
    if parse is None:
        return text
    try:
        return parse(text)[0]
    except _ParseError:  # the fake refused it anyway; check the raw text
        return text


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram detects on its own in a user's text."""
    found: list[tuple[int, int, str]] = []
    taken: list[range] = []
    for regex, kind in ((_URL_RE, "url"), (_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        for m in regex.finditer(text):
            if any(m.start() in r for r in taken):
                continue
            taken.append(range(m.start(), m.end()))
            found.append((m.start(), m.end(), kind))
    found.sort()
    return [
        {"type": kind, "offset": u16len(text[:s]), "length": u16len(text[s:e])}
        for s, e, kind in found
    ]


# ---------------------------------------------------------------------------------------------
# state


@dataclass
class _Chat:
    info: dict[str, Any]
    next_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _File:
    file_id: str
    unique_id: str
    data: bytes
    kind: str
    path: str
    photo_set: list[dict[str, Any]] | None = None  # all sizes of the photo this belongs to


@dataclass
class _Upload:
    data: bytes
    filename: str | None
    mime: str | None


@dataclass
class _Req:
    method: str
    params: dict[str, Any]
    uploads: dict[str, _Upload]  # multipart parts by field / attach name


_FILE_PREFIX = {
    "photo": "AgACAgIAAxkBAA",
    "document": "BQACAgIAAxkBAA",
    "video": "BAACAgIAAxkBAA",
    "animation": "CgACAgIAAxkBAA",
    "audio": "CQACAgIAAxkBAA",
    "voice": "AwACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
    "thumbnail": "AAMCAgADGQEAA",
}


class FakeTelegram:
    """Strict fake Bot API server.

    Beyond the Bot API it offers user actions (``send_text``, ``press_button``, ...) that push
    updates for the bot's getUpdates loop, and observation helpers (``chat_messages``,
    ``calls``, ``wait_for``, ``wait_idle``). Knobs: ``flood_private_interval``,
    ``flood_group_per_minute``, ``flood_global_per_second``, ``flood_methods``,
    ``privacy_mode``, ``drafts_supported``, ``draft_ttl`` and ``fail_next``; faults:
    ``start_outage`` / ``end_outage`` (502 pages, 504s, connection resets, like a proxy or
    Telegram having a bad minute) and ``migrate_chat`` (a group upgraded to a supergroup).
    """

    # Calls that make a user-visible message change and so count against flood limits.
    flood_methods: ClassVar[frozenset[str]] = frozenset(
        {
            "sendMessage",
            "editMessageText",
            "sendPhoto",
            "sendVideo",
            "sendDocument",
            "sendMediaGroup",
            "editMessageCaption",
            "sendMessageDraft",
            "editMessageReplyMarkup",
            "editMessageMedia",
            "sendAnimation",
            "sendAudio",
            "sendVoice",
            "sendSticker",
            "copyMessage",
            "forwardMessage",
        }
    )

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz",
        bot_username: str = "banana_test_bot",
        bot_id: int = 123456,
        local_mode: bool = False,
    ) -> None:
        self.token = token
        # Like a local Bot API server: file:// URIs of files on this machine are accepted.
        self.local_mode = local_mode
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Banana Test Bot",
            "username": bot_username,
        }
        self.base_url = ""
        self.base_file_url = ""
        self.flood_private_interval: float = 0.3
        self.flood_group_per_minute: int = 20
        # Telegram's bot-wide cap (~30 visible messages a second); 0 = not enforced.
        self.flood_global_per_second: int = 0
        # False: like an older local Bot API server, sendMessageDraft answers 404 Not Found.
        self.drafts_supported: bool = True
        # A draft the client stops refreshing disappears after this many seconds.
        self.draft_ttl: float = 30.0
        # Like a real bot with privacy mode on (getMe says can_read_all_group_messages=false):
        # in groups only commands, mentions of the bot and replies to it are delivered.
        self.privacy_mode: bool = True
        self.calls: list[Call] = []
        self.flood_events: list[Call] = []
        self.drafts: dict[int, list[Call]] = _Records()
        self.webhook_url: str = ""
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = _Records()
        self.descriptions: dict[str, dict[str, str]] = {"description": {}, "short_description": {}}
        self.callback_answers: dict[str, dict[str, Any]] = _Records()
        # Every text a user typed (messages, captions, edits): what a bot may echo back.
        self.user_inputs: list[str] = []
        self._spec = load_spec()
        self._users: dict[int, dict[str, Any]] = {bot_id: self.bot_user}
        self._chats: dict[int, _Chat] = {}
        self._files: dict[str, _File] = {}
        self._paths: dict[str, _File] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000
        self._allowed_updates: frozenset[str] | None = None
        # The server's own loop and thread (see the module docstring); the lock is held by
        # every public method and by the server while it handles a call (never across a wait).
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._update_event: asyncio.Event | None = None  # lives on the server's loop
        self._poll_generation = 0
        self._open_queries: set[str] = set()
        self._scripted: dict[str, deque[ApiError]] = {}
        self._deleted_topics: set[tuple[int, int]] = set()
        self._outage_modes: tuple[str, ...] = ()  # empty: no outage
        self._outage_methods: frozenset[str] | None = None
        self._outage_count = 0
        self._migrated: dict[int, int] = {}  # old group id -> new supergroup id
        self._flood_hist: dict[int, deque[float]] = {}
        self._global_hist: deque[float] = deque()
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._stopping = False
        self._runner: web.AppRunner | None = None

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        self._stopping = False
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-telegram", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        port = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._serve(), loop))
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    async def _serve(self) -> int:
        """On the server's loop: listen on a free port, return it."""
        self._update_event = asyncio.Event()
        app = web.Application(client_max_size=200 * MB)  # let our own 413 logic decide
        app.router.add_route("*", "/file/{prefix}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{prefix}/{method}", self._handle_api)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        return int(sock.getsockname()[1])

    async def _close(self) -> None:
        """On the server's loop: release long polls so shutdown is quick, then close."""
        if self._update_event is not None:
            self._update_event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def stop(self) -> None:
        self._stopping = True
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._close(), loop))
        finally:
            loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join, 10)
            self._loop = self._thread = None
            if not thread.is_alive():
                loop.close()

    def _wake_polls(self) -> None:
        """Wake the long polls waiting on the server's loop (from any thread)."""
        loop, event = self._loop, self._update_event
        if loop is None or event is None:
            return
        if threading.current_thread() is self._thread:
            event.set()
        else:
            with contextlib.suppress(RuntimeError):  # the server has just stopped
                loop.call_soon_threadsafe(event.set)

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------------------- users

    def _user(self, user_id: int, first_name: str = "用户") -> dict[str, Any]:
        if user_id not in self._users:
            self._users[user_id] = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name,
                "username": f"user{user_id}",
                "language_code": "zh-hans",
            }
        return self._users[user_id]

    @_locked
    def private_chat(self, user_id: int, first_name: str = "用户") -> dict[str, Any]:
        assert user_id > 0, "private chat ids are positive user ids"
        user = self._user(user_id, first_name)
        if user_id not in self._chats:
            info = {
                "id": user_id,
                "type": "private",
                "first_name": user["first_name"],
                "username": user["username"],
            }
            self._chats[user_id] = _Chat(info)
        return dict(self._chats[user_id].info)

    @_locked
    def group_chat(self, chat_id: int, title: str = "群组") -> dict[str, Any]:
        assert chat_id < 0, "group chat ids are negative"
        if chat_id not in self._chats:
            self._chats[chat_id] = _Chat({"id": chat_id, "type": "supergroup", "title": title})
        return dict(self._chats[chat_id].info)

    def _chat_state(self, chat: dict[str, Any] | int) -> _Chat:
        chat_id = chat if isinstance(chat, int) else chat["id"]
        if chat_id not in self._chats:
            raise AssertionError(f"unknown chat {chat_id}; create it with private_chat/group_chat")
        return self._chats[chat_id]

    def _user_message(
        self,
        chat: dict[str, Any],
        user_id: int,
        content: dict[str, Any],
        reply_to: int | None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        st = self._chat_state(chat)
        if st.info["type"] == "private":
            assert user_id == st.info["id"], "in a private chat only that user can write"
        self.user_inputs += [content.get("text") or "", content.get("caption") or ""]
        msg = self._store(st, self._user(user_id), content, message_thread_id)
        if reply_to is not None:
            target = st.messages.get(reply_to)
            assert target is not None, f"reply_to {reply_to} is not a visible message"
            msg["reply_to_message"] = self._snapshot(target)
        if self._delivered(st, msg):
            self._push_update({"message": copy.deepcopy(msg)})
        return copy.deepcopy(msg)

    def _delivered(self, st: _Chat, msg: dict[str, Any]) -> bool:
        """Privacy mode: which group messages a bot actually receives."""
        if st.info["type"] == "private" or not self.privacy_mode:
            return True
        reply = msg.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        text = msg.get("text") or msg.get("caption") or ""
        ents = msg.get("entities") or msg.get("caption_entities") or []
        for e in ents:
            start = _u16_to_index(text, e["offset"])
            piece = text[start : _u16_to_index(text, e["offset"] + e["length"])]
            if e["type"] == "mention" and piece[1:].lower() == self.bot_username.lower():
                return True
            if e["type"] == "bot_command":
                _, _, target = piece.partition("@")
                if not target or target.lower() == self.bot_username.lower():
                    return True
        return False

    @staticmethod
    def _text_content(text: str, key: str = "text") -> dict[str, Any]:
        content: dict[str, Any] = {key: text}
        ents = auto_entities(text)
        if ents:
            content["entities" if key == "text" else "caption_entities"] = ents
        return content

    @_locked
    def send_text(
        self,
        chat: dict[str, Any],
        user_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        return self._user_message(
            chat, user_id, self._text_content(text), reply_to, message_thread_id
        )

    def _caption_content(self, caption: str | None) -> dict[str, Any]:
        return self._text_content(caption, "caption") if caption else {}

    @_locked
    def send_photo(
        self,
        chat: dict[str, Any],
        user_id: int,
        image: bytes,
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
        width: int = 640,
        height: int = 480,
    ) -> dict[str, Any]:
        content: dict[str, Any] = {"photo": self._photo_sizes(image, width, height)}
        content.update(self._caption_content(caption))
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self._user_message(chat, user_id, content, reply_to)

    @_locked
    def send_document(
        self,
        chat: dict[str, Any],
        user_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        f = self._new_file(data, "document", file_name)
        doc = {**self._file_ref(f), "file_name": file_name, "mime_type": mime_type}
        return self._user_message(
            chat, user_id, {"document": doc, **self._caption_content(caption)}, reply_to
        )

    @_locked
    def send_video(
        self,
        chat: dict[str, Any],
        user_id: int,
        data: bytes,
        *,
        duration: int = 5,
        width: int = 720,
        height: int = 1280,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        f = self._new_file(data, "video", "video.mp4")
        video = {
            **self._file_ref(f),
            "width": width,
            "height": height,
            "duration": duration,
            "mime_type": "video/mp4",
        }
        return self._user_message(
            chat, user_id, {"video": video, **self._caption_content(caption)}, reply_to
        )

    @_locked
    def send_sticker(self, chat: dict[str, Any], user_id: int) -> dict[str, Any]:
        f = self._new_file(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "sticker", "sticker.webp")
        sticker = {
            **self._file_ref(f),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._user_message(chat, user_id, {"sticker": sticker}, None)

    @_locked
    def send_voice(
        self, chat: dict[str, Any], user_id: int, data: bytes = b"OggS"
    ) -> dict[str, Any]:
        f = self._new_file(data, "voice", "voice.oga")
        voice = {**self._file_ref(f), "duration": 1, "mime_type": "audio/ogg"}
        return self._user_message(chat, user_id, {"voice": voice}, None)

    @_locked
    def edit_text(self, message: dict[str, Any], new_text: str) -> dict[str, Any]:
        st = self._chat_state(message["chat"]["id"])
        msg = st.messages.get(message["message_id"])
        assert msg is not None, "message is gone"
        assert not msg["from"]["is_bot"], "users can only edit their own messages"
        key = "text" if "text" in msg else "caption"
        self.user_inputs.append(new_text)
        msg.pop("entities" if key == "text" else "caption_entities", None)
        msg.update(self._text_content(new_text, key))
        msg["edit_date"] = int(time.time())
        if self._delivered(st, msg):
            self._push_update({"edited_message": copy.deepcopy(msg)})
        return copy.deepcopy(msg)

    @_locked
    def press_button(self, message: dict[str, Any], callback_data: str, user_id: int) -> str:
        st = self._chat_state(message["chat"]["id"])
        msg = st.messages.get(message["message_id"])
        assert msg is not None, "message is gone"
        assert msg["from"]["id"] == self.bot_id, "only bot messages carry inline keyboards"
        rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
        datas = [btn.get("callback_data") for row in rows for btn in row]
        # Users can only press buttons that are on screen right now.
        assert callback_data in datas, f"no button with callback_data={callback_data!r}: {datas}"
        query_id = str(secrets.randbelow(10**18) + 10**17)
        self._open_queries.add(query_id)
        self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id),
                    "message": copy.deepcopy(msg),
                    "chat_instance": str(abs(st.info["id"]) * 7919),
                    "data": callback_data,
                }
            }
        )
        return query_id

    @_locked
    def user_deletes(self, chat_id: int, message_id: int) -> None:
        st = self._chat_state(chat_id)
        assert message_id in st.messages, f"message {message_id} not visible in {chat_id}"
        del st.messages[message_id]

    # ----------------------------------------------------------------------------- observing

    @_locked
    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        st = self._chats.get(chat_id)
        return [copy.deepcopy(m) for m in st.messages.values()] if st else []

    @_locked
    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The message as the chat shows it now (None if it is not there)."""
        st = self._chats.get(chat_id)
        msg = st.messages.get(message_id) if st else None
        return copy.deepcopy(msg) if msg is not None else None

    @_locked
    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.chat_messages(chat_id) if m["from"]["id"] == self.bot_id]

    @_locked
    def shown_texts(self) -> list[tuple[str, str]]:
        """(method, text) for every string the bot asked Telegram to show a user: message texts
        and drafts, captions, button labels, callback answers, menu and profile descriptions
        (markup removed), including calls Telegram refused."""
        shown: list[tuple[str, str]] = []
        for call in self.calls:
            p = call.params
            for key in ("text", "caption", "description", "short_description"):
                if isinstance(p.get(key), str):
                    shown.append((call.method, _plain(p[key], p.get("parse_mode"))))
            media = p.get("media")
            for item in media if isinstance(media, list) else [media]:
                if isinstance(item, dict) and isinstance(item.get("caption"), str):
                    shown.append((call.method, _plain(item["caption"], item.get("parse_mode"))))
            for c in p.get("commands") or [] if call.method == "setMyCommands" else []:
                if isinstance(c, dict):
                    shown.append((call.method, str(c.get("description", ""))))
            markup = p.get("reply_markup")
            if isinstance(markup, dict):
                for key in ("inline_keyboard", "keyboard"):
                    for row in markup.get(key) or []:
                        for btn in row:
                            label = btn.get("text") if isinstance(btn, dict) else btn
                            shown.append((call.method, str(label)))
        return shown

    @_locked
    def visible_draft(self, chat_id: int, at: float | None = None) -> str | None:
        """The draft text the user sees at `at` (now): the last one sent within `draft_ttl`
        and not yet replaced by a real message of the bot in that chat."""
        at = time.monotonic() if at is None else at
        drafts = [c for c in self.drafts.get(chat_id, []) if c.at <= at]
        if not drafts or at - drafts[-1].at > self.draft_ttl:
            return None
        sent = [
            c for c in self.calls
            if c.method == "sendMessage" and c.ok and c.params.get("chat_id") == chat_id
            and drafts[-1].at < c.at <= at
        ]  # fmt: skip
        return None if sent else str(drafts[-1].params.get("text", ""))

    @_locked
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @_locked
    def uploaded_file(self, file_id: str) -> bytes:
        try:
            return self._files[file_id].data
        except KeyError:
            raise KeyError(f"no file with file_id {file_id!r}") from None

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._updates)

    @_locked
    def dump_calls(self, last: int = 10) -> str:
        lines = []
        for c in self.calls[-last:]:
            params = {
                k: f"<{len(v)} bytes>" if isinstance(v, bytes) else v for k, v in c.params.items()
            }
            status = "ok" if c.ok else f"{c.error_code} {c.description}"
            lines.append(f"  {c.method} [{status}] {json.dumps(params, ensure_ascii=False)[:300]}")
        return "\n".join(lines) or "  (no calls)"

    # `timeout` is part of the public interface other tests use, hence the noqa.
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"condition not met within {timeout}s; last calls:\n{self.dump_calls()}"
                )
            await asyncio.sleep(0.02)

    async def wait_idle(self, quiet: float = 0.5, timeout: float = 15) -> None:  # noqa: ASYNC109
        """Until no call was in flight for `quiet` seconds. Not for tests of the bot: a quiet
        spell also comes while a busy machine has not run the bot yet. Wait for an event
        instead (tests.harness: updates_handled, job_shown, at_rest; docs/testing.md)."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if self._inflight == 0 and now - self._last_activity >= quiet:
                return
            if now > deadline:
                raise AssertionError(
                    f"bot still busy after {timeout}s; last calls:\n{self.dump_calls()}"
                )
            await asyncio.sleep(0.02)

    # ----------------------------------------------------------------------------- knobs

    @_locked
    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        canonical = self._spec.methods.get(method.lower())
        assert canonical is not None, f"unknown Bot API method {method}"
        queue = self._scripted.setdefault(canonical, deque())
        for _ in range(times):
            queue.append(ApiError(error_code, description, retry_after))

    @_locked
    def photo_processing_fails(self, times: int = 1) -> None:
        """The next `times` sendPhoto calls fail as Telegram answers for a picture its servers
        cannot turn into a photo (odd colour profile, corrupt metadata): 400
        IMAGE_PROCESS_FAILED. The same file sent as a document goes through."""
        self.fail_next("sendPhoto", 400, "Bad Request: IMAGE_PROCESS_FAILED", times=times)

    @_locked
    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """The forum topic is deleted: sends into it answer 400 "message thread not found"."""
        self._deleted_topics.add((chat_id, thread_id))

    @_locked
    def start_outage(self, *modes: str, methods: set[str] | None = None) -> None:
        """Until end_outage(): each call to `methods` (default: every method but getUpdates, so
        users can still talk to the bot) fails in turn with one of `modes`:
        "502" (a proxy's HTML Bad Gateway page), "504" (Gateway Timeout, JSON) or "reset"
        (the connection is cut without an answer)."""
        assert modes and set(modes) <= {"502", "504", "reset"}, modes
        self._outage_modes = modes
        self._outage_methods = None
        if methods is not None:
            self._outage_methods = frozenset(self._spec.methods[m.lower()] for m in methods)

    @_locked
    def end_outage(self) -> None:
        self._outage_modes = ()

    @_locked
    def migrate_chat(self, old_id: int, new_id: int, title: str = "超级群组") -> dict[str, Any]:
        """The group `old_id` became the supergroup `new_id`: calls naming the old id answer
        400 with parameters.migrate_to_chat_id, as Telegram does."""
        self._migrated[old_id] = new_id
        return self.group_chat(new_id, title)

    def _outage_hits(self, method: str) -> str | None:
        if not self._outage_modes:
            return None
        if self._outage_methods is None:
            if method == "getUpdates":
                return None
        elif method not in self._outage_methods:
            return None
        mode = self._outage_modes[self._outage_count % len(self._outage_modes)]
        self._outage_count += 1
        return mode

    async def _outage_answer(self, request: web.Request, call: Call, mode: str) -> web.Response:
        call.ok, call.error_code, call.description = False, 0, f"outage: {mode}"
        call.error_code = {"502": 502, "504": 504}.get(mode, 0)
        self.calls.append(call)
        if mode == "502":
            return web.Response(status=502, content_type="text/html",
                                text="<html><body><h1>502 Bad Gateway</h1></body></html>")
        if mode == "504":
            return web.json_response(
                {"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504
            )
        if request.transport is not None:  # "reset": cut the connection, answer nothing
            request.transport.abort()
        raise asyncio.CancelledError

    # ----------------------------------------------------------------------------- storage

    def _store(
        self,
        st: _Chat,
        sender: dict[str, Any],
        content: dict[str, Any],
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": st.next_id,
            "from": dict(sender),
            "chat": dict(st.info),
            "date": int(time.time()),
        }
        if thread_id is not None:  # a forum topic's message, as Telegram marks it
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        msg.update(content)
        st.messages[st.next_id] = msg
        st.next_id += 1
        return msg

    @staticmethod
    def _snapshot(msg: dict[str, Any]) -> dict[str, Any]:
        # Telegram never nests reply_to_message more than one level deep.
        snap = copy.deepcopy(msg)
        snap.pop("reply_to_message", None)
        return snap

    def _push_update(self, body: dict[str, Any]) -> None:
        kind = next(iter(body))
        allowed = self._allowed_updates
        if (allowed is None and kind in OPT_IN_UPDATES) or (allowed and kind not in allowed):
            return
        self._updates.append({"update_id": self._next_update_id, **body})
        self._next_update_id += 1
        self._wake_polls()

    def _new_file(self, data: bytes, kind: str, name: str | None = None) -> _File:
        file_id = _FILE_PREFIX[kind] + secrets.token_urlsafe(40)
        unique = "AQAD" + secrets.token_urlsafe(12)
        ext = (
            Path(name).suffix
            if name and Path(name).suffix
            else {
                "photo": ".jpg",
                "video": ".mp4",
                "animation": ".mp4",
                "voice": ".oga",
                "audio": ".mp3",
                "sticker": ".webp",
            }.get(kind, "")
        )
        folder = {"photo": "photos", "sticker": "stickers", "thumbnail": "thumbnails"}.get(
            kind, f"{kind}s"
        )
        path = f"{folder}/file_{len(self._files)}{ext}"
        f = _File(file_id, unique, data, kind, path)
        self._files[file_id] = f
        self._paths[path] = f
        return f

    @staticmethod
    def _file_ref(f: _File) -> dict[str, Any]:
        return {"file_id": f.file_id, "file_unique_id": f.unique_id, "file_size": len(f.data)}

    def _photo_sizes(self, data: bytes, width: int, height: int) -> list[dict[str, Any]]:
        """Thumbnail ladder like Telegram's s/m/x/y sizes, capped at 1280 on the long side."""
        long_side = max(width, height, 1)
        targets = sorted({t for t in (90, 320, 800) if t < long_side} | {min(long_side, 1280)})
        sizes: list[dict[str, Any]] = []
        for t in targets:
            scale = t / long_side
            f = self._new_file(data, "photo")
            ref = self._file_ref(f)
            if t != targets[-1]:
                ref["file_size"] = max(1, int(len(data) * scale * scale))
            ref["width"] = max(1, round(width * scale))
            ref["height"] = max(1, round(height * scale))
            sizes.append(ref)
        for s in sizes:
            self._files[s["file_id"]].photo_set = sizes
        return copy.deepcopy(sizes)

    # ----------------------------------------------------------------------------- HTTP

    def _respond(self, call: Call, result: Any = None, err: ApiError | None = None) -> web.Response:
        if err is None:
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        else:
            call.ok, call.error_code, call.description = False, err.code, err.description
            body = {"ok": False, "error_code": err.code, "description": err.description}
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            if err.migrate_to_chat_id is not None:
                body["parameters"] = {"migrate_to_chat_id": err.migrate_to_chat_id}
            status = err.code
        self.calls.append(call)
        return web.json_response(
            body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["prefix"] != f"bot{self.token}":
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        with self._lock:
            f = self._paths.get(request.match_info["path"])
        if f is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=f.data, content_type="application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.Response:
        # Stamped as the request reaches the fake (its own thread and loop): the flood limits
        # measure the bot's pace, not how late a busy event loop ran a handler.
        at = time.monotonic()
        raw_method = request.match_info["method"]
        call = Call(method=raw_method, params={}, at=at)
        canonical = self._spec.methods.get(raw_method.lower())
        busy = canonical != "getUpdates"  # long polls must not keep wait_idle from returning
        if busy:
            self._inflight += 1
            self._last_activity = at
        try:
            if request.match_info["prefix"] != f"bot{self.token}":
                raise ApiError(401, "Unauthorized")
            if canonical is None or (
                canonical == "sendMessageDraft" and not self.drafts_supported
            ):
                raise ApiError(404, "Not Found")
            call.method = canonical
            with self._lock:
                mode = self._outage_hits(canonical)
            if mode is not None:
                with self._lock:
                    return await self._outage_answer(request, call, mode)
            req = await self._read_request(request, canonical)
            call.params = _with_files(req.params, req.uploads)
            if canonical == "getUpdates":  # a long poll: waits without holding the lock
                result = await self._get_updates(req)
                with self._lock:
                    return self._respond(call, result)
            with self._lock:
                return self._answer(call, req, at)
        except ApiError as err:
            with self._lock:
                return self._respond(call, err=err)
        finally:
            if busy:
                self._inflight -= 1
                self._last_activity = time.monotonic()

    def _answer(self, call: Call, req: _Req, at: float) -> web.Response:
        """Everything after reading the request, under the lock (handlers never wait)."""
        method = call.method
        new_chat = self._migrated.get(req.params.get("chat_id"))  # type: ignore[arg-type]
        if new_chat is not None:
            return self._respond(call, err=ApiError(
                400, "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=new_chat))  # fmt: skip
        scripted = self._scripted.get(method)
        if scripted:
            return self._respond(call, err=scripted.popleft())
        chat_id = req.params.get("chat_id")
        flood_chat = chat_id if method in self.flood_methods else None
        try:
            if isinstance(flood_chat, int):
                self._check_flood(flood_chat, at)
            handler = getattr(self, f"_api_{method}", None)
            result = handler(req) if handler is not None else True
        except ApiError as err:
            return self._respond(call, err=err)
        if isinstance(flood_chat, int):
            self._flood_hist.setdefault(flood_chat, deque(maxlen=1000)).append(at)
            self._global_hist.append(at)
        if method == "sendMessageDraft":
            self.drafts.setdefault(req.params["chat_id"], []).append(call)
        return self._respond(call, result)

    def _check_flood(self, chat_id: int, now: float) -> None:
        if self.flood_global_per_second > 0:
            window = self._global_hist
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.flood_global_per_second:
                err = ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
                self.flood_events.append(
                    Call("(flood global)", {"chat_id": chat_id}, False, 429, err.description, now)
                )
                raise err
        hist = self._flood_hist.get(chat_id)
        if not hist:
            return
        retry: int | None = None
        if chat_id > 0:
            # Arrival order, not the order handlers finish: a slow upload stamped earlier may be
            # recorded after a later message, so the gap is to the nearest recorded arrival.
            gap = min(abs(now - stamp) for stamp in list(hist)[-8:])
            if gap < self.flood_private_interval:
                retry = max(1, math.ceil(self.flood_private_interval - gap))
        else:
            recent = [t for t in hist if now - t < 60]
            if len(recent) >= self.flood_group_per_minute:
                retry = max(1, math.ceil(60 - (now - recent[0])))
        if retry is not None:
            err = ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
            self.flood_events.append(
                Call("(flood)", {"chat_id": chat_id}, False, 429, err.description, now)
            )
            raise err

    async def _read_request(self, request: web.Request, method: str) -> _Req:
        spec_fields = self._spec.fields[method]
        raw: dict[str, Any] = dict(request.query)
        uploads: dict[str, _Upload] = {}
        from_json = False
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise _bad("JSON request body must be an object")
                raw.update(body)
                from_json = True
            elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = _Upload(
                            value.file.read(), value.filename, value.content_type
                        )
                    else:
                        raw[key] = value
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in spec_fields:
                raise _bad(f"unknown parameter {key}")
            params[key] = self._coerce(key, value, spec_fields[key]["types"], from_json)
        for key, up in uploads.items():
            if key in spec_fields:
                if "InputFile" not in spec_fields[key]["types"]:
                    raise _bad(f"parameter {key} can't be a file")
                params[key] = up.data
        # Files not named after a field must be referenced as attach://<name> somewhere.
        referenced = set(re.findall(r"attach://([\w.-]+)", json.dumps(_no_bytes(params))))
        for key in uploads:
            if key not in spec_fields and key not in referenced:
                raise _bad(f"unknown parameter {key}")
        for name, f in spec_fields.items():
            if f["required"] and name not in params:
                if name == "chat_id":
                    raise _bad("chat_id is empty")
                if name == "text" and method == "sendMessage":
                    raise _bad("message text is empty")
                raise _bad(f'parameter "{name}" is required')
        return _Req(method, params, uploads)

    @staticmethod
    def _coerce(name: str, value: Any, types: list[str], from_json: bool) -> Any:
        if not set(types) <= SCALAR_TYPES:
            if isinstance(value, str):
                try:
                    return json.loads(value)
                except ValueError:
                    raise _bad(f"can't parse {name} JSON object") from None
            return value
        if from_json and not isinstance(value, str):
            return value
        s = str(value)
        if "Integer" in types:
            try:
                return int(s)
            except ValueError:
                if "String" not in types:
                    raise _bad(f'field "{name}" must be of type Integer') from None
                return s
        if "Float" in types:
            try:
                return float(s)
            except ValueError:
                raise _bad(f'field "{name}" must be of type Number') from None
        if "Boolean" in types:
            if s.lower() in ("true", "1"):
                return True
            if s.lower() in ("false", "0", ""):
                return False
            raise _bad(f'field "{name}" must be of type Boolean')
        return s

    # ----------------------------------------------------------------------------- validation

    def _chat(self, chat_id: Any) -> _Chat:
        st = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if st is None:
            raise _bad("chat not found")
        return st

    def _formatted(
        self,
        text: str,
        parse_mode: str | None,
        entities: Any,
        limit: int,
        too_long: str,
    ) -> tuple[str, list[dict[str, Any]]]:
        if entities is not None:
            ents = self._check_entities(text, entities)
        elif parse_mode:
            parser = {
                "html": parse_html,
                "markdownv2": parse_markdown_v2,
                "markdown": parse_markdown,
            }.get(parse_mode.lower())
            if parser is None:
                raise _bad(f"unsupported parse_mode {parse_mode}")
            try:
                text, ents = parser(text)
            except _ParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        else:
            ents = []
        text, ents = _trim(text, ents)
        if u16len(text) > limit:
            raise _bad(too_long)
        return text, ents

    def _check_entities(self, text: str, entities: Any) -> list[dict[str, Any]]:
        if not isinstance(entities, list):
            raise _bad("can't parse entities: entities must be an array")
        total = u16len(text)
        for idx, e in enumerate(entities):
            where = f"can't parse entities: entity {idx}"
            if not isinstance(e, dict):
                raise _bad(f"{where} is not an object")
            off, length, kind = e.get("offset"), e.get("length"), e.get("type")
            if kind not in self._spec.entity_types:
                raise _bad(f"{where} has unsupported type {kind!r}")
            if not isinstance(off, int) or not isinstance(length, int):
                raise _bad(f"{where} has no integer offset/length")
            if off < 0 or length <= 0 or off + length > total:
                raise _bad(f"{where} ({kind} {off}+{length}) is out of text bounds {total}")
            if kind == "text_link" and not e.get("url"):
                raise _bad(f"{where}: text_link requires url")
            if kind == "text_mention" and not isinstance(e.get("user"), dict):
                raise _bad(f"{where}: text_mention requires user")
            if kind == "custom_emoji" and not e.get("custom_emoji_id"):
                raise _bad(f"{where}: custom_emoji requires custom_emoji_id")
            if "language" in e and (kind != "pre" or not isinstance(e["language"], str)):
                raise _bad(f"{where}: only pre entities have a language")
        return sorted((dict(e) for e in entities), key=lambda e: e["offset"])

    def _text(self, p: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text, ents = self._formatted(
            str(p.get("text", "")),
            p.get("parse_mode"),
            p.get("entities"),
            MAX_TEXT,
            "message is too long",
        )
        if not text:
            raise _bad("message text is empty")
        return text, ents

    def _caption(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("caption"):
            return {}
        caption, ents = self._formatted(
            str(p["caption"]),
            p.get("parse_mode"),
            p.get("caption_entities"),
            MAX_CAPTION,
            "message caption is too long",
        )
        out: dict[str, Any] = {"caption": caption} if caption else {}
        if ents:
            out["caption_entities"] = ents
        if caption and p.get("show_caption_above_media"):
            out["show_caption_above_media"] = True
        return out

    def _markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup; only inline keyboards end up on the message."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "inline_keyboard" must be an Array of Array')
            if sum(len(r) for r in rows) > 100:
                raise _bad("too many inline keyboard buttons")
            for row in rows:
                for btn in row:
                    self._check_button(btn)
            return copy.deepcopy(markup) if any(rows) else None
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for btn in row:
                    text = btn if isinstance(btn, str) else btn.get("text")
                    if not isinstance(text, str) or not text:
                        raise _bad("keyboard button text must be non-empty")
            return None
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return None
        raise _bad("can't parse reply keyboard markup JSON object")

    def _check_button(self, btn: Any) -> None:
        if not isinstance(btn, dict):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        text = btn.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("inline keyboard button text must be non-empty")
        actions = [k for k in btn if k in self._spec.button_actions]
        if not actions:
            raise _bad("text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise _bad(f"can't parse inline keyboard button: only one of {actions} allowed")
        if "callback_data" in btn:
            data = btn["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise _bad("BUTTON_DATA_INVALID")
        if "url" in btn:
            url = btn["url"]
            if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _reply(self, st: _Chat, p: dict[str, Any]) -> dict[str, Any]:
        rp = p.get("reply_parameters")
        if rp is None:
            return {}
        if not isinstance(rp, dict) or not isinstance(rp.get("message_id"), int):
            raise _bad("can't parse reply parameters JSON object")
        source = st
        if "chat_id" in rp and rp["chat_id"] != st.info["id"]:
            source = self._chat(rp["chat_id"])
        target = source.messages.get(rp["message_id"])
        if target is None:
            if rp.get("allow_sending_without_reply"):
                return {}
            raise _bad("message to be replied not found")
        return {"reply_to_message": self._snapshot(target)}

    def _bot_message(self, st: _Chat, p: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        """Validate the common send options, then store and return a bot message."""
        if (st.info["id"], p.get("message_thread_id")) in self._deleted_topics:
            raise _bad("message thread not found")
        reply = self._reply(st, p)
        markup = self._markup(p.get("reply_markup"))
        msg = self._store(st, self.bot_user, content, p.get("message_thread_id"))
        msg.update(reply)
        if markup:
            msg["reply_markup"] = markup
        return copy.deepcopy(msg)

    def _editable(self, p: dict[str, Any]) -> dict[str, Any] | None:
        """The stored bot message an edit targets, or None for inline messages."""
        if "inline_message_id" in p:
            return None
        if "chat_id" not in p or "message_id" not in p:
            raise _bad("message identifier is not specified")
        st = self._chat(p["chat_id"])
        msg = st.messages.get(p["message_id"])
        if msg is None or msg["from"]["id"] != self.bot_id:
            raise _bad("message to edit not found")
        return msg

    # ----------------------------------------------------------------------------- files in

    def _input_file(
        self, req: _Req, value: Any, field_name: str, kind: str
    ) -> tuple[_File | None, _Upload]:
        """Resolve an InputFile/file_id/attach:// value; URLs are refused (no internet)."""
        limit = MAX_PHOTO_UPLOAD if kind == "photo" else MAX_UPLOAD
        if isinstance(value, bytes):
            up = req.uploads[field_name]
        elif isinstance(value, str) and value.startswith("attach://"):
            up_opt = req.uploads.get(value[len("attach://") :])
            if up_opt is None:
                raise _bad(f'can\'t find attached file "{value}"')
            up = up_opt
        elif isinstance(value, str) and value.startswith("file://") and self.local_mode:
            local = Path(unquote(urlparse(value).path))
            if not local.is_absolute() or not local.is_file():
                raise _bad("wrong file identifier/HTTP URL specified")
            if local.stat().st_size > MAX_LOCAL_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            up = _Upload(local.read_bytes(), local.name, mimetypes.guess_type(local.name)[0])
            limit = MAX_LOCAL_UPLOAD
        elif isinstance(value, str) and value in self._files:
            f = self._files[value]
            compatible = {kind} | ({"document", "animation"} if kind == "document" else set())
            if f.kind not in compatible:
                raise _bad(f"can't use file of type {f.kind.capitalize()} as {kind.capitalize()}")
            return f, _Upload(f.data, None, None)
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        if len(up.data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        if not up.data:
            raise _bad("file must be non-empty")
        return None, up

    def _photo(self, req: _Req, value: Any, field_name: str) -> list[dict[str, Any]]:
        existing, up = self._input_file(req, value, field_name, "photo")
        if existing is not None:
            return copy.deepcopy(existing.photo_set or [self._file_ref(existing)])
        try:
            width, height = imagesize.get(io.BytesIO(up.data))
        except Exception:
            width, height = -1, -1
        if width <= 0 or height <= 0:
            raise _bad("IMAGE_PROCESS_FAILED")
        if width + height > 10000 or max(width, height) / min(width, height) > 20:
            raise _bad("PHOTO_INVALID_DIMENSIONS")
        return self._photo_sizes(up.data, width, height)

    def _media_file(
        self, req: _Req, value: Any, field_name: str, kind: str, p: dict[str, Any]
    ) -> dict[str, Any]:
        existing, up = self._input_file(req, value, field_name, kind)
        if existing is not None:
            f = existing
            name = Path(f.path).name
        else:
            default_name = {"video": "video.mp4", "animation": "animation.mp4"}.get(kind)
            name = up.filename or default_name or "file"
            f = self._new_file(up.data, kind, name)
        mime = up.mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
        info = self._file_ref(f)
        if kind in ("video", "animation"):
            info.update(
                width=int(p.get("width") or 0),
                height=int(p.get("height") or 0),
                duration=int(p.get("duration") or 0),
                mime_type=mime if mime.startswith("video/") else "video/mp4",
            )
        if kind in ("document", "animation", "audio"):
            info.update(file_name=name, mime_type=mime)
        if kind in ("audio", "voice"):
            info["duration"] = int(p.get("duration") or 0)
        for extra in ("performer", "title"):
            if kind == "audio" and p.get(extra):
                info[extra] = p[extra]
        if kind == "voice":
            info["mime_type"] = "audio/ogg"
        return info

    # ----------------------------------------------------------------------------- methods

    def _api_getMe(self, req: _Req) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_logOut(self, req: _Req) -> Any:
        return True

    def _api_close(self, req: _Req) -> Any:
        return True

    async def _get_updates(self, req: _Req) -> Any:
        """getUpdates, on the server's loop; it holds the lock only while it reads or changes
        state (a test pushing an update wakes it through `_wake_polls`)."""
        p = req.params
        event = self._update_event
        assert event is not None
        with self._lock:
            if self.webhook_url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if "allowed_updates" in p:
                allowed = p["allowed_updates"]
                self._allowed_updates = frozenset(allowed) if allowed else None
            offset = p.get("offset")
            if isinstance(offset, int) and offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif isinstance(offset, int) and offset < 0:
                self._updates = self._updates[offset:]
            self._poll_generation += 1
            generation = self._poll_generation
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        event.set()  # a newer poll terminates older ones, like Telegram
        deadline = time.monotonic() + max(0, int(p.get("timeout") or 0))
        while True:
            with self._lock:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._stopping:
                    return copy.deepcopy(self._updates[:limit])
                # Cleared while the lock keeps updates out: one pushed after this sets it again.
                event.clear()
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    def _api_setWebhook(self, req: _Req) -> Any:
        url = req.params["url"]
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        return True

    def _api_deleteWebhook(self, req: _Req) -> Any:
        self.webhook_url = ""
        if req.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_getWebhookInfo(self, req: _Req) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _scope_key(p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise _bad("can't parse BotCommandScope JSON object")
        if scope["type"] in ("chat", "chat_administrators", "chat_member") and (
            "chat_id" not in scope
        ):
            raise _bad("chat_id is empty")
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    def _api_setMyCommands(self, req: _Req) -> Any:
        commands = req.params["commands"]
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        seen: set[str] = set()
        for c in commands:
            if not isinstance(c, dict):
                raise _bad("can't parse BotCommand JSON object")
            name, desc = c.get("command"), c.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(desc, str) or not 1 <= len(desc.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            if name in seen:
                raise _bad("BOT_COMMAND_INVALID")
            seen.add(name)
        key = self._scope_key(req.params)
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _api_getMyCommands(self, req: _Req) -> Any:
        return copy.deepcopy(self.commands.get(self._scope_key(req.params), []))

    def _api_deleteMyCommands(self, req: _Req) -> Any:
        self.commands.pop(self._scope_key(req.params), None)
        return True

    def _set_description(self, req: _Req, key: str, limit: int) -> Any:
        value = str(req.params.get(key) or "")
        if len(value) > limit:
            raise _bad(f"{key} is too long")
        self.descriptions[key][str(req.params.get("language_code") or "")] = value
        return True

    def _api_setMyDescription(self, req: _Req) -> Any:
        return self._set_description(req, "description", 512)

    def _api_setMyShortDescription(self, req: _Req) -> Any:
        return self._set_description(req, "short_description", 120)

    def _api_getMyDescription(self, req: _Req) -> Any:
        lang = str(req.params.get("language_code") or "")
        return {"description": self.descriptions["description"].get(lang, "")}

    def _api_getMyShortDescription(self, req: _Req) -> Any:
        lang = str(req.params.get("language_code") or "")
        return {"short_description": self.descriptions["short_description"].get(lang, "")}

    def _api_getChat(self, req: _Req) -> Any:
        st = self._chat(req.params["chat_id"])
        return {**st.info, "accent_color_id": 0, "max_reaction_count": 11}

    def _api_getChatMember(self, req: _Req) -> Any:
        self._chat(req.params["chat_id"])
        user = self._users.get(req.params["user_id"])
        if user is None:
            raise _bad("user not found")
        return {"status": "member", "user": user}

    def _api_sendChatAction(self, req: _Req) -> Any:
        self._chat(req.params["chat_id"])
        if req.params["action"] not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _api_answerCallbackQuery(self, req: _Req) -> Any:
        qid = req.params["callback_query_id"]
        if qid not in self._open_queries:
            raise _bad(QUERY_TOO_OLD)
        if len(str(req.params.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_queries.discard(qid)
        self.callback_answers[qid] = dict(req.params)
        return True

    def _api_sendMessage(self, req: _Req) -> Any:
        p = req.params
        st = self._chat(p["chat_id"])
        text, ents = self._text(p)
        content: dict[str, Any] = {"text": text}
        if ents:
            content["entities"] = ents
        if isinstance(p.get("link_preview_options"), dict):
            content["link_preview_options"] = p["link_preview_options"]
        return self._bot_message(st, p, content)

    def _api_sendMessageDraft(self, req: _Req) -> Any:
        p = req.params
        if not isinstance(p["chat_id"], int) or p["chat_id"] <= 0:
            raise _bad("TEXTDRAFT_PEER_INVALID")
        self._chat(p["chat_id"])
        if p["draft_id"] == 0:
            raise _bad("draft_id must be non-zero")
        self._formatted(
            str(p.get("text", "")),
            p.get("parse_mode"),
            p.get("entities"),
            MAX_TEXT,
            "message is too long",
        )
        return True

    def _api_editMessageText(self, req: _Req) -> Any:
        p = req.params
        text, ents = self._text(p)
        markup = self._markup(p.get("reply_markup"))
        msg = self._editable(p)
        if msg is None:
            return True
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        if (msg["text"], msg.get("entities", []), msg.get("reply_markup")) == (text, ents, markup):
            raise _bad(NOT_MODIFIED)
        msg["text"] = text
        msg.pop("entities", None)
        if ents:
            msg["entities"] = ents
        self._set_markup(msg, markup)
        return copy.deepcopy(msg)

    @staticmethod
    def _set_markup(msg: dict[str, Any], markup: dict[str, Any] | None) -> None:
        # An edit without reply_markup removes the inline keyboard, as on Telegram.
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        msg["edit_date"] = int(time.time())

    def _api_editMessageCaption(self, req: _Req) -> Any:
        p = req.params
        caption = self._caption(p)
        markup = self._markup(p.get("reply_markup"))
        msg = self._editable(p)
        if msg is None:
            return True
        if not any(k in msg for k in MEDIA_KEYS):
            raise _bad("there is no caption in the message to edit")
        old = (msg.get("caption"), msg.get("caption_entities"), msg.get("reply_markup"))
        if old == (caption.get("caption"), caption.get("caption_entities"), markup):
            raise _bad(NOT_MODIFIED)
        for k in ("caption", "caption_entities", "show_caption_above_media"):
            msg.pop(k, None)
        msg.update(caption)
        self._set_markup(msg, markup)
        return copy.deepcopy(msg)

    def _api_editMessageReplyMarkup(self, req: _Req) -> Any:
        p = req.params
        markup = self._markup(p.get("reply_markup"))
        msg = self._editable(p)
        if msg is None:
            return True
        if msg.get("reply_markup") == markup:
            raise _bad(NOT_MODIFIED)
        self._set_markup(msg, markup)
        return copy.deepcopy(msg)

    def _api_editMessageMedia(self, req: _Req) -> Any:
        p = req.params
        media = p["media"]
        if not isinstance(media, dict):
            raise _bad("can't parse InputMedia JSON object")
        markup = self._markup(p.get("reply_markup"))
        msg = self._editable(p)
        allow = ("photo", "video", "document", "animation", "audio")
        content = self._media_item(req, media, allow)
        if msg is None:
            return True
        if not any(k in msg for k in MEDIA_KEYS):
            raise _bad("there is no media in the message to edit")
        for k in (*MEDIA_KEYS, "caption", "caption_entities", "show_caption_above_media"):
            msg.pop(k, None)
        msg.update(content)
        self._set_markup(msg, markup)
        return copy.deepcopy(msg)

    def _api_deleteMessage(self, req: _Req) -> Any:
        st = self._chat(req.params["chat_id"])
        if st.messages.pop(req.params["message_id"], None) is None:
            raise _bad("message to delete not found")
        return True

    def _api_deleteMessages(self, req: _Req) -> Any:
        st = self._chat(req.params["chat_id"])
        ids = req.params["message_ids"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must contain 1-100 identifiers")
        for mid in ids:
            st.messages.pop(mid, None)
        return True

    def _api_sendPhoto(self, req: _Req) -> Any:
        p = req.params
        st = self._chat(p["chat_id"])
        content = {"photo": self._photo(req, p["photo"], "photo"), **self._caption(p)}
        if p.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._bot_message(st, p, content)

    def _send_media(self, req: _Req, kind: str) -> Any:
        p = req.params
        st = self._chat(p["chat_id"])
        content = {kind: self._media_file(req, p[kind], kind, kind, p), **self._caption(p)}
        if kind == "animation":
            content["document"] = dict(content["animation"])
        return self._bot_message(st, p, content)

    def _api_sendDocument(self, req: _Req) -> Any:
        return self._send_media(req, "document")

    def _api_sendVideo(self, req: _Req) -> Any:
        return self._send_media(req, "video")

    def _api_sendAnimation(self, req: _Req) -> Any:
        return self._send_media(req, "animation")

    def _api_sendAudio(self, req: _Req) -> Any:
        return self._send_media(req, "audio")

    def _api_sendVoice(self, req: _Req) -> Any:
        return self._send_media(req, "voice")

    def _api_sendSticker(self, req: _Req) -> Any:
        p = req.params
        st = self._chat(p["chat_id"])
        existing, up = self._input_file(req, p["sticker"], "sticker", "sticker")
        f = existing or self._new_file(up.data, "sticker", "sticker.webp")
        sticker = {
            **self._file_ref(f),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._bot_message(st, p, {"sticker": sticker})

    def _media_item(
        self, req: _Req, item: dict[str, Any], allow: tuple[str, ...]
    ) -> dict[str, Any]:
        kind = item.get("type")
        if kind not in allow:
            raise _bad(f"wrong media type {kind!r}")
        if kind == "photo":
            content: dict[str, Any] = {"photo": self._photo(req, item.get("media"), "")}
        else:
            content = {kind: self._media_file(req, item.get("media"), "", kind, item)}
        content.update(self._caption(item))
        if item.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return content

    def _api_sendMediaGroup(self, req: _Req) -> Any:
        p = req.params
        st = self._chat(p["chat_id"])
        media = p["media"]
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise _bad("can't parse media JSON object")
        if len(media) < 2:
            raise _bad("too few media in the group")
        if len(media) > 10:
            raise _bad("too many media in the group")
        kinds = {m.get("type") for m in media}
        for solo in ("document", "audio"):
            if solo in kinds and len(kinds) > 1:
                raise _bad(f"{solo} can't be mixed with other media types")
        allow = ("photo", "video", "document", "audio")
        contents = [self._media_item(req, m, allow) for m in media]
        reply = self._reply(st, p)
        group_id = str(secrets.randbelow(10**17) + 10**16)
        out = []
        for content in contents:
            msg = self._store(st, self.bot_user, content, p.get("message_thread_id"))
            msg["media_group_id"] = group_id
            msg.update(reply)
            out.append(copy.deepcopy(msg))
        return out

    def _api_getFile(self, req: _Req) -> Any:
        f = self._files.get(req.params["file_id"])
        if f is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        if len(f.data) > MAX_DOWNLOAD:
            raise _bad("file is too big")
        return {**self._file_ref(f), "file_path": f.path}

    def _source(self, p: dict[str, Any], what: str) -> dict[str, Any]:
        src = self._chat(p["from_chat_id"]).messages.get(p["message_id"])
        if src is None:
            raise _bad(f"message to {what} not found")
        return src

    def _api_copyMessage(self, req: _Req) -> Any:
        p = req.params
        st = self._chat(p["chat_id"])
        src = self._source(p, "copy")
        keep = (*MEDIA_KEYS, "text", "entities", "caption", "caption_entities")
        content = {k: copy.deepcopy(v) for k, v in src.items() if k in keep}
        if "caption" in p:
            for k in ("caption", "caption_entities"):
                content.pop(k, None)
            content.update(self._caption(p))
        msg = self._bot_message(st, p, content)
        return {"message_id": msg["message_id"]}

    def _api_forwardMessage(self, req: _Req) -> Any:
        p = req.params
        st = self._chat(p["chat_id"])
        src = self._source(p, "forward")
        keep = (*MEDIA_KEYS, "text", "entities", "caption", "caption_entities")
        content = {k: copy.deepcopy(v) for k, v in src.items() if k in keep}
        content["forward_origin"] = {
            "type": "user",
            "sender_user": src["from"],
            "date": src["date"],
        }
        return self._bot_message(st, {"message_thread_id": p.get("message_thread_id")}, content)


def _with_files(value: Any, uploads: dict[str, _Upload]) -> Any:
    """Copy of params for Call records with attach://name replaced by the uploaded bytes."""
    if isinstance(value, str) and value.startswith("attach://"):
        up = uploads.get(value[len("attach://") :])
        return up.data if up else value
    if isinstance(value, dict):
        return {k: _with_files(v, uploads) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_files(v, uploads) for v in value]
    return value


def _no_bytes(value: Any) -> Any:
    if isinstance(value, bytes):
        return None
    if isinstance(value, dict):
        return {k: _no_bytes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_bytes(v) for v in value]
    return value
