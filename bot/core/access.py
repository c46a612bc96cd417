"""Who may use the bot and how much: the allow list, daily quotas, usage and prices.

Pure domain code (no Telegram types). Rules:
- closed by default: admins, BOT_ALLOWED_IDS and ids allowed with /allow may use the bot;
  BOT_PUBLIC=true opens it to everyone. An operator can open or close the bot while it runs
  (the console's 设置): stored in SQLite, that wins over BOT_PUBLIC until reset. A /deny wins
  over everything except being an admin.
- quotas count per user and per day in QUOTA_TIMEZONE; admins have none. A job counts from
  the moment it is created and stops counting if it fails (see UNCOUNTED_JOB_STATES).
- the daily quota everyone has is QUOTA_*_PER_DAY, or what an operator set while running (the
  console's 设置: stored in SQLite, wins over .env until reset, read by the next request); a
  user's own limit (/quota) wins over both.
- checking and reserving room is one step per user (`reserve`, under that user's lock): a
  request in flight (a chat turn being answered, a job being created) holds a Reservation
  that counts like a used item until the usage row exists or the request gave up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.config import Settings
from bot.core.store.db import Database
from bot.core.store.jobs import Job, JobStore
from bot.core.store.usage import (
    AccessList,
    DayStats,
    QuotaOverrides,
    RuntimeSettings,
    UsageLog,
    UsageRecord,
)

PUBLIC_SETTING = "bot_public"  # its name in the runtime_settings table
# Quota kinds an admin can set with /quota: daily counts plus concurrent jobs.
DAILY_KINDS = ("chat", "image", "video")
QUOTA_KINDS = (*DAILY_KINDS, "jobs")
# The .env setting of each daily quota; its lowercase form names the value stored while running.
DAILY_QUOTA_SETTINGS = {"chat": "QUOTA_CHAT_PER_DAY", "image": "QUOTA_IMAGES_PER_DAY",
                        "video": "QUOTA_VIDEOS_PER_DAY"}  # fmt: skip
MAX_DAILY_QUOTA = 1_000_000
# Which daily quota a job kind uses (character creation has no daily limit of its own).
JOB_KIND_QUOTA = {"image": "image", "video": "video"}


@dataclass(frozen=True)
class Price:
    amount: float
    unit: str  # the provider's own unit, e.g. "grsai" (its price list) or "reshi" (credits)


# Only prices the providers' docs state (docs/upstream/upstream-apis.md); images are unpriced.
PRICES: dict[tuple[str, str, str | None], Price] = {
    ("grsai", "video", None): Price(0.08, "grsai"),
    ("grsai", "character", None): Price(0.01, "grsai"),
    ("reshi", "video", "sora-2"): Price(15, "reshi"),
    ("reshi", "video", "sora-2-pro"): Price(150, "reshi"),
}


def price_of(provider: str, capability: str, model: str | None) -> Price | None:
    return PRICES.get((provider, capability, model)) or PRICES.get((provider, capability, None))


@dataclass(frozen=True)
class QuotaExceeded:
    kind: str  # one of QUOTA_KINDS
    used: int
    limit: int


@dataclass(frozen=True)
class Reservation:
    """Room held for one request in flight; counts against `kinds` until released."""

    user_id: int
    kinds: tuple[str, ...]
    expires: float  # a leak guard only: every path that reserves also releases
    number: int = field(default=0)


# A reservation nobody released (the request crashed before recording) stops counting after
# this long; requests themselves release far sooner.
RESERVATION_TTL = 15 * 60
_numbers = itertools.count(1)


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone(dt.timedelta(hours=8))  # China has no DST: a fixed offset is exact


def job_quota_kinds(job_kind: str) -> tuple[str, ...]:
    daily = JOB_KIND_QUOTA.get(job_kind)
    return ("jobs", daily) if daily else ("jobs",)


class AccessControl:
    def __init__(self, settings: Settings, db: Database, jobs: JobStore) -> None:
        self.settings = settings
        self.jobs = jobs
        self.access_list = AccessList(db)
        self.overrides = QuotaOverrides(db)
        self.usage = UsageLog(db)
        self.runtime = RuntimeSettings(db)
        self.admins = frozenset(settings.bot_admin_ids)
        self._tz = _zone(settings.quota_timezone)
        self._listed: dict[int, bool] = {}  # cache of access_list: read on every update
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._held: defaultdict[int, set[Reservation]] = defaultdict(set)
        self._public: bool | None = None  # set while running; None: BOT_PUBLIC decides
        self._daily: dict[str, int] = {}  # daily quotas set while running (kind → value)

    async def load(self) -> None:
        self._listed = await self.access_list.all()
        stored = await self.runtime.all()
        public = stored.get(PUBLIC_SETTING)
        self._public = None if public is None else public == "1"
        self._daily = {}
        for kind, setting in DAILY_QUOTA_SETTINGS.items():
            raw = stored.get(setting.lower(), "")
            if raw.isdecimal():
                self._daily[kind] = int(raw)

    @property
    def public(self) -> bool:
        """Whether everyone may use the bot (within the quotas) right now."""
        return self.settings.bot_public if self._public is None else self._public

    @property
    def public_changed(self) -> bool:
        """Whether an operator set open/closed while running (else BOT_PUBLIC holds)."""
        return self._public is not None

    async def set_public(self, public: bool | None, changed_by: int) -> None:
        """Open (True) or close (False) the bot to everyone; None: back to BOT_PUBLIC."""
        await self.runtime.set(PUBLIC_SETTING, None if public is None else str(int(public)),
                               changed_by)  # fmt: skip
        self._public = public

    # -- access ------------------------------------------------------------------------------

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admins

    def is_allowed(self, user_id: int, chat_id: int | None) -> bool:
        if self.is_admin(user_id):
            return True
        ids = [user_id] + ([chat_id] if chat_id is not None and chat_id != user_id else [])
        if any(self._listed.get(i) is False for i in ids):
            return False
        if self.public:
            return True
        configured = set(self.settings.bot_allowed_ids)
        return any(self._listed.get(i) is True or i in configured for i in ids)

    async def set_allowed(self, target_id: int, allowed: bool, changed_by: int) -> None:
        await self.access_list.set(target_id, allowed, changed_by)
        self._listed[target_id] = allowed

    # -- quotas ------------------------------------------------------------------------------

    def today(self, now: float | None = None) -> str:
        return dt.datetime.fromtimestamp(now or time.time(), self._tz).date().isoformat()

    def day_start(self, now: float | None = None) -> float:
        local = dt.datetime.fromtimestamp(now or time.time(), self._tz)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def env_limits(self) -> dict[str, int]:
        """Everyone's limits as the .env file sets them."""
        s = self.settings
        return {
            "chat": s.quota_chat_per_day,
            "image": s.quota_images_per_day,
            "video": s.quota_videos_per_day,
            "jobs": s.job_max_per_user,
        }

    def default_limits(self) -> dict[str, int]:
        """Everyone's limits in force: .env, or the daily quotas an operator set."""
        return {**self.env_limits(), **self._daily}

    def daily_quota_changed(self, kind: str) -> bool:
        return kind in self._daily

    async def set_daily_quota(self, kind: str, value: int | None, changed_by: int) -> None:
        """Everyone's daily `kind` quota from the next request on; None: back to .env."""
        if kind not in DAILY_QUOTA_SETTINGS or (value is not None and not (
                0 <= value <= MAX_DAILY_QUOTA)):  # fmt: skip
            raise ValueError(kind)
        setting = DAILY_QUOTA_SETTINGS[kind].lower()
        await self.runtime.set(setting, None if value is None else str(value), changed_by)
        if value is None:
            self._daily.pop(kind, None)
        else:
            self._daily[kind] = value

    async def limits(self, user_id: int) -> dict[str, int | None]:
        """The user's limits; None = unlimited (admins)."""
        if self.is_admin(user_id):
            return dict.fromkeys(QUOTA_KINDS)
        return self.limits_with(user_id, await self.overrides.of(user_id))

    def limits_with(self, user_id: int, overrides: dict[str, int]) -> dict[str, int | None]:
        """limits() from overrides already read (the console reads a page's at once)."""
        if self.is_admin(user_id):
            return dict.fromkeys(QUOTA_KINDS)
        return {**self.default_limits(), **overrides}

    async def used_today(self, user_id: int) -> dict[str, int]:
        counts = await self.usage.counts(user_id, self.today())
        used = {kind: counts.get(kind, 0) for kind in DAILY_KINDS}
        used["jobs"] = await self.jobs.count_active_for_user(user_id)
        return used

    async def check(self, user_id: int, kinds: tuple[str, ...]) -> QuotaExceeded | None:
        """The first of `kinds` the user has no room left in (requests in flight count), or
        None. Only a look: `reserve` is what requests that spend use."""
        limits = await self.limits(user_id)
        if all(limits.get(kind) is None for kind in kinds):
            return None
        used = await self.used_today(user_id)
        for kind in kinds:
            limit = limits.get(kind)
            count = used.get(kind, 0) + self._in_flight(user_id, kind)
            if limit is not None and count >= limit:
                return QuotaExceeded(kind, count, limit)
        return None

    async def reserve(
        self, user_id: int, kinds: tuple[str, ...]
    ) -> QuotaExceeded | Reservation | None:
        """Check and hold room in `kinds` in one step: QuotaExceeded, a Reservation to
        release later, or None when the user has no limits (nothing to hold)."""
        async with self._locks[user_id]:  # no other request of this user checks meanwhile
            exceeded = await self.check(user_id, kinds)
            if exceeded is not None:
                return exceeded
            if all(limit is None for limit in (await self.limits(user_id)).values()):
                return None
            held = Reservation(user_id, kinds, time.monotonic() + RESERVATION_TTL, next(_numbers))
            self._held[user_id].add(held)
            return held

    def release(self, reservation: Reservation | None) -> None:
        """The request recorded its usage or gave up; releasing twice is harmless."""
        if reservation is None:
            return
        held = self._held.get(reservation.user_id)
        if held is not None:
            held.discard(reservation)
            if not held:
                self._held.pop(reservation.user_id, None)

    def _in_flight(self, user_id: int, kind: str) -> int:
        held = self._held.get(user_id)
        if not held:
            return 0
        now = time.monotonic()
        for stale in [r for r in held if r.expires < now]:
            held.discard(stale)
        return sum(1 for r in held if kind in r.kinds)

    async def check_chat(self, user_id: int) -> QuotaExceeded | None:
        return await self.check(user_id, ("chat",))

    async def check_job(self, user_id: int, job_kind: str) -> QuotaExceeded | None:
        return await self.check(user_id, job_quota_kinds(job_kind))

    async def reserve_chat(self, user_id: int) -> QuotaExceeded | Reservation | None:
        return await self.reserve(user_id, ("chat",))

    async def reserve_job(self, user_id: int, job_kind: str) -> QuotaExceeded | Reservation | None:
        return await self.reserve(user_id, job_quota_kinds(job_kind))

    async def set_quota(self, user_id: int, kind: str, value: int | None) -> None:
        await self.overrides.set(user_id, kind, value)

    # -- usage -------------------------------------------------------------------------------

    async def record_chat(self, user_id: int, chat_id: int, provider: str, model: str) -> None:
        await self._record(UsageRecord(user_id, chat_id, "chat", provider, model))

    async def record_job(self, job: Job) -> None:
        model = job.request.params.get("model")
        await self._record(
            UsageRecord(job.user_id, job.chat_id, job.kind, job.provider,
                        str(model) if model else None, job_id=job.id)
        )  # fmt: skip

    async def _record(self, item: UsageRecord) -> None:
        price = price_of(item.provider, item.capability, item.model)
        if price is not None:
            item.unit_price, item.price_unit = price.amount, price.unit
        await self.usage.record(self.today(), item)

    async def stats(self) -> DayStats:
        stats = await self.usage.day_stats(self.today(), self.day_start())
        stats.allowed_ids += len(set(self.settings.bot_allowed_ids) - set(self._listed))
        return stats


class Cooldown:
    """At most one request per `seconds` per key (user in a group); one notice per window."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[tuple[int, int], float] = {}
        self._noticed: set[tuple[int, int]] = set()

    def hit(self, key: tuple[int, int], now: float | None = None) -> tuple[bool, bool]:
        """(accepted, tell_the_user): a refused hit asks for a notice only the first time."""
        if self.seconds <= 0:
            return True, False
        now = time.monotonic() if now is None else now
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            first_refusal = key not in self._noticed
            self._noticed.add(key)
            return False, first_refusal
        self._last[key] = now
        self._noticed.discard(key)
        if len(self._last) > 10_000:  # bound the memory: forget windows long over
            self._last = {k: t for k, t in self._last.items() if now - t < self.seconds}
        return True, False
