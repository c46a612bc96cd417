"""Access list, per-user quota overrides and the usage log (no Telegram types here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.store.db import Database

# A job that ended like this produced nothing for the user: it does not count against a
# quota nor towards the spend estimate (the provider refunds failed tasks; an interrupted
# submit is unknown and is offered as a free retry).
UNCOUNTED_JOB_STATES = ("failed", "interrupted")
_COUNTED = (
    "(u.job_id IS NULL OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = u.job_id "
    "AND j.state IN ('failed', 'interrupted')))"
)
COUNTED = _COUNTED  # usage rows that count (alias `u`): the console counts like /stats


@dataclass
class UsageRecord:
    user_id: int
    chat_id: int | None
    capability: str  # chat | image | video | character
    provider: str
    model: str | None = None
    unit_price: float | None = None  # the provider's documented price per item, else None
    price_unit: str | None = None
    job_id: int | None = None


UNDELIVERABLE_SHOWN = 20  # parked jobs listed in /stats (the newest)


@dataclass
class DayStats:
    day: str
    users_today: int = 0
    users_ever: int = 0
    allowed_ids: int = 0
    by_capability: dict[str, int] = field(default_factory=dict)
    jobs_by_state: dict[str, int] = field(default_factory=dict)
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    spend: dict[str, float] = field(default_factory=dict)  # price unit -> sum
    unpriced: int = 0  # counted items without a documented price
    # Results made but parked as undeliverable (files kept; /resend), newest first, any day
    undeliverable: list[int] = field(default_factory=list)


class AccessList:
    """Users (>0) and groups (<0) explicitly allowed (True) or denied (False) by an admin."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> dict[int, bool]:
        async with self._db.conn.execute("SELECT id, allowed FROM access_list") as cur:
            rows = await cur.fetchall()
        return {int(row["id"]): bool(row["allowed"]) for row in rows}

    async def set(self, target_id: int, allowed: bool, changed_by: int | None) -> None:
        await self._db.conn.execute(
            "INSERT INTO access_list (id, allowed, changed_by) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET allowed = excluded.allowed, "
            "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            (target_id, int(allowed), changed_by),
        )
        await self._db.conn.commit()


class RuntimeSettings:
    """Settings changed while the bot runs (name → text value); absent: the .env value."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> dict[str, str]:
        async with self._db.conn.execute("SELECT name, value FROM runtime_settings") as cur:
            return {str(row["name"]): str(row["value"]) for row in await cur.fetchall()}

    async def set(self, name: str, value: str | None, changed_by: int | None) -> None:
        """Store `value` for `name`, or forget it (None: back to the .env value)."""
        if value is None:
            await self._db.conn.execute("DELETE FROM runtime_settings WHERE name = ?", (name,))
        else:
            await self._db.conn.execute(
                "INSERT INTO runtime_settings (name, value, changed_by) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                (name, value, changed_by),
            )
        await self._db.conn.commit()


class QuotaOverrides:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, user_id: int) -> dict[str, int]:
        async with self._db.conn.execute(
            "SELECT kind, value FROM quota_overrides WHERE user_id = ?", (user_id,)
        ) as cur:
            rows = await cur.fetchall()
        return {row["kind"]: int(row["value"]) for row in rows}

    async def of_many(self, user_ids: list[int]) -> dict[int, dict[str, int]]:
        """of() for several users with one read (the console's users page)."""
        found: dict[int, dict[str, int]] = {}
        if not user_ids:
            return found
        marks = ",".join("?" * len(user_ids))
        async with self._db.conn.execute(
            f"SELECT user_id, kind, value FROM quota_overrides WHERE user_id IN ({marks})",
            user_ids,
        ) as cur:
            for row in await cur.fetchall():
                found.setdefault(int(row["user_id"]), {})[row["kind"]] = int(row["value"])
        return found

    async def set(self, user_id: int, kind: str, value: int | None) -> None:
        """value None removes the override (the setting's default applies again)."""
        if value is None:
            await self._db.conn.execute(
                "DELETE FROM quota_overrides WHERE user_id = ? AND kind = ?", (user_id, kind)
            )
        else:
            await self._db.conn.execute(
                "INSERT OR REPLACE INTO quota_overrides (user_id, kind, value) VALUES (?, ?, ?)",
                (user_id, kind, value),
            )
        await self._db.conn.commit()


class UsageLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, day: str, item: UsageRecord) -> None:
        # OR IGNORE: a job is recorded once even if its creation path runs twice.
        await self._db.conn.execute(
            "INSERT OR IGNORE INTO usage (day, user_id, chat_id, capability, provider, model, "
            "unit_price, price_unit, job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                day, item.user_id, item.chat_id, item.capability, item.provider, item.model,
                item.unit_price, item.price_unit, item.job_id,
            ),
        )  # fmt: skip
        await self._db.conn.commit()

    async def counts(self, user_id: int, day: str) -> dict[str, int]:
        """Items per capability the user used on `day`, failed jobs left out."""
        async with self._db.conn.execute(
            f"SELECT capability, COUNT(*) AS n FROM usage u WHERE user_id = ? AND day = ? "
            f"AND {_COUNTED} GROUP BY capability",
            (user_id, day),
        ) as cur:
            rows = await cur.fetchall()
        return {row["capability"]: int(row["n"]) for row in rows}

    async def day_stats(self, day: str, day_start: float) -> DayStats:
        conn = self._db.conn
        stats = DayStats(day)
        async with conn.execute(
            "SELECT COUNT(DISTINCT user_id) FROM usage WHERE day = ?", (day,)
        ) as cur:
            row = await cur.fetchone()
            stats.users_today = int(row[0]) if row else 0
        async with conn.execute(
            "SELECT COUNT(*) FROM (SELECT user_id FROM usage UNION SELECT user_id FROM jobs)"
        ) as cur:
            row = await cur.fetchone()
            stats.users_ever = int(row[0]) if row else 0
        async with conn.execute("SELECT COUNT(*) FROM access_list WHERE allowed = 1") as cur:
            row = await cur.fetchone()
            stats.allowed_ids = int(row[0]) if row else 0
        async with conn.execute(
            f"SELECT capability, price_unit, COUNT(*) AS n, SUM(unit_price) AS spend, "
            f"SUM(unit_price IS NULL) AS unpriced FROM usage u WHERE day = ? AND {_COUNTED} "
            f"GROUP BY capability, price_unit",
            (day,),
        ) as cur:
            for row in await cur.fetchall():
                cap = row["capability"]
                stats.by_capability[cap] = stats.by_capability.get(cap, 0) + int(row["n"])
                if row["price_unit"] and row["spend"] is not None:
                    unit = row["price_unit"]
                    stats.spend[unit] = stats.spend.get(unit, 0.0) + float(row["spend"])
                stats.unpriced += int(row["unpriced"] or 0)
        async with conn.execute(
            "SELECT state, COUNT(*) AS n FROM jobs WHERE created_at >= ? GROUP BY state",
            (day_start,),
        ) as cur:
            stats.jobs_by_state = {row["state"]: int(row["n"]) for row in await cur.fetchall()}
        stats.failures_by_reason = await self.failures_since(day_start)
        async with conn.execute(
            "SELECT id FROM jobs WHERE state = 'failed' AND failure = 'undeliverable' "
            "ORDER BY id DESC LIMIT ?", (UNDELIVERABLE_SHOWN,),
        ) as cur:
            stats.undeliverable = [int(row[0]) for row in await cur.fetchall()]
        return stats

    async def failures_since(self, since: float) -> dict[str, int]:
        """Failed and interrupted jobs created since `since`, by reason (what /stats shows)."""
        async with self._db.conn.execute(
            "SELECT COALESCE(failure, 'internal') AS reason, COUNT(*) AS n FROM jobs "
            "WHERE created_at >= ? AND state IN ('failed', 'interrupted') GROUP BY reason",
            (since,),
        ) as cur:
            return {row["reason"]: int(row["n"]) for row in await cur.fetchall()}
