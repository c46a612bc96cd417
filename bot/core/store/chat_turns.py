"""Chat answers as the 服务商 page measures them: one row per turn (who answered, the time to
the first text, whether the answer came through), and their figures per provider and model.

Rules: one insert per turn, after the answer ended (never before the first text is shown); a
turn no text came for has no first-token time; percentiles are exact (nearest rank). A period
of up to READ_LIMIT turns (a day) is read by time and sorted here; a longer one (a month) is
never loaded: its percentiles are read by walking an index in first-token order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.core.store.db import Database

READ_LIMIT = 20_000  # turns read into memory at most (a day of a busy bot: ~7,000)


@dataclass
class ChatFigures:
    """One provider and model's chat answers in a period."""

    provider: str
    model: str
    turns: int
    ok: int
    p50_ms: int | None  # time to first token of the turns that got one
    p95_ms: int | None

    @property
    def success_rate(self) -> float | None:
        return self.ok / self.turns if self.turns else None


class ChatTurns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, at: float, provider: str, model: str, first_token_ms: int | None,
                     ok: bool) -> None:  # fmt: skip
        await self._db.conn.execute(
            "INSERT INTO chat_turns (at, provider, model, first_token_ms, ok) "
            "VALUES (?, ?, ?, ?, ?)",
            (at, provider, model, first_token_ms, int(ok)),
        )
        await self._db.conn.commit()

    async def figures(self, since: float) -> list[ChatFigures]:
        """Turns since `since` per provider and model, with p50 and p95 time to first token."""
        conn = self._db.conn
        async with conn.execute(  # counted in the index, up to one past the limit
            "SELECT COUNT(*) FROM (SELECT 1 FROM chat_turns WHERE at >= ? LIMIT ?)",
            (since, READ_LIMIT + 1),
        ) as cur:
            row = await cur.fetchone()
        if row is None or int(row[0]) > READ_LIMIT:
            return await self._walked(since)
        async with conn.execute(
            "SELECT provider, model, first_token_ms, ok FROM chat_turns WHERE at >= ?", (since,)
        ) as cur:
            rows = await cur.fetchall()
        groups: dict[tuple[str, str], list[tuple[int | None, int]]] = {}
        for row in rows:
            groups.setdefault((row["provider"], row["model"]), []).append(
                (row["first_token_ms"], int(row["ok"])))
        found = []
        for (provider, model), turns in sorted(groups.items()):
            times = sorted(t for t, _ in turns if t is not None)
            found.append(ChatFigures(
                provider, model, len(turns), sum(ok for _, ok in turns),
                times[_rank(0.50, len(times))] if times else None,
                times[_rank(0.95, len(times))] if times else None,
            ))  # fmt: skip
        return found

    async def _walked(self, since: float) -> list[ChatFigures]:
        conn = self._db.conn
        async with conn.execute(
            "SELECT provider, model, COUNT(*) AS turns, SUM(ok) AS ok, "
            "COUNT(first_token_ms) AS timed FROM chat_turns WHERE at >= ? "
            "GROUP BY provider, model ORDER BY provider, model",
            (since,),
        ) as cur:
            rows = await cur.fetchall()
        found = []
        for row in rows:
            provider, model, timed = row["provider"], row["model"], int(row["timed"])
            p50 = await self._nth(provider, model, since, _rank(0.50, timed), timed)
            p95 = await self._nth(provider, model, since, _rank(0.95, timed), timed)
            found.append(ChatFigures(provider, model, int(row["turns"]), int(row["ok"] or 0),
                                     p50, p95))  # fmt: skip
        return found

    async def _nth(self, provider: str, model: str, since: float, rank: int, count: int
                   ) -> int | None:  # fmt: skip
        """The `rank`-th smallest of `count` first-token times, walked in the index from the
        nearer end (p95 from the top: 5 % of the entries instead of 95 %)."""
        if not count:
            return None
        order, offset = ("ASC", rank) if rank < count / 2 else ("DESC", count - 1 - rank)
        async with self._db.conn.execute(
            "SELECT first_token_ms FROM chat_turns WHERE provider = ? AND model = ? "
            "AND first_token_ms IS NOT NULL AND at >= ? "
            f"ORDER BY first_token_ms {order} LIMIT 1 OFFSET ?",
            (provider, model, since, offset),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None


def _rank(share: float, count: int) -> int:
    """The 0-based offset of the nearest-rank percentile `share` among `count` values."""
    return max(math.ceil(share * count) - 1, 0)
