"""Model Markdown → Telegram plain text + entities, split into message-sized chunks.

telegramify-markdown does the parsing (CommonMark, UTF-16 offsets, splitting that keeps
entities intact); this module only adds the two rules the bot needs on top of it:
raw HTML in an answer stays visible as text (the library drops it), and anything the
renderer cannot handle falls back to the plain answer, so no text is ever lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from telegramify_markdown import MessageEntity, split_entities, utf16_len
from telegramify_markdown import converter as _converter
from telegramify_markdown.config import get_runtime_config

from bot.core import texts
from bot.tg.capabilities import TELEGRAM

log = logging.getLogger(__name__)

# Telegram's limit is 4096 UTF-16 units after entity parsing; keep a margin for safety.
MAX_MESSAGE_UTF16 = TELEGRAM.max_text_length - 96


@dataclass(frozen=True)
class RenderedChunk:
    """One Telegram message worth of text with its formatting entities."""

    text: str
    entities: list[MessageEntity] = field(default_factory=list)


class _KeepHtmlWalker(_converter.EventWalker):
    """Models write `<br>` or explain `<div>` in prose: show such HTML as text, not drop it."""

    def _on_inline_html(self, html: str) -> None:
        if html.strip().lower() in ("<tg-spoiler>", "</tg-spoiler>"):
            super()._on_inline_html(html)
        else:
            self._on_text(html)

    def _handle_event(self, event: object) -> None:
        inner = event[0] if isinstance(event, tuple) and len(event) == 2 else event
        if isinstance(inner, dict) and "Html" in inner:
            if self._in_code_block or self._in_table_cell:
                self._on_text(inner["Html"])
                return
            self._ensure_block_spacing()
            self._on_text(inner["Html"].rstrip("\n"))
            self._mark_block_end()
            return
        super()._handle_event(event)


def markdown_to_entities(markdown: str) -> tuple[str, list[MessageEntity]]:
    """Convert, or return the input unformatted when the converter fails."""
    try:
        text, events = _converter._parse(markdown, _converter.STANDARD_OPTIONS, latex_escape=True)
        plain, entities, _ = _KeepHtmlWalker(get_runtime_config(), text).walk(events)
    except Exception:  # a renderer bug must never cost the user the answer
        log.warning(texts.LOG_MARKDOWN_RENDERING_FAILED_SENDING_PLAIN, exc_info=True)
        return markdown, []
    if not plain.strip() and markdown.strip():
        return markdown, []
    return plain, entities


def split_plain(text: str, limit: int = MAX_MESSAGE_UTF16) -> list[RenderedChunk]:
    """Split unformatted text into chunks that fit one message."""
    return [RenderedChunk(t, []) for t, _ in split_entities(text, [], limit)] or [
        RenderedChunk(text or " ")
    ]


def render_chunks(markdown: str, limit: int = MAX_MESSAGE_UTF16) -> list[RenderedChunk]:
    """The whole answer as message-sized, formatted chunks (nothing is cut)."""
    text, entities = markdown_to_entities(markdown)
    if utf16_len(text) <= limit:
        return [RenderedChunk(text, list(entities))] if text.strip() else []
    return [RenderedChunk(t, list(e)) for t, e in split_entities(text, list(entities), limit)]
