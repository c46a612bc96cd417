"""Logging that can never print a secret, in the operator's language.

httpx logs every request URL at INFO and Telegram URLs carry the bot token, so httpx/httpcore
are lowered to WARNING; on top of that every record passes a filter that masks the configured
secrets wherever they appear (message, arguments, tracebacks).

Rules: the bot's own lines at INFO and above are Chinese (DEBUG may stay English); a library's
INFO line is either said in Chinese (texts.LIBRARY_LOG_LINES: PTB's start/stop) or dropped;
libraries' warnings and errors pass as they are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TextIO

from bot.core import redact, texts


class RedactSecrets(logging.Filter):
    """Masks the given secrets and every secret the running bot registered (bot/core/redact.py)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        redact.register(secrets)

    def _clean(self, text: str) -> str:
        return redact.scrub(text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = self._clean("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


# The ids of the update being handled; PTB runs each update in its own task, and tasks
# started from a handler (e.g. a job) inherit them, so every line carries user/chat.
_log_context: ContextVar[dict[str, int] | None] = ContextVar("log_context", default=None)


def bind_log_context(**ids: int | None) -> None:
    _log_context.set({key: value for key, value in ids.items() if value is not None})


class LibraryInfoInChinese(logging.Filter):
    """A library's INFO line: the Chinese line that says the same, or nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.name.split(".", 1)[0] == "bot":
            return True
        chinese = texts.LIBRARY_LOG_LINES.get(record.getMessage())
        if chinese is None:
            return False
        record.msg, record.args = chinese, None
        return True


class AddContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.ids = dict(_log_context.get() or {})
        return True


class OneLineFormatter(logging.Formatter):
    """`time level logger: message key=value…`, tracebacks folded into the same line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids: dict[str, int] = getattr(record, "ids", {})
        message = record.getMessage()
        extra = " ".join(f"{k}={v}" for k, v in ids.items() if f"{k}=" not in message)
        text = f"{text} {extra}" if extra else text
        return text.rstrip("\n").replace("\n", " | ")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, msg, the update's ids, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **getattr(record, "ids", {}),
        }
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(
    level: str, secrets: Iterable[str], stream: TextIO | None = None, fmt: str = "text"
) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter())
    # Order matters: secrets are masked before anything is formatted.
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(LibraryInfoInChinese())
    handler.addFilter(AddContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
