"""The console's pages stay fast with a big database (bench/console_pages.py: 100,000 jobs,
5,000 users): what the overview and the users page ask SQLite never reads a whole jobs or usage
table, and the per-day usage counts (overview, 服务商) come from an index alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.console import queries
from bot.core.store.chat_turns import ChatTurns
from bot.core.store.db import Database

# A plan step that reads every row of a table ("SCAN usage", "SCAN u"), not an index.
TABLE_SCAN = re.compile(r"^SCAN (usage|jobs|u|j)$")


async def plans_of(db: Database, run: object) -> list[tuple[str, list[str]]]:
    """Every statement `run` (a coroutine) sent, with its query plan."""
    sent: list[str] = []
    await db.conn.set_trace_callback(sent.append)
    try:
        await run  # type: ignore[misc]
    finally:
        await db.conn.set_trace_callback(None)
    found = []
    for sql in sent:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        async with db.conn.execute("EXPLAIN QUERY PLAN " + sql) as cur:
            found.append((sql, [str(row[3]) for row in await cur.fetchall()]))
    assert found, "no query was traced"
    return found


async def test_users_page_queries_read_no_whole_table(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        await db.conn.execute(
            "INSERT INTO usage (day, user_id, chat_id, capability, provider) "
            "VALUES ('2026-01-02', 1001, -5, 'chat', 'grsai')"
        )
        await db.conn.commit()
        for sql, plan in await plans_of(db, queries.identities(db, "2026-01-02")):
            assert not [step for step in plan if TABLE_SCAN.match(step)], (sql, plan)
    finally:
        await db.close()


async def test_overview_counts_come_from_an_index(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        for sql, plan in await plans_of(db, queries.usage_by_day(db, "2026-01-01",
                                                                  "2026-01-30")):  # fmt: skip
            usage_steps = [step for step in plan
                           if re.match(r"^(SCAN|SEARCH) (u|usage)\b", step)]  # fmt: skip
            assert usage_steps, (sql, plan)
            assert all("COVERING INDEX" in step for step in usage_steps), (sql, plan)
    finally:
        await db.close()


@pytest.mark.parametrize("read_limit", [20_000, 0])  # a day's turns; a month's
async def test_chat_figures_come_from_an_index_without_sorting(
    tmp_path: Path, read_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """服务商's chat figures: counts and percentiles read chat_turns' indexes alone, a long
    period in index order (no temporary sort of a month of turns)."""
    monkeypatch.setattr("bot.core.store.chat_turns.READ_LIMIT", read_limit)
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        turns = ChatTurns(db)
        await turns.record(1000.0, "grsai", "m", 300, ok=True)
        for sql, plan in await plans_of(db, turns.figures(0.0)):
            steps = [step for step in plan if "chat_turns" in step]
            assert steps and all("COVERING INDEX" in step for step in steps), (sql, plan)
            assert not [step for step in plan if "TEMP B-TREE" in step], (sql, plan)
    finally:
        await db.close()


async def test_the_jobs_list_with_dates_reads_ranges_not_the_table(tmp_path: Path) -> None:
    """Every filter the 任务 page combines with a date range (and paging) reads an index or a
    range of ids, newest first, without sorting the jobs of the range."""
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        for n in range(40):
            await db.conn.execute(
                "INSERT INTO jobs (kind, state, provider, user_id, chat_id, request_json, "
                "created_at) VALUES ('image', ?, 'grsai', ?, ?, '{\"kind\": \"image\"}', ?)",
                ("done" if n % 2 else "failed", 1000 + n % 3, -5 if n % 4 else 1000 + n % 3,
                 1_700_000_000 + n * 3600),
            )
        await db.conn.commit()
        since, until = 1_700_000_000 + 5 * 3600, 1_700_000_000 + 30 * 3600
        for wanted in (
            queries.JobFilter(since=since, until=until),
            queries.JobFilter(since=since),
            queries.JobFilter(until=until, before=20),
            queries.JobFilter(since=since, until=until, state="failed"),
            queries.JobFilter(since=since, until=until, kind="image", platform="qq"),
            queries.JobFilter(since=since, until=until, user=1001),
            queries.JobFilter(since=since, until=until, user=-5, state="done", before=25),
        ):
            for sql, plan in await plans_of(db, queries.list_jobs(db, wanted)):
                assert not [step for step in plan if TABLE_SCAN.match(step)], (wanted, sql, plan)
                assert not [step for step in plan if "TEMP B-TREE" in step], (wanted, sql, plan)
    finally:
        await db.close()
