"""The SQLite database: one connection, schema created and migrated on start."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

# Each entry upgrades the schema by one version (PRAGMA user_version). Append, never edit.
MIGRATIONS: list[str] = [
    # 1: user preferences and chat memory
    """
    CREATE TABLE users (
        user_id     INTEGER PRIMARY KEY,
        chat_model  TEXT,
        prefs_json  TEXT NOT NULL DEFAULT '{}',
        updated_at  REAL NOT NULL DEFAULT (unixepoch('subsec'))
    );
    CREATE TABLE chat_messages (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        conv_key    TEXT NOT NULL,
        role        TEXT NOT NULL,
        content     TEXT NOT NULL,
        chars       INTEGER NOT NULL,
        created_at  REAL NOT NULL DEFAULT (unixepoch('subsec'))
    );
    CREATE INDEX chat_messages_conv ON chat_messages (conv_key, id);
    """,
]


class Database:
    """Owns the aiosqlite connection. Repositories borrow `conn`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database not opened")
        return self._conn

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._migrate()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _migrate(self) -> None:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.conn.executescript(
                f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;"
            )
