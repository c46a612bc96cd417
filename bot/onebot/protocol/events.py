"""OneBot v11 events (event/message.md, event/meta.md) as small dataclasses.

Only what the bot acts on is parsed: private and group messages (array format) and the
meta events (heartbeat, lifecycle). Notices and requests parse to None and are ignored.
Malformed events parse to None too: the implementation is trusted for shape, not content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.core import texts
from bot.onebot.protocol.segments import Segment, normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sender:
    user_id: int
    nickname: str = ""
    card: str = ""  # group card (群名片), groups only
    role: str = ""  # owner / admin / member, groups only

    @property
    def display_name(self) -> str:
        return self.card or self.nickname or str(self.user_id)


@dataclass(frozen=True)
class MessageEvent:
    """A private (`group_id is None`) or group message addressed to account `self_id`."""

    self_id: int
    message_type: str  # "private" | "group"
    sub_type: str
    message_id: int
    user_id: int
    message: list[Segment]
    raw_message: str = ""
    group_id: int | None = None
    sender: Sender | None = None
    time: int = 0

    @property
    def is_group(self) -> bool:
        return self.message_type == "group"

    @property
    def chat_key(self) -> str:
        """Stable id of the conversation: `qq:<QQ号>` or `qqgroup:<群号>` (issue 13)."""
        return f"qqgroup:{self.group_id}" if self.is_group else f"qq:{self.user_id}"


@dataclass(frozen=True)
class HeartbeatEvent:
    self_id: int
    interval_ms: int
    status: dict[str, Any] = field(default_factory=dict)
    time: int = 0

    @property
    def online(self) -> bool | None:
        value = self.status.get("online")
        return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class LifecycleEvent:
    self_id: int
    sub_type: str  # enable / disable / connect
    time: int = 0


Event = MessageEvent | HeartbeatEvent | LifecycleEvent


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():  # not "1²"
        return int(value)
    return None


def _sender(raw: Any, user_id: int) -> Sender:
    if not isinstance(raw, dict):
        return Sender(user_id=user_id)
    return Sender(
        user_id=_int(raw.get("user_id")) or user_id,
        nickname=str(raw.get("nickname") or ""),
        card=str(raw.get("card") or ""),
        role=str(raw.get("role") or ""),
    )


def parse_event(raw: Any) -> Event | None:
    """One pushed JSON object → an event, or None for what the bot ignores."""
    if not isinstance(raw, dict):
        return None
    self_id = _int(raw.get("self_id"))
    post_type = raw.get("post_type")
    if self_id is None or not isinstance(post_type, str):
        return None
    when = _int(raw.get("time")) or 0
    if post_type == "message":
        return _message(raw, self_id, when)
    if post_type == "meta_event":
        kind = raw.get("meta_event_type")
        if kind == "heartbeat":
            status = raw.get("status")
            return HeartbeatEvent(
                self_id=self_id,
                interval_ms=_int(raw.get("interval")) or 0,
                status=status if isinstance(status, dict) else {},
                time=when,
            )
        if kind == "lifecycle":
            sub_type = str(raw.get("sub_type") or "")
            return LifecycleEvent(self_id=self_id, sub_type=sub_type, time=when)
    return None  # notice, request, message_sent (NapCat's self messages), unknown


def _message(raw: dict[str, Any], self_id: int, when: int) -> MessageEvent | None:
    message_type = raw.get("message_type")
    message_id = _int(raw.get("message_id"))
    user_id = _int(raw.get("user_id"))
    if message_type not in ("private", "group") or message_id is None or user_id is None:
        log.warning(texts.LOG_ONEBOT_MESSAGE_EVENT_WITHOUT_TYPE)
        return None
    group_id = _int(raw.get("group_id")) if message_type == "group" else None
    if message_type == "group" and group_id is None:
        return None
    try:
        segments = normalize(raw.get("message"))
    except ValueError:
        log.warning(texts.LOG_ONEBOT_MESSAGE_UNREADABLE, message_id)
        return None
    return MessageEvent(
        self_id=self_id,
        message_type=message_type,
        sub_type=str(raw.get("sub_type") or ""),
        message_id=message_id,
        user_id=user_id,
        message=segments,
        raw_message=str(raw.get("raw_message") or ""),
        group_id=group_id,
        sender=_sender(raw.get("sender"), user_id),
        time=when,
    )
