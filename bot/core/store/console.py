"""The web console's records: operators' roles, login links, sessions and the audit of changes.

Secrets are stored hashed (SHA-256 of 32 random bytes: no salt needed for random tokens), so
a copy of the database cannot log anyone in. Redeeming a link is one UPDATE that checks
"unused and not expired" inside the statement: two clicks racing get one session between them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.core.store.db import Database


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class SessionRow:
    id: int
    identity: int
    csrf: str
    created_at: float
    expires_at: float
    last_seen: float
    revoked_at: float | None
    user_agent: str
    address: str


@dataclass
class AuditEntry:
    id: int
    at: float
    actor: int
    action: str
    target: str
    detail: str


class ConsoleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- roles ---------------------------------------------------------------------------------

    async def role(self, identity: int) -> str | None:
        async with self._db.conn.execute(
            "SELECT role FROM console_roles WHERE identity = ?", (identity,)
        ) as cur:
            row = await cur.fetchone()
        return str(row["role"]) if row else None

    async def roles(self) -> dict[int, str]:
        async with self._db.conn.execute("SELECT identity, role FROM console_roles") as cur:
            return {int(row["identity"]): str(row["role"]) for row in await cur.fetchall()}

    async def set_role(self, identity: int, role: str | None, granted_by: int) -> None:
        if role is None:
            await self._db.conn.execute(
                "DELETE FROM console_roles WHERE identity = ?", (identity,)
            )
        else:
            await self._db.conn.execute(
                "INSERT INTO console_roles (identity, role, granted_by) VALUES (?, ?, ?) "
                "ON CONFLICT (identity) DO UPDATE SET role = excluded.role, "
                "granted_by = excluded.granted_by, granted_at = excluded.granted_at",
                (identity, role, granted_by),
            )
        await self._db.conn.commit()

    # -- login links ---------------------------------------------------------------------------

    async def add_login_token(self, token: str, identity: int, now: float, ttl: float) -> None:
        await self._db.conn.execute(
            "INSERT INTO console_login_tokens (token_hash, identity, created_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (token_hash(token), identity, now, now + ttl),
        )
        # Spent and expired links are kept a day (for nothing but a look), then dropped.
        await self._db.conn.execute(
            "DELETE FROM console_login_tokens WHERE expires_at < ?", (now - 86400,)
        )
        await self._db.conn.commit()

    async def use_login_token(self, token: str, now: float) -> int | None:
        """The identity the link was made for, once: None if unknown, used or expired."""
        # Run and read to its end in one step on the connection's thread: an UPDATE … RETURNING
        # left unfinished between two awaits makes every other coroutine's commit fail.
        rows = list(await self._db.conn.execute_fetchall(
            "UPDATE console_login_tokens SET used_at = ? WHERE token_hash = ? "
            "AND used_at IS NULL AND expires_at > ? RETURNING identity",
            (now, token_hash(token), now),
        ))  # fmt: skip
        await self._db.conn.commit()
        return int(rows[0]["identity"]) if rows else None

    # -- sessions ------------------------------------------------------------------------------

    async def add_session(
        self, session_id: str, identity: int, csrf: str, now: float, ttl: float,
        user_agent: str, address: str,
    ) -> None:  # fmt: skip
        await self._db.conn.execute(
            "INSERT INTO console_sessions (id_hash, identity, csrf, created_at, expires_at, "
            "last_seen, user_agent, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (token_hash(session_id), identity, csrf, now, now + ttl, now, user_agent[:200],
             address[:100]),
        )  # fmt: skip
        await self._db.conn.commit()

    async def session(self, session_id: str, now: float) -> SessionRow | None:
        """A live session (not expired, not revoked) by its secret id."""
        async with self._db.conn.execute(
            "SELECT * FROM console_sessions WHERE id_hash = ? AND revoked_at IS NULL "
            "AND expires_at > ?",
            (token_hash(session_id), now),
        ) as cur:
            row = await cur.fetchone()
        return _session(row) if row else None

    async def touch(self, row_id: int, now: float) -> None:
        await self._db.conn.execute(
            "UPDATE console_sessions SET last_seen = ? WHERE id = ?", (now, row_id)
        )
        await self._db.conn.commit()

    async def live_sessions(self, now: float, limit: int = 200) -> list[SessionRow]:
        async with self._db.conn.execute(
            "SELECT * FROM console_sessions WHERE revoked_at IS NULL AND expires_at > ? "
            "ORDER BY last_seen DESC LIMIT ?",
            (now, limit),
        ) as cur:
            return [_session(row) for row in await cur.fetchall()]

    async def revoke(self, row_id: int, now: float) -> bool:
        cur = await self._db.conn.execute(
            "UPDATE console_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (now, row_id),
        )
        await self._db.conn.commit()
        return cur.rowcount > 0

    # -- audit ---------------------------------------------------------------------------------

    async def audit(self, actor: int, action: str, target: str, detail: str = "") -> None:
        await self._db.conn.execute(
            "INSERT INTO console_audit (actor, action, target, detail) VALUES (?, ?, ?, ?)",
            (actor, action, target, detail),
        )
        await self._db.conn.commit()

    async def audit_of(self, targets: list[str], limit: int = 20) -> list[AuditEntry]:
        """The newest changes to any of `targets` (e.g. "job:12", "identity:*")."""
        if not targets:
            return []
        marks = ",".join("?" * len(targets))
        async with self._db.conn.execute(
            f"SELECT * FROM console_audit WHERE target IN ({marks}) ORDER BY id DESC LIMIT ?",
            (*targets, limit),
        ) as cur:
            return [AuditEntry(**dict(row)) for row in await cur.fetchall()]

    async def audit_where(self, prefix: str, limit: int = 20) -> list[AuditEntry]:
        """The newest changes whose target starts with `prefix` (e.g. "identity:")."""
        async with self._db.conn.execute(
            "SELECT * FROM console_audit WHERE target >= ? AND target < ? "
            "ORDER BY id DESC LIMIT ?",
            (prefix, prefix + "\uffff", limit),
        ) as cur:
            return [AuditEntry(**dict(row)) for row in await cur.fetchall()]


def _session(row: object) -> SessionRow:
    data = dict(row)  # type: ignore[call-overload]
    data.pop("id_hash", None)
    return SessionRow(**data)
