"""The Latin-word check every e2e test runs over what the bot showed (see tests/conftest.py)."""

from __future__ import annotations

import re
from typing import Protocol

from bot.core.jobs.options import IMAGE_MODEL_SHORTHANDS

# After each test, every string the bot asked the fake Telegram to show (texts, drafts, captions,
# button labels, callback answers, menu descriptions) and every text it sent through the fake
# NapCat (text segments, merged-forward nodes) is checked for Latin words. Allowed: the
# names and codes below, words the test itself fed in (what users typed, scripted model answers,
# the fake providers' model lists: a bot may echo those), commands, @mentions, URLs, and
# identifiers (a digit, "-", "." or ":" inside: gemini-2.5-flash, 16:9, 4K, char.abc, task ids).
ALLOWED_LATIN = frozenset(
    w.lower()
    for w in (
        # products, services and abbreviations Chinese users read as they are
        "Gemini", "Nano", "Banana", "Sora", "GrsAI", "Telegram", "QQ", "AI", "API", "ID", "UTC",
        # file formats and units
        "MB", "JPG", "PNG", "WebP", "GIF",
        # codes users and admins type, shown next to their Chinese names
        *IMAGE_MODEL_SHORTHANDS, "auto", "pro", "chat", "image", "video", "jobs", "default",
        # settings admins read about (/deny, the full-disk alert)
        "BOT_ADMIN_IDS", "MEDIA_RETENTION_DAYS",
    )
)  # fmt: skip
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*")
_SKIP = re.compile(r"https?://\S+|(?<![\w/])/[a-z0-9_]+(?:@\w+)?|@[\w.]+")


def latin_words(text: str) -> set[str]:
    words = set()
    for token in _TOKEN.findall(_SKIP.sub(" ", text)):
        token = token.strip(".:-_")
        if re.search(r"[A-Za-z]", token) and not re.search(r"[\d.:\-]", token):
            words.add(token)
    return words


class ShowsTexts(Protocol):
    """A fake platform (FakeTelegram, FakeNapCat): what users typed, what the bot showed."""

    user_inputs: list[str]

    def shown_texts(self) -> list[tuple[str, str]]: ...


def foreign_words(fake: ShowsTexts, fed: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(method, word, text) for each Latin word the bot showed that is not allowed."""
    allowed = set(ALLOWED_LATIN)
    for text in [*fake.user_inputs, *(fed or [])]:
        allowed |= {w.lower() for w in latin_words(text)}
    found = []
    for method, text in fake.shown_texts():
        for word in sorted(latin_words(text)):
            if word.lower() not in allowed:
                found.append((method, word, text))
    return found


def foreign_in(text: str) -> set[str]:
    """The Latin words in one text that no test input could explain."""
    return {w for w in latin_words(text) if w.lower() not in ALLOWED_LATIN}
