"""Who may open the web console, and how: one-time login links, sessions, roles, the audit.

Rules:
- an admin (BOT_ADMIN_IDS) is an owner (所有者); other operators hold a role stored by an
  owner: 管理员 (users, quotas, jobs) or 只读 (view only); anyone else gets no link;
- a login link is valid LOGIN_TTL seconds and works once; it creates a session of
  SESSION_TTL seconds, revocable; links and session ids are stored only as hashes;
- with CONSOLE_PASSWORD_HASH set, the password opens a session for the first BOT_ADMIN_IDS
  entry (an owner); it is checked in constant time, off the event loop;
- every session has its own CSRF token, asked for by every change;
- this module knows no platform and no web framework: the platforms' /console commands call
  `issue_login_link`, the console app (bot/console) the rest.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core import texts
from bot.core.config import Settings
from bot.core.console_password import verify
from bot.core.identity import display
from bot.core.store.console import AuditEntry, ConsoleStore, SessionRow
from bot.core.store.db import Database

LOGIN_TTL = 600.0  # a link is sent to a private chat and clicked at once: 10 minutes
SESSION_TTL = 7 * 86400.0
TOUCH_EVERY = 60.0  # last_seen is written at most this often per session (not per request)
OWNER, ADMIN, READONLY = "owner", "admin", "readonly"
ROLES = (OWNER, ADMIN, READONLY)
CAN_CHANGE = (OWNER, ADMIN)  # users, quotas, jobs
LOOPBACK_NAMES = ("localhost",)


class NoConsoleRole(Exception):
    """The identity may not open the console (not an admin, no role granted)."""


class ConsoleOff(Exception):
    """CONSOLE_PORT=0: there is nothing to log in to."""


@dataclass
class Session:
    id: int  # the row id: shown in the sessions list, used to revoke (not a secret)
    identity: int
    role: str
    csrf: str
    created_at: float
    expires_at: float
    last_seen: float
    user_agent: str
    address: str

    @property
    def can_change(self) -> bool:
        return self.role in CAN_CHANGE


@dataclass
class NewSession:
    secret: str  # goes into the cookie, never stored
    session: Session


def is_loopback(host: str) -> bool:
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plain_http_warning(settings: Settings) -> str | None:
    """The Chinese warning for a console reachable from other machines without TLS, or None."""
    if settings.console_port == 0 or is_loopback(settings.console_host):
        return None
    if urlsplit(settings.console_public_url).scheme == "https":
        return None  # a TLS reverse proxy in front (its own host may be any address)
    return texts.CONSOLE_PLAIN_HTTP_WARNING.format(
        host=settings.console_host, port=settings.console_port
    )


def secure_cookies(settings: Settings) -> bool:
    return urlsplit(settings.console_public_url).scheme == "https"


class ConsoleAuth:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.settings = settings
        self.store = ConsoleStore(db)
        self.admins = frozenset(settings.bot_admin_ids)

    async def role_of(self, identity: int) -> str | None:
        if identity in self.admins:
            return OWNER
        role = await self.store.role(identity)
        return role if role in ROLES and role != OWNER else None

    async def issue_login_link(self, identity: int, now: float | None = None) -> str:
        """A one-time link for `identity`; NoConsoleRole / ConsoleOff when there is none."""
        if self.settings.console_port == 0:
            raise ConsoleOff
        if await self.role_of(identity) is None:
            raise NoConsoleRole
        token = secrets.token_urlsafe(32)
        await self.store.add_login_token(token, identity, now or time.time(), LOGIN_TTL)
        return f"{self.settings.console_public_url}/login/{token}"

    async def redeem(
        self, token: str, user_agent: str = "", address: str = "", now: float | None = None
    ) -> NewSession | None:
        """A new session for a valid, unused link (the link is spent), else None."""
        now = now or time.time()
        if not token or len(token) > 200:
            return None
        identity = await self.store.use_login_token(token, now)
        if identity is None:
            return None
        if await self.role_of(identity) is None:  # the role was taken away since
            return None
        return await self._open_session(identity, user_agent, address, now, "")

    @property
    def password_login(self) -> bool:
        """Whether the login page offers the password form."""
        return self.settings.console_password_hash is not None and bool(self.admins)

    async def redeem_password(
        self, password: str, user_agent: str = "", address: str = "", now: float | None = None
    ) -> NewSession | None:
        """A session for the first admin when `password` matches CONSOLE_PASSWORD_HASH."""
        stored = self.settings.console_password_hash
        if stored is None or not self.settings.bot_admin_ids:
            return None
        if not await asyncio.to_thread(verify, password, stored.get_secret_value()):
            return None
        owner = self.settings.bot_admin_ids[0]
        return await self._open_session(owner, user_agent, address, now or time.time(),
                                        texts.CONSOLE_UI["by_password"])  # fmt: skip

    async def _open_session(
        self, identity: int, user_agent: str, address: str, now: float, how: str
    ) -> NewSession:
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await self.store.add_session(secret, identity, csrf, now, SESSION_TTL, user_agent,
                                     address)  # fmt: skip
        found = await self.session(secret, now)
        assert found is not None
        await self.store.audit(identity, "login", f"session:{found.id}", how)
        return NewSession(secret, found)

    async def session(self, secret: str, now: float | None = None) -> Session | None:
        """The live session behind a cookie, with the identity's role as of now."""
        now = now or time.time()
        if not secret or len(secret) > 200:
            return None
        row = await self.store.session(secret, now)
        if row is None:
            return None
        role = await self.role_of(row.identity)
        if role is None:
            return None
        if now - row.last_seen > TOUCH_EVERY:
            await self.store.touch(row.id, now)
        return _session(row, role)

    async def sessions(self, now: float | None = None) -> list[Session]:
        rows = await self.store.live_sessions(now or time.time())
        return [_session(row, (await self.role_of(row.identity)) or READONLY) for row in rows]

    async def revoke(self, session_id: int, actor: int) -> bool:
        done = await self.store.revoke(session_id, time.time())
        if done:
            await self.store.audit(actor, "revoke", f"session:{session_id}")
        return done

    async def set_role(self, identity: int, role: str | None, actor: int) -> None:
        if role is not None and role not in (ADMIN, READONLY):
            raise ValueError(role)
        await self.store.set_role(identity, role, actor)
        names = texts.CONSOLE_ROLE_NAMES
        await self.store.audit(actor, "role", f"identity:{display(identity)}",
                               names.get(role or "", texts.CONSOLE_UI["no_role"]))  # fmt: skip

    async def audit(self, actor: int, action: str, target: str, detail: str = "") -> None:
        await self.store.audit(actor, action, target, detail)

    async def audit_of(self, *targets: str, limit: int = 20) -> list[AuditEntry]:
        return await self.store.audit_of(list(targets), limit)

    async def audit_where(self, prefix: str, limit: int = 20) -> list[AuditEntry]:
        return await self.store.audit_where(prefix, limit)


async def issue_login_link(db: Database, settings: Settings, identity: int) -> str:
    """What the platforms' /console (QQ: /控制台) command calls."""
    return await ConsoleAuth(db, settings).issue_login_link(identity)


async def console_link_text(
    db: Database, settings: Settings, identity: int, *, private: bool, command: str
) -> str:
    """The answer to /console (QQ: /控制台): a link in a private chat only (a group would
    show it to everyone), or why there is none."""
    if not private:
        return texts.CONSOLE_LINK_PRIVATE_ONLY.format(command=command)
    try:
        url = await issue_login_link(db, settings, identity)
    except ConsoleOff:
        return texts.CONSOLE_OFF
    except NoConsoleRole:
        return texts.CONSOLE_NO_ROLE
    return texts.CONSOLE_LINK.format(url=url)


def _session(row: SessionRow, role: str) -> Session:
    return Session(row.id, row.identity, role, row.csrf, row.created_at, row.expires_at,
                   row.last_seen, row.user_agent, row.address)  # fmt: skip
