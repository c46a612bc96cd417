"""One scrub for every text that leaves the process: log lines, chat messages, stored details.

Rules: every configured secret (any SecretStr setting, a proxy password as written and
percent-decoded), whatever its length, is masked: one of at least MIN_SECRET_CHARS wherever it
appears, a shorter one where a value stands (after `=`, `: `, `Bearer `, inside a URL's user
info, path or query) so ordinary words that contain its letters stay readable. Bearer tokens and
Telegram bot tokens in URLs are masked even when they are not ours. The running bot registers
its settings' secrets at start (`register`), so callers only `scrub`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
MIN_SECRET_CHARS = 6  # shorter values are masked only where a value stands (see _short)
# A Telegram token in a URL path even if it is not one of ours (e.g. a test token).
_TOKEN_IN_URL = re.compile(r"/(file/)?bot\d+:[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}")

# Where a value stands: after `=`, `: `, `:` / `@` / `/` / `?` / `&` (URLs), `Bearer `, or an
# opening quote after one of those; and up to a delimiter, never inside a longer word.
_VALUE_BEFORE = r"""(?:(?<=[=/@?&])|(?<=[=:]["'])|(?<=[=:]\s)|(?<=[=:]\s["'])|(?<=://)|(?<=[^\s]:)|(?i:(?<=bearer\s)))"""
_VALUE_AFTER = r"""(?=$|[\s&@/#?,;:)\]}"'<>])"""

_secrets: set[str] = set()
_ordered: list[str] = []  # longest first, so a secret containing another is masked whole
_short: re.Pattern[str] | None = None  # every short secret, in value positions only


def register(values: Iterable[str]) -> None:
    """Add secrets to mask from now on (idempotent)."""
    global _ordered, _short
    fresh = {v for v in values if v} - _secrets
    if fresh:
        _secrets.update(fresh)
        _ordered = sorted((v for v in _secrets if len(v) >= MIN_SECRET_CHARS), key=len,
                          reverse=True)  # fmt: skip
        _short = _short_pattern(v for v in _secrets if len(v) < MIN_SECRET_CHARS)


def _short_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(f"{_VALUE_BEFORE}(?:{alternatives}){_VALUE_AFTER}") if alternatives else None


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every registered (and `extra`) secret and token masked."""
    if not text:
        return text
    short = [v for v in extra if v and len(v) < MIN_SECRET_CHARS]
    for secret in (*_ordered, *extra):
        if secret and len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, MASK)
    for pattern in (_short, _short_pattern(short) if short else None):
        if pattern is not None:
            text = pattern.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot{MASK}", text)


def secrets_of(settings: Any) -> list[str]:
    """Every secret value in the settings: any SecretStr field plus a TELEGRAM_PROXY password
    (as written in the URL and percent-decoded, which is what goes over the wire)."""
    from pydantic import SecretStr

    found = [
        value.get_secret_value()
        for value in (getattr(settings, name) for name in type(settings).model_fields)
        if isinstance(value, SecretStr)
    ]
    proxy = getattr(settings, "telegram_proxy", None)
    if proxy:
        password = urlsplit(proxy).password
        if password:
            found += [password, unquote(password)]
    return found
