"""概览: today's and this month's usage per platform, jobs now, today's failures by reason,
and the last 30 days as a chart."""

from __future__ import annotations

from aiohttp import web

from bot import texts
from bot.console import charts, queries
from bot.console.render import CONSOLE, render

RUNNING = ("submitting", "submitted", "downloading")
NOW_STATES = ("created", *RUNNING, "delivering")
CHART_DAYS = 30


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", overview)


async def overview(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    db, access = console.services.db, console.access
    today = access.today()
    day_table = await queries.usage_since(db, today, today)
    month_table = await queries.usage_since(db, queries.month_start(today), today)
    states = await queries.jobs_by_state(db, NOW_STATES)
    stats = await access.stats()  # the same failures by reason as /stats
    failures = {texts.FAILURE_NAMES.get(reason, reason): n
                for reason, n in stats.failures_by_reason.items()}  # fmt: skip
    days = queries.last_days(today, CHART_DAYS)
    series = await queries.daily_usage(db, days)
    names = {**texts.QUOTA_KIND_NAMES}
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
    )  # fmt: skip
