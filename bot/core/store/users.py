"""Per-user preferences (chat model, generation defaults)."""

from __future__ import annotations

import json
from typing import Any

from bot.core.store.db import Database


class UserPrefs:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def chat_model(self, user_id: int) -> str | None:
        async with self._db.conn.execute(
            "SELECT chat_model FROM users WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return row["chat_model"] if row else None

    async def set_chat_model(self, user_id: int, model: str) -> None:
        await self._db.conn.execute(
            "INSERT INTO users (user_id, chat_model) VALUES (?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET chat_model = excluded.chat_model, "
            "updated_at = ((julianday('now') - 2440587.5) * 86400.0)",
            (user_id, model),
        )
        await self._db.conn.commit()

    async def prefs(self, user_id: int) -> dict[str, Any]:
        async with self._db.conn.execute(
            "SELECT prefs_json FROM users WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return json.loads(row["prefs_json"]) if row else {}

    async def update_prefs(self, user_id: int, **changes: Any) -> dict[str, Any]:
        prefs = {**await self.prefs(user_id), **changes}
        await self._db.conn.execute(
            "INSERT INTO users (user_id, prefs_json) VALUES (?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET prefs_json = excluded.prefs_json, "
            "updated_at = ((julianday('now') - 2440587.5) * 86400.0)",
            (user_id, json.dumps(prefs, ensure_ascii=False)),
        )
        await self._db.conn.commit()
        return prefs
