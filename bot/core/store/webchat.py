"""网页对话's transcript: what one web identity's page shows, in order, after a reload.

Rules: one row per question, answer, notice (a refusal, a quota) or job started from the page;
a job row holds only its id (its state and results are read from the jobs table); a picture is
a path relative to BOT_DATA_DIR/media. Bounded per page read (the newest LIMIT rows) and in
the table: each identity keeps its newest KEEP rows, older ones go as new ones come (the
conversation's memory for the model is the chat store's, not this).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.core.store.db import Database

LIMIT = 200
KEEP = 2000  # ten pages' worth per identity: the table cannot grow without end
ROLES = ("user", "assistant", "notice", "job")


@dataclass(frozen=True)
class LogEntry:
    id: int
    role: str  # one of ROLES
    text: str
    picture: str | None
    job_id: int | None
    created_at: float


class WebChatLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, chat_id: int, role: str, text: str = "", *, picture: str | None = None,
        job_id: int | None = None,
    ) -> int:  # fmt: skip
        if role not in ROLES:
            raise ValueError(role)
        cur = await self._db.conn.execute(
            "INSERT INTO web_chat_log (chat_id, role, text, picture, job_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (chat_id, role, text, picture, job_id, time.time()),
        )
        await self._db.conn.execute(  # along web_chat_log_chat (chat_id, id)
            "DELETE FROM web_chat_log WHERE chat_id = ? AND id <= (SELECT id FROM web_chat_log "
            "WHERE chat_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (chat_id, chat_id, KEEP),
        )
        await self._db.conn.commit()
        return int(cur.lastrowid or 0)

    async def recent(self, chat_id: int, limit: int = LIMIT) -> list[LogEntry]:
        """The newest `limit` entries, oldest first."""
        async with self._db.conn.execute(
            "SELECT id, role, text, picture, job_id, created_at FROM web_chat_log "
            "WHERE chat_id = ? ORDER BY id DESC LIMIT ?",
            (chat_id, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [LogEntry(r["id"], r["role"], r["text"], r["picture"], r["job_id"],
                         r["created_at"]) for r in reversed(rows)]  # fmt: skip
