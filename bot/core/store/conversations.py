"""Chat memory: bounded per conversation, oldest turns dropped first."""

from __future__ import annotations

import json
from typing import Any

from bot.core.store.db import Database


class Conversations:
    """Keeps at most `max_messages` messages and `max_chars` characters of text per conversation."""

    def __init__(self, db: Database, max_messages: int, max_chars: int) -> None:
        self._db = db
        self.max_messages = max_messages
        self.max_chars = max_chars

    async def history(self, conv_key: str) -> list[dict[str, Any]]:
        """The remembered messages, oldest first, already within the bounds."""
        async with self._db.conn.execute(
            "SELECT role, content, chars FROM chat_messages WHERE conv_key = ? "
            "ORDER BY id DESC LIMIT ?",
            (conv_key, self.max_messages),
        ) as cur:
            rows = await cur.fetchall()
        kept: list[dict[str, Any]] = []
        total = 0
        for row in rows:  # newest first
            total += row["chars"]
            if total > self.max_chars and kept:
                break
            kept.append({"role": row["role"], "content": json.loads(row["content"])})
        kept.reverse()
        # A history must not start with an orphan assistant answer.
        while kept and kept[0]["role"] != "user":
            kept.pop(0)
        return kept

    async def append_turn(
        self, conv_key: str, user_content: Any, user_chars: int, answer: str
    ) -> None:
        """Store one question and its answer together, then trim the oldest beyond the bound."""
        conn = self._db.conn
        await conn.executemany(
            "INSERT INTO chat_messages (conv_key, role, content, chars) VALUES (?, ?, ?, ?)",
            [
                (conv_key, "user", json.dumps(user_content, ensure_ascii=False), user_chars),
                (conv_key, "assistant", json.dumps(answer, ensure_ascii=False), len(answer)),
            ],
        )
        await conn.execute(
            "DELETE FROM chat_messages WHERE conv_key = ? AND id NOT IN "
            "(SELECT id FROM chat_messages WHERE conv_key = ? ORDER BY id DESC LIMIT ?)",
            (conv_key, conv_key, self.max_messages),
        )
        await conn.commit()

    async def clear(self, conv_key: str) -> int:
        cur = await self._db.conn.execute(
            "DELETE FROM chat_messages WHERE conv_key = ?", (conv_key,)
        )
        await self._db.conn.commit()
        return cur.rowcount
