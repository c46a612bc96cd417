"""Sora characters a user created, stored under a name the user can type as `@name`.

The connection is shared by every coroutine, so nothing here may roll it back (that would
discard other coroutines' uncommitted writes): a taken name is found by the statement itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.jobs.characters import default_name
from bot.core.store.db import Database


@dataclass(frozen=True)
class Character:
    id: int
    user_id: int
    character_id: str
    name: str
    source_job_id: int | None
    created_at: float


class CharacterStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user_id: int, character_id: str, source_job_id: int | None) -> Character:
        """Store a new character under a free default name; idempotent per (job, character)."""
        async with self._db.conn.execute(
            "SELECT * FROM characters WHERE user_id = ? AND character_id = ? "
            "AND source_job_id IS ?",
            (user_id, character_id, source_job_id),
        ) as cur:
            row = await cur.fetchone()
        if row is not None:  # delivered before a restart
            return Character(**dict(row))
        while True:
            taken = {c.name for c in await self.of_user(user_id)}
            # OR IGNORE: a name taken meanwhile by another coroutine fails only this statement
            # (no rollback of the shared connection); then the next free name is tried.
            cur = await self._db.conn.execute(
                "INSERT OR IGNORE INTO characters (user_id, character_id, name, source_job_id) "
                "VALUES (?, ?, ?, ?)",
                (user_id, character_id, default_name(taken), source_job_id),
            )
            if cur.rowcount == 1:
                break
        await self._db.conn.commit()
        found = await self.get(int(cur.lastrowid or 0))
        assert found is not None
        return found

    async def get(self, row_id: int) -> Character | None:
        async with self._db.conn.execute("SELECT * FROM characters WHERE id = ?", (row_id,)) as cur:
            row = await cur.fetchone()
        return Character(**dict(row)) if row else None

    async def of_user(self, user_id: int) -> list[Character]:
        async with self._db.conn.execute(
            "SELECT * FROM characters WHERE user_id = ? ORDER BY id", (user_id,)
        ) as cur:
            rows = await cur.fetchall()
        return [Character(**dict(row)) for row in rows]

    async def of_job(self, job_id: int) -> Character | None:
        async with self._db.conn.execute(
            "SELECT * FROM characters WHERE source_job_id = ? ORDER BY id DESC LIMIT 1", (job_id,)
        ) as cur:
            row = await cur.fetchone()
        return Character(**dict(row)) if row else None

    async def names(self, user_id: int) -> dict[str, str]:
        """name → character_id, for expanding `@name` in prompts."""
        return {c.name: c.character_id for c in await self.of_user(user_id)}

    async def rename(self, row_id: int, name: str) -> bool:
        """False when the user already has a character with that name."""
        # One statement checks and renames: nothing fails, nothing needs rolling back.
        cur = await self._db.conn.execute(
            "UPDATE characters SET name = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM "
            "characters o WHERE o.user_id = characters.user_id AND o.name = ? AND o.id != ?)",
            (name, row_id, name, row_id),
        )
        await self._db.conn.commit()
        return cur.rowcount == 1

    async def delete(self, row_id: int) -> None:
        await self._db.conn.execute("DELETE FROM characters WHERE id = ?", (row_id,))
        await self._db.conn.commit()
