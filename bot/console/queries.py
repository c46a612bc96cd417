"""What the console's pages read from SQLite: every list is LIMITed and pages by id.

Usage counts like /stats and the quotas do (failed jobs left out: bot/core/store/usage.py COUNTED);
a platform is told from the id's range (bot/core/identity.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.core import identity
from bot.core.store.db import Database
from bot.core.store.jobs import Job, _row_to_job
from bot.core.store.usage import COUNTED

PLATFORMS = ("telegram", "qq")
CAPABILITIES = ("chat", "image", "video")
# SQL for "which platform is this id on" (QQ ids live at and above 2**56 in absolute value).
_PLATFORM_OF = f"(CASE WHEN abs({{col}}) >= {identity.QQ_BASE} THEN 'qq' ELSE 'telegram' END)"


def platform_sql(column: str) -> str:
    return _PLATFORM_OF.format(col=column)


@dataclass
class UsageTable:
    """counts[platform][capability] for one period."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def get(self, platform: str, capability: str) -> int:
        return self.counts.get(platform, {}).get(capability, 0)

    def total(self, capability: str) -> int:
        return sum(self.get(p, capability) for p in PLATFORMS)


async def usage_by_day(db: Database, first_day: str, last_day: str) -> dict[str, UsageTable]:
    """day → its counts per platform and capability, for every day in the range that has any:
    one read of the per-day index (migration 11) gives the overview's today, this month and
    its 30-day chart. QQ rows are summed rather than grouped on: grouping on the platform
    would sort every row instead of following the index."""
    tables: dict[str, UsageTable] = {}
    async with db.conn.execute(
        f"SELECT day, capability, COUNT(*) AS n, SUM({platform_sql('u.user_id')} = 'qq') AS qq "
        f"FROM usage u WHERE day >= ? AND day <= ? AND {COUNTED} GROUP BY day, capability",
        (first_day, last_day),
    ) as cur:
        for row in await cur.fetchall():
            table = tables.setdefault(row["day"], UsageTable())
            qq = int(row["qq"] or 0)
            table.counts.setdefault("qq", {})[row["capability"]] = qq
            table.counts.setdefault("telegram", {})[row["capability"]] = int(row["n"]) - qq
    return tables


def merged(tables: list[UsageTable]) -> UsageTable:
    """The sum of several days' counts."""
    total = UsageTable()
    for table in tables:
        for platform, counts in table.counts.items():
            into = total.counts.setdefault(platform, {})
            for capability, n in counts.items():
                into[capability] = into.get(capability, 0) + n
    return total


async def jobs_by_state(db: Database, states: tuple[str, ...]) -> dict[str, int]:
    marks = ",".join("?" * len(states))
    async with db.conn.execute(
        f"SELECT state, COUNT(*) AS n FROM jobs WHERE state IN ({marks}) GROUP BY state", states
    ) as cur:
        return {row["state"]: int(row["n"]) for row in await cur.fetchall()}


async def failed_since(db: Database, since: float) -> int:
    async with db.conn.execute(
        "SELECT COUNT(*) FROM jobs WHERE created_at >= ? AND state IN ('failed', 'interrupted')",
        (since,),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def failures_by_provider(db: Database, since: float) -> dict[str, dict[str, int]]:
    """provider → failure reason → failed and interrupted jobs created since `since` (the
    reasons /stats counts, over a longer period and split by provider)."""
    found: dict[str, dict[str, int]] = {}
    async with db.conn.execute(
        "SELECT provider, COALESCE(failure, 'internal') AS reason, COUNT(*) AS n FROM jobs "
        "WHERE state IN ('failed', 'interrupted') AND created_at >= ? GROUP BY provider, reason",
        (since,),
    ) as cur:
        for row in await cur.fetchall():
            found.setdefault(row["provider"], {})[row["reason"]] = int(row["n"])
    return found


@dataclass
class JobFilter:
    state: str = ""
    kind: str = ""
    platform: str = ""
    user: int | None = None
    before: int | None = None  # keyset paging: ids below this one (newest first)
    since: float | None = None  # created at or after (the start of the "from" day)
    until: float | None = None  # created before (the start of the day after "to")


async def list_jobs(db: Database, wanted: JobFilter, limit: int = 50) -> tuple[list[Job], bool]:
    """A page of jobs, newest first, and whether older ones follow."""
    id_range = await _ids_created_between(db, wanted.since, wanted.until)
    if id_range is None:
        return [], False
    where, args = _job_conditions(wanted, id_range)
    async with db.conn.execute(
        f"SELECT * FROM jobs {where} ORDER BY id DESC LIMIT ?", (*args, limit + 1)
    ) as cur:
        rows = await cur.fetchall()
    return [_row_to_job(row) for row in rows[:limit]], len(rows) > limit


async def _ids_created_between(
    db: Database, since: float | None, until: float | None
) -> tuple[int | None, int | None] | None:
    """The first and last job id created in [since, until) (None: that end is open), from two
    seeks in the jobs_created index; None when no job was created then. Ids grow with
    created_at, so the page then reads ids in a range, newest first, as without dates: no sort
    of every job in a month."""
    low = high = None
    if since is not None:
        low = await _first_id(db, "created_at >= ? ORDER BY created_at", since)
        if low is None:
            return None
    if until is not None:
        high = await _first_id(db, "created_at < ? ORDER BY created_at DESC", until)
        if high is None:
            return None
    if low is not None and high is not None and low > high:
        return None
    return low, high


async def _first_id(db: Database, condition_and_order: str, moment: float) -> int | None:
    async with db.conn.execute(
        f"SELECT id FROM jobs WHERE {condition_and_order} LIMIT 1", (moment,)
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else None


def _job_conditions(
    wanted: JobFilter, id_range: tuple[int | None, int | None] = (None, None)
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    low, high = id_range
    if low is not None:
        clauses.append("id >= ?")
        args.append(low)
    if high is not None:
        clauses.append("id <= ?")
        args.append(high)
    # The dates themselves too (a clock set back could put an id out of step), but as a
    # filter only (`+`: no index on created_at), so the id range leads.
    if wanted.since is not None:
        clauses.append("+created_at >= ?")
        args.append(wanted.since)
    if wanted.until is not None:
        clauses.append("+created_at < ?")
        args.append(wanted.until)
    if wanted.state:
        clauses.append("state = ?")
        args.append(wanted.state)
    if wanted.kind:
        clauses.append("kind = ?")
        args.append(wanted.kind)
    if wanted.platform in PLATFORMS:
        clauses.append(f"{platform_sql('chat_id')} = ?")
        args.append(wanted.platform)
    if wanted.user is not None:
        clauses.append("(user_id = ? OR chat_id = ?)")
        args += [wanted.user, wanted.user]
    if wanted.before is not None:
        clauses.append("id < ?")
        args.append(wanted.before)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


async def gallery_jobs(
    db: Database, kind: str, user: int | None, before: int | None, limit: int = 24
) -> tuple[list[Job], bool]:
    """Jobs with saved result files (images and videos), newest first."""
    clauses = ["files_json != '[]'", "kind IN ('image', 'video')"]
    args: list[object] = []
    if kind in ("image", "video"):
        clauses.append("kind = ?")
        args.append(kind)
    if user is not None:
        clauses.append("user_id = ?")
        args.append(user)
    if before is not None:
        clauses.append("id < ?")
        args.append(before)
    async with db.conn.execute(
        f"SELECT * FROM jobs WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?",
        (*args, limit + 1),
    ) as cur:
        rows = await cur.fetchall()
    return [_row_to_job(row) for row in rows[:limit]], len(rows) > limit


@dataclass
class Seen:
    ident: int
    last_at: float
    today: dict[str, int] = field(default_factory=dict)
    total: int = 0


async def identities(
    db: Database, today: str, only: int | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[Seen], bool]:
    """Every user and group the bot has seen (usage, jobs, access list, quota overrides),
    most recently active first, with today's and all-time usage."""
    # Each part is grouped on its own index (migration 11) so the union holds one row per
    # identity and part, not one per usage row and job.
    seen_sql = (
        "SELECT user_id AS id, MAX(created_at) AS at FROM usage GROUP BY user_id "
        "UNION ALL SELECT chat_id, MAX(created_at) FROM usage WHERE chat_id < 0 GROUP BY chat_id "
        "UNION ALL SELECT user_id, MAX(created_at) FROM jobs GROUP BY user_id "
        "UNION ALL SELECT chat_id, MAX(created_at) FROM jobs WHERE chat_id < 0 GROUP BY chat_id "
        "UNION ALL SELECT id, changed_at FROM access_list "
        "UNION ALL SELECT user_id, 0 FROM quota_overrides"
    )
    where, args = ("WHERE id = ?", [only]) if only is not None else ("", [])
    async with db.conn.execute(
        f"SELECT id, MAX(at) AS last_at FROM ({seen_sql}) {where} GROUP BY id "
        f"ORDER BY last_at DESC, id LIMIT ? OFFSET ?",
        (*args, limit + 1, offset),
    ) as cur:
        rows = await cur.fetchall()
    found = [Seen(int(row["id"]), float(row["last_at"] or 0)) for row in rows[:limit]]
    if only is not None and not found:
        found = [Seen(only, 0.0)]  # not seen yet: an admin may still allow or limit it
    by_id = {s.ident: s for s in found}
    if by_id:
        marks = ",".join("?" * len(by_id))
        ids = list(by_id)
        for column in ("user_id", "chat_id"):
            async with db.conn.execute(
                f"SELECT {column} AS id, SUM(day = ?) AS today_n, capability, COUNT(*) AS n "
                f"FROM usage u WHERE {column} IN ({marks}) AND {COUNTED} "
                f"{'AND chat_id < 0 ' if column == 'chat_id' else ''}"
                f"GROUP BY {column}, capability",
                (today, *ids),
            ) as cur:
                for row in await cur.fetchall():
                    entry = by_id[int(row["id"])]
                    entry.today[row["capability"]] = int(row["today_n"] or 0)
                    entry.total += int(row["n"])
    return found, len(rows) > limit


def month_start(day: str) -> str:
    return day[:8] + "01"


def last_days(today: str, count: int) -> list[str]:
    end = dt.date.fromisoformat(today)
    return [(end - dt.timedelta(days=n)).isoformat() for n in range(count - 1, -1, -1)]


@dataclass
class ProviderFigures:
    """One provider and model's finished jobs of one kind in a period."""

    provider: str
    kind: str
    model: str
    done: int
    failed: int
    avg_seconds: float | None  # created_at → finished_at of the done ones
    max_seconds: float | None

    @property
    def success_rate(self) -> float | None:
        finished = self.done + self.failed
        return self.done / finished if finished else None


async def provider_figures(db: Database, since: float) -> list[ProviderFigures]:
    """Images and videos created since `since`, per provider and model: jobs still running
    are left out (neither a success nor a failure yet). No state in WHERE: the planner would
    pick the jobs_state index over the created_at range."""
    async with db.conn.execute(
        "SELECT provider, kind, COALESCE(json_extract(request_json, '$.params.model'), '') "
        "AS model, SUM(state = 'done') AS done, "
        "SUM(state IN ('failed', 'interrupted')) AS failed, "
        "AVG(CASE WHEN state = 'done' THEN finished_at - created_at END) AS avg_s, "
        "MAX(CASE WHEN state = 'done' THEN finished_at - created_at END) AS max_s "
        "FROM jobs WHERE created_at >= ? AND kind IN ('image', 'video') "
        "GROUP BY provider, kind, model HAVING done + failed > 0 "
        "ORDER BY kind, provider, model",
        (since,),
    ) as cur:
        return [ProviderFigures(row["provider"], row["kind"], str(row["model"]),
                                int(row["done"]), int(row["failed"]), row["avg_s"],
                                row["max_s"]) for row in await cur.fetchall()]  # fmt: skip


@dataclass
class ProviderError:
    job_id: int
    kind: str
    provider: str
    failure: str
    detail: str  # stored already scrubbed of secrets (bot/core/jobs)
    at: float | None


async def provider_errors(db: Database, limit: int = 20) -> list[ProviderError]:
    """The newest failed jobs (the jobs_state index gives them newest first by id)."""
    async with db.conn.execute(
        "SELECT id, kind, provider, failure, failure_detail, finished_at FROM jobs "
        "WHERE state = 'failed' ORDER BY id DESC LIMIT ?",
        (limit,),
    ) as cur:
        return [ProviderError(int(row["id"]), row["kind"], row["provider"],
                              row["failure"] or "", row["failure_detail"] or "",
                              row["finished_at"]) for row in await cur.fetchall()]  # fmt: skip
