"""Durable generation jobs: every state change is committed before the next step is taken.

Rules: a job's state is changed here only (`create`, `update`, `claim_submit_again`), and each
change writes its row in job_transitions in the same commit (from, to, when, why, who), so the
console's history misses none; a retried write never records a change twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.core import texts
from bot.core.providers.base import GenerationRequest, ResultItem
from bot.core.store.db import Database

log = logging.getLogger(__name__)

# Life cycle (see docs/upstream/jobs.md):
# created → submitting → submitted → downloading → delivering → done
#                 └── (crash or ambiguous answer) interrupted          any state → failed
# `delivering` is left only by `done` or a chat that is gone: Telegram failures are retried.
ACTIVE_STATES = ("created", "submitting", "submitted", "downloading", "delivering")
TERMINAL_STATES = ("done", "failed", "interrupted")


@dataclass
class SavedFile:
    path: str
    size: int
    sha256: str
    mime: str
    width: int | None = None
    height: int | None = None
    url: str | None = None  # the upstream URL it came from (valid ~2 h)


@dataclass
class Job:
    id: int
    kind: str
    state: str
    provider: str
    task_id: str | None
    user_id: int
    chat_id: int
    thread_id: int | None
    reply_to_id: int | None
    status_message_id: int | None
    request: GenerationRequest
    progress: int = 0
    attempts: int = 0
    results: list[ResultItem] = field(default_factory=list)
    files: list[SavedFile] = field(default_factory=list)
    failure: str | None = None
    failure_detail: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    finished_at: float | None = None
    delivery_failures: int = 0  # transient delivery failures so far (bounded, then parked)
    # Submit retries after the provider could not be reached (nothing sent); shown in the
    # status, not stored: a restarted submit starts counting again.
    connect_retries: int = 0
    account_id: int | None = None  # the bot account that took the request (QQ: its self_id)
    # A result send timed out, outcome unknown: never sent again until known (or an admin
    # resends it); survives restarts
    maybe_sent_at: float | None = None
    # When a retry button or an operator launched the request again (claim_relaunch)
    relaunched_at: float | None = None

    @property
    def elapsed(self) -> float:
        return (self.finished_at or time.time()) - self.created_at


@dataclass
class Transition:
    """One state change of a job (job_transitions)."""

    job_id: int
    from_state: str | None  # None: the job was created
    to_state: str
    at: float
    reason: str | None = None  # a failure reason, or the operator's action
    actor: int | None = None  # the operator who did it; None: the bot


# Jobs whose submit may have reached the provider (an unclear answer, or a restart while
# submitting): never submitted again unless an operator or the user decides to, knowingly.
AMBIGUOUS_SUBMIT_FAILURES = ("submit_unclear", "interrupted")  # the runner's SUBMIT_UNCLEAR


def _transition(
    job_id: int, to_state: str, at: float, reason: str | None, actor: int | None
) -> tuple[str, tuple[Any, ...]]:
    """The statement that records a change to `to_state`, to run before the row changes: its
    `from` is the stored state, nothing is written when the state stays, and a write retried
    after a full disk (same `at`) is not recorded twice."""
    return (
        "INSERT INTO job_transitions (job_id, from_state, to_state, at, reason, actor) "
        "SELECT id, state, ?, ?, ?, ? FROM jobs WHERE id = ? AND state IS NOT ? "
        "AND NOT EXISTS (SELECT 1 FROM job_transitions WHERE job_id = ? AND at = ?)",
        (to_state, at, reason, actor, job_id, to_state, job_id, at),
    )


@dataclass
class ResultMessage:
    """A Telegram message that carries a job's result; found again from replies."""

    chat_id: int
    message_id: int
    job_id: int
    kind: str
    file_id: str | None
    path: str | None
    pid: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    part: str | None = None  # "photo" / "document" of one image file; None: the whole file


def _request_to_json(request: GenerationRequest) -> str:
    return json.dumps(
        {
            "kind": request.kind,
            "prompt": request.prompt,
            "params": request.params,
            "references": request.references,
        },
        ensure_ascii=False,
    )


def _row_to_job(row: aiosqlite.Row) -> Job:
    req = json.loads(row["request_json"])
    return Job(
        id=row["id"],
        kind=row["kind"],
        state=row["state"],
        provider=row["provider"],
        task_id=row["task_id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        reply_to_id=row["reply_to_id"],
        status_message_id=row["status_message_id"],
        request=GenerationRequest(
            kind=req["kind"],
            prompt=req.get("prompt", ""),
            params=req.get("params", {}),
            references=req.get("references", []),
        ),
        progress=row["progress"],
        attempts=row["attempts"],
        results=[ResultItem(**item) for item in json.loads(row["results_json"])],
        files=[SavedFile(**item) for item in json.loads(row["files_json"])],
        failure=row["failure"],
        failure_detail=row["failure_detail"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
        delivery_failures=row["delivery_failures"],
        account_id=row["account_id"],
        maybe_sent_at=row["maybe_sent_at"],
        relaunched_at=row["relaunched_at"],
    )


class JobStore:
    # A full disk (SQLITE_FULL) never loses a job's state: the write waits this long and is
    # tried again (the UPDATE is idempotent); `on_disk_full` (set by the chat side) tells the
    # admins. Without this a paid task id could be lost between the submit and its record.
    disk_full_retry: float = 30.0
    on_disk_full: Callable[[], None] | None = None

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        """For stores of job-related records (e.g. characters) that share the connection."""
        return self._db

    async def create(
        self,
        *,
        request: GenerationRequest,
        provider: str,
        user_id: int,
        chat_id: int,
        thread_id: int | None,
        reply_to_id: int | None,
        status_message_id: int | None = None,
        account_id: int | None = None,
    ) -> Job:
        cur = await self._db.conn.execute(
            "INSERT INTO jobs (kind, state, provider, user_id, chat_id, thread_id, reply_to_id, "
            "status_message_id, request_json, account_id) "
            "VALUES (?, 'created', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request.kind, provider, user_id, chat_id, thread_id, reply_to_id,
                status_message_id, _request_to_json(request), account_id,
            ),
        )  # fmt: skip
        job_id = int(cur.lastrowid or 0)
        await self._db.conn.execute(
            "INSERT INTO job_transitions (job_id, from_state, to_state, at) "
            "SELECT id, NULL, state, created_at FROM jobs WHERE id = ?",
            (job_id,),
        )
        await self._db.conn.commit()
        job = await self.get(job_id)
        assert job is not None
        return job

    async def get(self, job_id: int) -> Job | None:
        async with self._db.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        return _row_to_job(row) if row else None

    async def active(self) -> list[Job]:
        marks = ",".join("?" * len(ACTIVE_STATES))
        async with self._db.conn.execute(
            f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY id", ACTIVE_STATES
        ) as cur:
            rows = await cur.fetchall()
        return [_row_to_job(row) for row in rows]

    async def update(
        self, job: Job, *, actor: int | None = None, reason: str | None = None, **changes: Any
    ) -> Job:
        """Write the given fields (and keep `job` in step); committed before returning. A new
        state is recorded with its time, `reason` (default: the failure given) and `actor`
        (the operator who asked for it; None: the bot)."""
        now = time.time()
        statements: list[tuple[str, tuple[Any, ...]]] = []
        if "state" in changes:
            why = reason if reason is not None else changes.get("failure")
            statements.append(_transition(job.id, changes["state"], now, why, actor))
        columns: dict[str, Any] = {}
        for name, value in changes.items():
            setattr(job, name, value)
            if name == "results":
                columns["results_json"] = json.dumps(
                    [item.__dict__ for item in value], ensure_ascii=False
                )
            elif name == "files":
                columns["files_json"] = json.dumps([f.__dict__ for f in value], ensure_ascii=False)
            elif name == "request":
                columns["request_json"] = _request_to_json(value)
            else:
                columns[name] = value
        if changes.get("state") in TERMINAL_STATES:
            job.finished_at = now
            columns["finished_at"] = job.finished_at
        job.updated_at = now
        columns["updated_at"] = job.updated_at
        assignments = ", ".join(f"{name} = ?" for name in columns)
        statements.append(
            (f"UPDATE jobs SET {assignments} WHERE id = ?", (*columns.values(), job.id))
        )
        if "provider" in changes:  # a fallback: usage is booked to the provider that serves it
            statements.append(
                ("UPDATE usage SET provider = ? WHERE job_id = ?", (changes["provider"], job.id))
            )
        await self._write_waiting_for_space(job.id, statements)
        return job

    async def _write_waiting_for_space(
        self, job_id: int, statements: list[tuple[str, tuple[Any, ...]]]
    ) -> None:
        while True:
            try:
                for sql, params in statements:
                    await self._db.conn.execute(sql, params)
                await self._db.conn.commit()
                return
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
                    raise
                log.warning(texts.LOG_JOB_DATABASE_FULL_STATE_WRITE, job_id)
                if self.on_disk_full is not None:
                    self.on_disk_full()
                await asyncio.sleep(self.disk_full_retry)

    async def claim_relaunch(self, job_id: int) -> bool:
        """Mark that the job's request is being launched again (a retry or "again" button):
        True for the one caller that set the mark, False when it was already set. Check and
        set are one statement, committed before returning, so neither a double tap nor a
        restart can launch it twice."""
        cur = await self._db.conn.execute(
            "UPDATE jobs SET relaunched_at = ? WHERE id = ? AND relaunched_at IS NULL",
            (time.time(), job_id),
        )
        await self._db.conn.commit()
        return cur.rowcount == 1

    async def claim_submit_again(self, job_id: int, actor: int) -> Job | None:
        """An operator submits a job whose submit may have reached the provider again,
        knowingly (it may be paid twice): the job, back in `created` for the runner, for the
        one caller whose statement changed it; None for every other caller and job. Check and
        change are one UPDATE that also takes the relaunch mark (`claim_relaunch`), so two
        operators, a double click, or the user's own 重新生成 button, launch it once between
        them, ever."""
        now = time.time()
        marks = ",".join("?" * len(AMBIGUOUS_SUBMIT_FAILURES))
        async with self._db.conn.execute(
            "UPDATE jobs SET state = 'created', failure = NULL, failure_detail = NULL, "
            "task_id = NULL, progress = 0, finished_at = NULL, updated_at = ?, "
            "relaunched_at = ? WHERE id = ? AND state = 'interrupted' "
            f"AND failure IN ({marks}) AND relaunched_at IS NULL RETURNING *",
            (now, now, job_id, *AMBIGUOUS_SUBMIT_FAILURES),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            await self._db.conn.commit()
            return None
        await self._db.conn.execute(
            "INSERT INTO job_transitions (job_id, from_state, to_state, at, reason, actor) "
            "VALUES (?, 'interrupted', 'created', ?, 'submit_again', ?)",
            (job_id, now, actor),
        )
        await self._db.conn.commit()
        return _row_to_job(row)

    async def transitions(self, job_id: int, limit: int = 200) -> list[Transition]:
        """The job's state changes, oldest first."""
        async with self._db.conn.execute(
            "SELECT job_id, from_state, to_state, at, reason, actor FROM job_transitions "
            "WHERE job_id = ? ORDER BY at, id LIMIT ?",
            (job_id, limit),
        ) as cur:
            return [Transition(**dict(row)) for row in await cur.fetchall()]

    async def release_relaunch(self, job_id: int) -> None:
        """Undo `claim_relaunch` when nothing was spent (the quota refused, no job row)."""
        await self._db.conn.execute("UPDATE jobs SET relaunched_at = NULL WHERE id = ?", (job_id,))
        await self._db.conn.commit()

    async def count_active_for_user(self, user_id: int) -> int:
        """Jobs that hold one of the user's concurrent generations: a job whose result is
        downloaded (`delivering`, waiting for the chat platform) holds none."""
        generating = [state for state in ACTIVE_STATES if state != "delivering"]
        marks = ",".join("?" * len(generating))
        async with self._db.conn.execute(
            f"SELECT COUNT(*) FROM jobs WHERE user_id = ? AND state IN ({marks})",
            (user_id, *generating),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # -- result messages ---------------------------------------------------------------------

    async def add_result_message(self, message: ResultMessage) -> None:
        await self._db.conn.execute(
            "INSERT OR REPLACE INTO result_messages (chat_id, message_id, job_id, kind, file_id, "
            "path, pid, width, height, duration, part) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.chat_id, message.message_id, message.job_id, message.kind,
                message.file_id, message.path, message.pid, message.width, message.height,
                message.duration, message.part,
            ),
        )  # fmt: skip
        await self._db.conn.commit()

    async def result_message(self, chat_id: int, message_id: int) -> ResultMessage | None:
        async with self._db.conn.execute(
            "SELECT * FROM result_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        ) as cur:
            row = await cur.fetchone()
        return ResultMessage(**dict(row)) if row else None

    async def result_messages_of(self, job_id: int) -> list[ResultMessage]:
        async with self._db.conn.execute(
            "SELECT * FROM result_messages WHERE job_id = ? ORDER BY message_id", (job_id,)
        ) as cur:
            rows = await cur.fetchall()
        return [ResultMessage(**dict(row)) for row in rows]
