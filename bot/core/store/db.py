"""The SQLite database: one connection, schema created and migrated on start.

Rules: the connection is shared by every coroutine, so no store ever calls rollback() (it
would discard other coroutines' pending writes); a write that may conflict checks inside the
statement itself (ON CONFLICT / OR IGNORE / NOT EXISTS). Commits are synchronous=FULL. A
writing statement that returns rows (… RETURNING) is run and read in one step
(execute_fetchall): left unfinished across an await, it makes every other commit fail.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

# Each entry upgrades the schema by one version (PRAGMA user_version). Append, never edit.
MIGRATIONS: list[str] = [
    # 1: user preferences and chat memory
    """
    CREATE TABLE users (
        user_id     INTEGER PRIMARY KEY,
        chat_model  TEXT,
        prefs_json  TEXT NOT NULL DEFAULT '{}',
        updated_at  REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0))
    );
    CREATE TABLE chat_messages (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        conv_key    TEXT NOT NULL,
        role        TEXT NOT NULL,
        content     TEXT NOT NULL,
        chars       INTEGER NOT NULL,
        created_at  REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0))
    );
    CREATE INDEX chat_messages_conv ON chat_messages (conv_key, id);
    """,
    # 2: durable generation jobs and the Telegram messages that carry their results
    """
    CREATE TABLE jobs (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        kind                TEXT NOT NULL,
        state               TEXT NOT NULL,
        provider            TEXT NOT NULL,
        task_id             TEXT,
        user_id             INTEGER NOT NULL,
        chat_id             INTEGER NOT NULL,
        thread_id           INTEGER,
        reply_to_id         INTEGER,
        status_message_id   INTEGER,
        request_json        TEXT NOT NULL,
        progress            INTEGER NOT NULL DEFAULT 0,
        attempts            INTEGER NOT NULL DEFAULT 0,
        results_json        TEXT NOT NULL DEFAULT '[]',
        files_json          TEXT NOT NULL DEFAULT '[]',
        failure             TEXT,
        failure_detail      TEXT,
        created_at          REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0)),
        updated_at          REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0)),
        finished_at         REAL
    );
    CREATE INDEX jobs_state ON jobs (state);
    CREATE INDEX jobs_user ON jobs (user_id, created_at);
    CREATE TABLE result_messages (
        chat_id         INTEGER NOT NULL,
        message_id      INTEGER NOT NULL,
        job_id          INTEGER NOT NULL REFERENCES jobs (id),
        kind            TEXT NOT NULL,
        file_id         TEXT,
        path            TEXT,
        pid             TEXT,
        width           INTEGER,
        height          INTEGER,
        duration        INTEGER,
        PRIMARY KEY (chat_id, message_id)
    );
    """,
    # 3: Sora characters a user created, under a name they chose
    """
    CREATE TABLE characters (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id         INTEGER NOT NULL,
        character_id    TEXT NOT NULL,
        name            TEXT NOT NULL,
        source_job_id   INTEGER REFERENCES jobs (id),
        created_at      REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0)),
        UNIQUE (user_id, name)
    );
    CREATE INDEX characters_user ON characters (user_id, created_at);
    """,
    # 4: access list, per-user quota overrides, usage per user/day/capability/provider
    """
    CREATE TABLE access_list (
        id          INTEGER PRIMARY KEY,
        allowed     INTEGER NOT NULL,
        changed_by  INTEGER,
        changed_at  REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0))
    );
    CREATE TABLE quota_overrides (
        user_id     INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        value       INTEGER NOT NULL,
        PRIMARY KEY (user_id, kind)
    );
    CREATE TABLE usage (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        day         TEXT NOT NULL,
        user_id     INTEGER NOT NULL,
        chat_id     INTEGER,
        capability  TEXT NOT NULL,
        provider    TEXT NOT NULL,
        model       TEXT,
        unit_price  REAL,
        price_unit  TEXT,
        job_id      INTEGER,
        created_at  REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0))
    );
    CREATE INDEX usage_user_day ON usage (user_id, day, capability);
    CREATE INDEX usage_day ON usage (day);
    CREATE UNIQUE INDEX usage_job ON usage (job_id) WHERE job_id IS NOT NULL;
    """,
    # 5: failed delivery attempts of a job (shown in its status), and which part of a result
    # a message carries ("photo", "document"; NULL: the whole file), so a partly delivered
    # result resumes where it stopped
    """
    ALTER TABLE jobs ADD COLUMN delivery_failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE result_messages ADD COLUMN part TEXT;
    """,
    # 6: the lookups done per delivery and per reply to a result
    """
    CREATE INDEX IF NOT EXISTS result_messages_job ON result_messages (job_id, message_id);
    CREATE INDEX IF NOT EXISTS result_messages_pid ON result_messages (pid, message_id)
        WHERE pid IS NOT NULL;
    CREATE INDEX IF NOT EXISTS characters_source_job ON characters (source_job_id);
    """,
    # 7: when a button or answer (重新生成 / 再来一张) launched a job's request again: taken
    # once, in one statement, before anything is paid (bot/core/store/jobs.py claim_relaunch)
    """
    ALTER TABLE jobs ADD COLUMN relaunched_at REAL;
    """,
    # 8: the web console: operators' roles, one-time login links and sessions (both stored
    # as SHA-256 hashes: a copy of the database logs nobody in), and the audit of changes
    """
    CREATE TABLE console_roles (
        identity    INTEGER PRIMARY KEY,
        role        TEXT NOT NULL,
        granted_by  INTEGER,
        granted_at  REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0))
    );
    CREATE TABLE console_login_tokens (
        token_hash  TEXT PRIMARY KEY,
        identity    INTEGER NOT NULL,
        created_at  REAL NOT NULL,
        expires_at  REAL NOT NULL,
        used_at     REAL
    );
    CREATE TABLE console_sessions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        id_hash     TEXT NOT NULL UNIQUE,
        identity    INTEGER NOT NULL,
        csrf        TEXT NOT NULL,
        created_at  REAL NOT NULL,
        expires_at  REAL NOT NULL,
        last_seen   REAL NOT NULL,
        revoked_at  REAL,
        user_agent  TEXT NOT NULL DEFAULT '',
        address     TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE console_audit (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0)),
        actor       INTEGER NOT NULL,
        action      TEXT NOT NULL,
        target      TEXT NOT NULL,
        detail      TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX console_audit_target ON console_audit (target, id);
    CREATE INDEX jobs_created ON jobs (created_at);
    """,
    # 9: which bot account took the request (QQ's self_id: its results go out through that
    # account), and when a result send timed out with its outcome unknown ("maybe sent": it
    # is never sent again blindly, bot/onebot/outbound/job_events.py)
    """
    ALTER TABLE jobs ADD COLUMN account_id INTEGER;
    ALTER TABLE jobs ADD COLUMN maybe_sent_at REAL;
    """,
    # 10: settings an operator changed while the bot runs (e.g. open to everyone or not), which
    # win over their .env value until reset
    """
    CREATE TABLE runtime_settings (
        name        TEXT PRIMARY KEY,
        value       TEXT NOT NULL,
        changed_by  INTEGER,
        changed_at  REAL NOT NULL DEFAULT (((julianday('now') - 2440587.5) * 86400.0))
    );
    """,
    # 11: the console with real data (bench/console_pages.py: 100,000 jobs, 5,000 users): the
    # per-day usage counts read one index alone (overview, 30-day chart); when each user and
    # group was last seen, and a group's usage, without reading the whole usage or jobs table
    # (users page); today's failures by reason from one index (overview, /stats); chat
    # answers per provider and model (服务商)
    """
    CREATE INDEX IF NOT EXISTS usage_day_counted
        ON usage (day, capability, user_id, job_id, provider, model);
    CREATE INDEX IF NOT EXISTS usage_user_seen
        ON usage (user_id, created_at, day, capability, job_id);
    CREATE INDEX IF NOT EXISTS usage_group_seen ON usage (chat_id, created_at)
        WHERE chat_id < 0;
    CREATE INDEX IF NOT EXISTS jobs_group_seen ON jobs (chat_id, created_at) WHERE chat_id < 0;
    CREATE INDEX IF NOT EXISTS jobs_state_created ON jobs (state, created_at, failure);
    """,
    # 12: every state change of a job with its time (bot/core/store/jobs.py writes it wherever a
    # state changes): from (NULL for the creation), to, why (a failure reason or an operator's
    # action) and who (an operator's identity; NULL: the bot). Shown on the console's job page.
    """
    CREATE TABLE job_transitions (
        id          INTEGER PRIMARY KEY,
        job_id      INTEGER NOT NULL,
        from_state  TEXT,
        to_state    TEXT NOT NULL,
        at          REAL NOT NULL,
        reason      TEXT,
        actor       INTEGER
    );
    CREATE INDEX job_transitions_job ON job_transitions (job_id, at);
    """,
    # 13: one row per chat answer (bot/core/store/chat_turns.py): who answered, how long the first
    # text took and whether the answer came through (服务商: time to first token). Two
    # covering indexes serve the page alone: a short period's turns read by time, a long
    # period's counts and percentiles by walking the first-token times in order.
    """
    CREATE TABLE chat_turns (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        at              REAL NOT NULL,
        provider        TEXT NOT NULL,
        model           TEXT NOT NULL,
        first_token_ms  INTEGER,
        ok              INTEGER NOT NULL
    );
    CREATE INDEX chat_turns_figures ON chat_turns (provider, model, first_token_ms, at, ok);
    CREATE INDEX chat_turns_at ON chat_turns (at, provider, model, first_token_ms, ok);
    """,
]


class Database:
    """Owns the aiosqlite connection. Repositories borrow `conn`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database not opened")
        return self._conn

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: in WAL mode NORMAL may lose the last commits on power loss; a job's state
        # transition (e.g. "submitted" + task id) must survive it, so every commit is synced.
        await self._conn.execute("PRAGMA synchronous=FULL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._migrate()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _migrate(self) -> None:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.conn.executescript(
                f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;"
            )
