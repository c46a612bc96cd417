"""One scrub for every text that leaves the process: log lines, chat messages, stored details.

Rules: every configured secret (any SecretStr setting, a proxy password) is masked wherever it
appears, and so are bearer tokens and Telegram bot tokens in URLs even when they are not ours.
The running bot registers its settings' secrets at start (`register`), so callers only `scrub`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

MASK = "***"
MIN_SECRET_CHARS = 6  # shorter values would mask ordinary words
# A Telegram token in a URL path even if it is not one of ours (e.g. a test token).
_TOKEN_IN_URL = re.compile(r"/(file/)?bot\d+:[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}")

_secrets: set[str] = set()
_ordered: list[str] = []  # longest first, so a secret containing another is masked whole


def register(values: Iterable[str]) -> None:
    """Add secrets to mask from now on (idempotent)."""
    global _ordered
    fresh = {v for v in values if v and len(v) >= MIN_SECRET_CHARS} - _secrets
    if fresh:
        _secrets.update(fresh)
        _ordered = sorted(_secrets, key=len, reverse=True)


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every registered (and `extra`) secret and token masked."""
    if not text:
        return text
    for secret in (*_ordered, *extra):
        if secret and len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, MASK)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot{MASK}", text)


def secrets_of(settings: Any) -> list[str]:
    """Every secret value in the settings: any SecretStr field plus a TELEGRAM_PROXY password."""
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
            found.append(password)
    return found
