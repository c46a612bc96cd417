"""概览: today's and this month's usage per platform, jobs now, today's failures by reason,
and the last 30 days as charts: usage per day, and failures per provider split by reason."""

from __future__ import annotations

import time

from aiohttp import web

from bot.console import charts, queries
from bot.console.render import CONSOLE, render
from bot.core import texts

RUNNING = ("submitting", "submitted", "downloading")
NOW_STATES = ("created", *RUNNING, "delivering")
CHART_DAYS = 30


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", overview)


async def overview(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    db, access = console.services.db, console.access
    today = access.today()
    days = queries.last_days(today, CHART_DAYS)
    month = queries.month_start(today)
    by_day = await queries.usage_by_day(db, min(month, days[0]), today)
    day_table = by_day.get(today, queries.UsageTable())
    month_table = queries.merged([t for day, t in by_day.items() if day >= month])
    series = {day: _per_capability(by_day.get(day)) for day in days}
    states = await queries.jobs_by_state(db, NOW_STATES)
    # The same failures by reason as /stats, without the rest of its figures (users ever
    # seen reads every usage row and job: too slow for a page with 100,000 jobs).
    by_reason = await access.usage.failures_since(access.day_start())
    failures = {texts.FAILURE_NAMES.get(reason, reason): n
                for reason, n in by_reason.items()}  # fmt: skip
    names = {**texts.QUOTA_KIND_NAMES}
    month_ago = access.day_start(time.time() - (CHART_DAYS - 1) * 86400)
    by_provider = await queries.failures_by_provider(db, month_ago)
    return render(
        request, "overview.html", nav="overview", today=today,
        periods=[(texts.CONSOLE_UI["today"], day_table),
                 (texts.CONSOLE_UI["this_month"], month_table)],
        platforms=queries.PLATFORMS, capabilities=queries.CAPABILITIES,
        running=sum(states.get(s, 0) for s in RUNNING), queued=states.get("created", 0),
        delivering=states.get("delivering", 0),
        failed_today=await queries.failed_since(db, access.day_start()),
        failures=charts.horizontal(failures),
        chart=charts.stacked_days(series, names),
        failure_chart=charts.stacked_rows(by_provider, texts.PROVIDER_NAMES,
                                          texts.FAILURE_NAMES),
    )  # fmt: skip


def _per_capability(table: queries.UsageTable | None) -> dict[str, int]:
    """One day's counts over every platform, per capability (the chart's bars)."""
    counts: dict[str, int] = {}
    for per_platform in table.counts.values() if table else ():
        for capability, n in per_platform.items():
            counts[capability] = counts.get(capability, 0) + n
    return counts
