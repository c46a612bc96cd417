"""Where the reverse-WebSocket server listens and which token it demands.

The wiring fills `OneBotConfig` from ONEBOT_WS_HOST / ONEBOT_WS_PORT / ONEBOT_ACCESS_TOKEN;
`validate()` refuses an open server: a host other than loopback needs a token.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from bot.core import texts  # the catalogue of every Chinese sentence; it imports nothing

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PATH = "/onebot/v11/ws"
STATE_FILE = "onebot.json"  # in BOT_DATA_DIR


class OneBotConfigError(ValueError):
    """The OneBot settings cannot be used as they are (message is for the operator)."""


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name or "0.0.0.0"-like wildcard: treat as reachable from outside


@dataclass(frozen=True)
class OneBotConfig:
    """Settings of the reverse-WebSocket server (port 0 = any free port, for tests)."""

    port: int
    host: str = DEFAULT_HOST
    access_token: str | None = None
    path: str = DEFAULT_PATH
    # The listener and the last connection, for `python -m bot check` (None: not recorded).
    state_file: Path | None = None

    def validate(self) -> OneBotConfig:
        if not self.access_token and not is_loopback(self.host):
            raise OneBotConfigError(texts.ONEBOT_NEEDS_TOKEN.format(host=self.host))
        if not self.path.startswith("/"):
            raise OneBotConfigError(f"ONEBOT path must start with '/': {self.path!r}")
        return self

    def __repr__(self) -> str:  # never show the token
        token = "set" if self.access_token else "none"
        return (
            f"OneBotConfig(host={self.host!r}, port={self.port}, path={self.path!r}, token={token})"
        )
