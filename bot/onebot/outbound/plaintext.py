"""Model Markdown → readable plain text for QQ, split into sendable parts.

QQ shows no Markdown and cannot edit a sent message, so an answer goes out once, as plain
structure: headings 【…】, bullets •, numbered lists kept, code blocks kept verbatim inside
their ``` fences, links as "text（url）". pyromark (CommonMark, already installed through
telegramify-markdown) does the parsing. No text is ever dropped: raw HTML stays visible,
and a renderer failure falls back to the answer as written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pyromark

from bot.core import texts
from bot.onebot.protocol.segments import Segment, node

log = logging.getLogger(__name__)

QQ_TEXT_LIMIT = 4500  # characters; QQ refuses or folds longer messages in practice
_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_TASKLISTS
)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur = ""
        self.lists: list[int | None] = []  # next number, or None for bullets
        self.marker = ""  # bullet of the list item whose first text is pending
        self.quote = 0
        self.links: list[str] = []
        self.link_text_start: list[int] = []
        self.code: str | None = None  # fence info while inside a code block
        self.cells: list[str] = []

    def prefix(self) -> str:
        return "│ " * self.quote

    def write(self, value: str) -> None:
        if self.marker:
            self.cur += self.marker
            self.marker = ""
        self.cur += value

    def newline(self) -> None:
        self.lines.append((self.prefix() + self.cur).rstrip())
        self.cur = ""

    def flush(self) -> None:
        """End the current line; a list marker still waiting for its text stays pending."""
        if self.cur.strip():
            self.newline()
        self.cur = ""

    def gap(self) -> None:
        """A blank line between blocks (not between the items of one list)."""
        self.flush()
        if self.lines and self.lines[-1].strip("│ ") and not self.lists:
            self.lines.append(self.prefix().rstrip())


def _start(w: _Writer, tag: Any) -> None:
    name = next(iter(tag)) if isinstance(tag, dict) else tag
    value = tag[name] if isinstance(tag, dict) else None
    if name in ("Paragraph", "Heading", "BlockQuote", "CodeBlock", "Table", "HtmlBlock"):
        if name == "Paragraph" and w.lists:
            w.flush()
        else:
            w.gap()
        if name == "Heading":
            w.write("【")
        elif name == "BlockQuote":
            w.quote += 1
        elif name == "CodeBlock":
            info = value.get("Fenced", "") if isinstance(value, dict) else ""
            w.lines.append(w.prefix() + "```" + (info or ""))
            w.code = info or ""
    elif name == "List":
        if not w.lists:
            w.gap()
        else:
            w.flush()
        w.lists.append(value if isinstance(value, int) else None)
    elif name == "Item":
        w.flush()
        depth = len(w.lists) - 1
        number = w.lists[-1]
        if number is None:
            w.marker = "  " * depth + ("• " if depth == 0 else "◦ ")
        else:
            w.marker = "  " * depth + f"{number}. "
            w.lists[-1] = number + 1
    elif name == "Link" or name == "Image":
        w.links.append(str(value.get("dest_url", "")) if isinstance(value, dict) else "")
        w.link_text_start.append(len(w.cur))
    elif name in ("TableHead", "TableRow"):
        w.cells = []
    elif name == "TableCell":
        w.cells.append("")
        w.link_text_start.append(len(w.cur))


def _end(w: _Writer, tag: Any) -> None:
    name = next(iter(tag)) if isinstance(tag, dict) else tag
    if name == "Heading":
        w.write("】")
        w.flush()
    elif name in ("Paragraph", "HtmlBlock"):
        w.flush()
    elif name == "BlockQuote":
        w.flush()
        w.quote -= 1
    elif name == "CodeBlock":
        if w.cur:
            w.newline()
        w.lines.append(w.prefix() + "```")
        w.code = None
    elif name == "List":
        w.flush()
        w.lists.pop()
    elif name == "Item":
        if w.marker:  # an empty item still shows its bullet
            w.write("")
            w.newline()
        w.flush()
    elif name in ("Link", "Image"):
        url = w.links.pop()
        start = w.link_text_start.pop()
        label = w.cur[start:].strip()
        if url and label != url and not url.startswith("mailto:"):
            w.write(f"（{url}）" if label else url)
    elif name == "TableCell":
        start = w.link_text_start.pop()
        w.cells[-1] = w.cur[start:].strip()
        w.cur = w.cur[:start]
    elif name in ("TableHead", "TableRow"):
        w.write(" | ".join(w.cells))
        w.newline()
    elif name == "Table":
        w.flush()


def _render(markdown: str) -> str:
    w = _Writer()
    for event in pyromark.events(markdown, options=_OPTIONS):
        if isinstance(event, str):
            if event in ("SoftBreak", "HardBreak"):
                w.newline()
            elif event == "Rule":
                w.gap()
                w.lines.append(w.prefix() + "————————")
            continue
        ((kind, value),) = event.items()
        if kind == "Start":
            _start(w, value)
        elif kind == "End":
            _end(w, value)
        elif kind == "Text" and w.code is not None:
            for i, line in enumerate(value.split("\n")):
                if i:
                    w.newline()
                w.cur += line
        elif kind in ("Text", "Code", "Html", "InlineHtml", "InlineMath", "DisplayMath"):
            if kind == "Html":  # raw HTML stays visible, line by line
                w.write(value.rstrip("\n"))
                w.newline()
            else:
                w.write(value)
        elif kind == "TaskListMarker":
            w.write("☑ " if value else "☐ ")
    w.flush()
    return "\n".join(w.lines).strip("\n")


def markdown_to_plain(markdown: str) -> str:
    """A Markdown answer as readable plain text (never loses text)."""
    if not markdown.strip():
        return ""
    try:
        return _render(markdown)
    except Exception:  # a parser surprise must not cost the user the answer
        log.exception(texts.LOG_PLAIN_TEXT_RENDERING_FAILED_SENDING)
        return markdown.strip()


# --- splitting --------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[。！？!?；;…](?:[”’」』）)\]]*)|\.(?=\s)")


def _cut_point(chunk: str) -> int:
    """Where to cut `chunk` (a limit-sized window): paragraph, line, sentence, space, hard."""
    floor = len(chunk) // 3  # cutting earlier than this makes too many small parts
    for sep in ("\n\n", "\n"):
        at = chunk.rfind(sep)
        if at >= floor:
            return at + len(sep)
    ends = [m.end() for m in _SENTENCE_END.finditer(chunk) if m.end() >= floor]
    if ends:
        return ends[-1]
    at = max(chunk.rfind(" "), chunk.rfind("，"), chunk.rfind(","))
    if at >= floor:
        return at + 1
    return len(chunk)


def split_text(value: str, limit: int = QQ_TEXT_LIMIT) -> list[str]:
    """Cut a long text into parts of at most `limit` characters at natural boundaries.

    A code block cut in two is closed at the end of one part and reopened in the next, so
    both halves still read as code.
    """
    if limit < 40:
        raise ValueError("limit too small")
    fenced = "```" in value
    room = limit - 24 if fenced else limit  # space for closing/reopening a fence
    parts: list[str] = []
    rest = value.strip()
    while len(rest) > room:
        cut = _cut_point(rest[:room])
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip("\n ")
    if rest:
        parts.append(rest)
    return _balance_fences(parts) if fenced else parts


_FENCE = re.compile(r"^```(.*)$", re.MULTILINE)


def _balance_fences(parts: list[str]) -> list[str]:
    out: list[str] = []
    reopen = None  # the fence line to reopen the next part with
    for part in parts:
        if reopen is not None:
            part = reopen + "\n" + part
        fences = _FENCE.findall(part)
        if len(fences) % 2:
            reopen = "```" + fences[-1][:20]
            part += "\n```"
        else:
            reopen = None
        out.append(part)
    return out


def forward_nodes(parts: list[str], *, user_id: int | str, nickname: str) -> list[Segment]:
    """Merged-forward nodes for `send_group_forward_msg` / `send_private_forward_msg`."""
    return [node(part, user_id=user_id, nickname=nickname) for part in parts]


def plan_answer(
    markdown: str, *, limit: int = QQ_TEXT_LIMIT, max_messages: int = 3
) -> tuple[str, list[str]]:
    """("messages", parts) when the answer fits in a few messages, else ("forward", parts).

    The adapter sends "forward" plans as one merged-forward message of `forward_nodes(parts)`
    (and falls back to messages if the implementation refuses it).
    """
    parts = split_text(markdown_to_plain(markdown), limit)
    return ("messages" if len(parts) <= max_messages else "forward"), parts
