"""Who gets through to the bot, and how often: the access gate and the group cooldown, decided
once for every platform. The adapter says what it received (a `Knock`) and sends the answer.

Rules:
- admin commands pass for admins only (and skip the cooldown); anyone else is ignored
  silently: strangers need not learn they exist;
- a user (or group) not allowed (bot.access) is stopped before any handler, and so any
  provider, runs. A button press hears why at once; a message meant for the bot hears it
  once per refusal interval per chat and user; anything else gets no answer;
- in groups one request per user per GROUP_USER_COOLDOWN seconds, admins exempt; only
  messages meant for the bot count, and the parts of one album count once. The first one
  refused in a window hears how long to wait, later ones nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from bot.core import identity, texts
from bot.core.access import AccessControl, Cooldown

log = logging.getLogger(__name__)

ADMIN_COMMANDS = frozenset({"allow", "deny", "quota", "stats", "providers", "resend", "console"})
# The refusal's wording (private, group) by the platform of the user's id: the ids it asks
# the user to send the admin are written the way /allow takes them.
DENIED_TEXTS = {
    "telegram": (texts.ACCESS_DENIED, texts.ACCESS_DENIED_GROUP),
    "qq": (texts.QQ_ACCESS_DENIED, texts.QQ_ACCESS_DENIED_GROUP),
}
ALBUM_MEMORY = 10_000  # (chat, user) → their latest album: bounded, only the latest matters


@dataclass(frozen=True)
class Knock:
    """One message or button press as the adapter received it."""

    user_id: int
    chat_id: int  # a private chat's id is its user's
    group: bool
    addressed: bool = True  # meant for the bot: private, or a command, @mention, reply to it
    command: str | None = None  # the leading /command's name, lower case
    button: bool = False  # a button press: a refusal is answered on the spot
    album: str | None = None  # the album (media group) this message is a part of


@dataclass(frozen=True)
class Verdict:
    passes: bool
    text: str | None = None  # the Chinese answer to send; None: stay silent
    reason: Literal["", "admin_only", "denied", "cooldown"] = ""
    wait: int = 0  # cooling down: whole seconds the window lasts


PASS = Verdict(True)


class Gate:
    """One per platform adapter: its refusal interval, its windows."""

    def __init__(
        self, access: AccessControl, cooldown_seconds: float, refusal_interval: float
    ) -> None:
        self.access = access
        self.cooldown = Cooldown(cooldown_seconds)
        self.refusals = Cooldown(refusal_interval)
        self._albums: dict[tuple[int, int], str] = {}

    def check(self, knock: Knock) -> Verdict:
        user, chat = knock.user_id, knock.chat_id
        if knock.command in ADMIN_COMMANDS:
            return PASS if self.access.is_admin(user) else Verdict(False, reason="admin_only")
        if not self.access.is_allowed(user, chat):
            log.info(texts.LOG_REFUSED, identity.display(user), identity.display(chat))
            return Verdict(False, self._refusal(knock), "denied")
        if knock.group and not knock.button:
            return self._cooldown(knock)
        return PASS

    def _refusal(self, knock: Knock) -> str | None:
        user, chat = knock.user_id, knock.chat_id
        shown = identity.display(user)
        if knock.button:
            return texts.ACCESS_DENIED_BUTTON.format(user_id=shown)
        if not knock.addressed or not self.refusals.hit((chat, user))[0]:
            return None
        private, group = DENIED_TEXTS[identity.platform_of(user)]
        template = group if knock.group else private
        # Each wording names its own placeholders; format() ignores the others.
        return template.format(user_id=shown, user=shown, chat_id=identity.display(chat),
                               group=identity.display(chat))  # fmt: skip

    def _cooldown(self, knock: Knock) -> Verdict:
        key = (knock.chat_id, knock.user_id)
        if self.access.is_admin(knock.user_id) or not (knock.addressed or knock.album):
            return PASS
        if knock.album and self._albums.get(key) == knock.album:
            return PASS  # a later part of an album already let through
        accepted, notify = self.cooldown.hit(key)
        if accepted:
            if knock.album:
                if len(self._albums) >= ALBUM_MEMORY:
                    self._albums.clear()
                self._albums[key] = knock.album
            return PASS
        log.info(texts.LOG_COOLDOWN, identity.display(knock.user_id),
                 identity.display(knock.chat_id))  # fmt: skip
        wait = max(1, round(self.cooldown.seconds))
        text = texts.COOLDOWN_NOTICE.format(seconds=wait) if notify else None
        return Verdict(False, text, "cooldown", wait)
