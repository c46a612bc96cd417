"""The console's settings and its login core (bot/core/console_auth.py): links work once and for
ten minutes, sessions last seven days and can be revoked, roles decide who gets in."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.core import texts
from bot.core.config import Settings
from bot.core.console_auth import (
    LOGIN_TTL,
    SESSION_TTL,
    ConsoleAuth,
    ConsoleOff,
    NoConsoleRole,
    plain_http_warning,
    secure_cookies,
)
from bot.core.store.console import ConsoleStore
from bot.core.store.db import Database

ADMIN = 1001


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, bot_data_dir=tmp_path, bot_admin_ids=[ADMIN], **values)  # type: ignore[call-arg]


def test_console_listens_on_loopback_port_8787_by_default(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert (s.console_host, s.console_port) == ("127.0.0.1", 8787)
    assert s.console_public_url == "http://127.0.0.1:8787"
    assert plain_http_warning(s) is None
    assert not secure_cookies(s)


def test_a_public_plain_http_console_gets_a_chinese_warning(tmp_path: Path) -> None:
    s = settings(tmp_path, console_host="0.0.0.0")
    warning = plain_http_warning(s)
    assert warning is not None and "HTTPS" in warning and "0.0.0.0:8787" in warning
    behind_tls = settings(tmp_path, console_host="0.0.0.0",
                          console_public_url="https://console.example.com/")  # fmt: skip
    assert plain_http_warning(behind_tls) is None
    assert behind_tls.console_public_url == "https://console.example.com"
    assert secure_cookies(behind_tls)
    assert plain_http_warning(settings(tmp_path, console_host="::1")) is None
    assert plain_http_warning(settings(tmp_path, console_host="0.0.0.0", console_port=0)) is None


def test_console_settings_are_checked(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        settings(tmp_path, console_port=70000)
    with pytest.raises(ValidationError):
        settings(tmp_path, console_public_url="ftp://x")


async def test_a_login_link_works_once_and_not_after_ten_minutes(
    tmp_path: Path, db: Database
) -> None:
    auth = ConsoleAuth(db, settings(tmp_path))
    url = await auth.issue_login_link(ADMIN, now=1000.0)
    assert url.startswith("http://127.0.0.1:8787/login/")
    token = url.rsplit("/", 1)[1]
    first = await auth.redeem(token, now=1001.0)
    assert first is not None and first.session.identity == ADMIN
    assert first.session.role == "owner" and first.session.can_change
    assert await auth.redeem(token, now=1002.0) is None  # the second time
    late = (await auth.issue_login_link(ADMIN, now=2000.0)).rsplit("/", 1)[1]
    assert await auth.redeem(late, now=2000.0 + LOGIN_TTL + 1) is None  # after expiry
    assert await auth.redeem("made-up", now=2001.0) is None
    # Only hashes are stored: neither the link nor the cookie is in the database.
    rows = [tuple(r) for r in await (await db.conn.execute(
        "SELECT * FROM console_login_tokens")).fetchall()]  # fmt: skip
    sessions = [tuple(r) for r in await (await db.conn.execute(
        "SELECT * FROM console_sessions")).fetchall()]  # fmt: skip
    assert token not in repr(rows) and first.secret not in repr(sessions)


async def test_sessions_last_seven_days_and_can_be_revoked(tmp_path: Path, db: Database) -> None:
    auth = ConsoleAuth(db, settings(tmp_path))
    token = (await auth.issue_login_link(ADMIN, now=1000.0)).rsplit("/", 1)[1]
    new = await auth.redeem(token, now=1000.0)
    assert new is not None
    assert await auth.session(new.secret, now=1000.0 + SESSION_TTL - 1) is not None
    assert await auth.session(new.secret, now=1000.0 + SESSION_TTL + 1) is None
    assert await auth.revoke(new.session.id, ADMIN)
    assert await auth.session(new.secret, now=1001.0) is None
    entries = await auth.audit_of(f"session:{new.session.id}")
    assert [e.action for e in entries] == ["revoke", "login"]


async def test_only_admins_and_granted_operators_get_links(tmp_path: Path, db: Database) -> None:
    auth = ConsoleAuth(db, settings(tmp_path))
    with pytest.raises(NoConsoleRole):
        await auth.issue_login_link(2002)
    await auth.set_role(2002, "readonly", ADMIN)
    token = (await auth.issue_login_link(2002)).rsplit("/", 1)[1]
    new = await auth.redeem(token)
    assert new is not None and new.session.role == "readonly" and not new.session.can_change
    with pytest.raises(ValueError):
        await auth.set_role(2002, "owner", ADMIN)  # owners are BOT_ADMIN_IDS, nobody else
    await auth.set_role(2002, None, ADMIN)
    assert await auth.session(new.secret) is None  # the role is gone: so is the session
    off = ConsoleAuth(db, settings(tmp_path, console_port=0))
    with pytest.raises(ConsoleOff):
        await off.issue_login_link(ADMIN)


def test_console_texts_are_chinese() -> None:
    from tests.latin import foreign_in

    for key, text in texts.CONSOLE_UI.items():
        assert not foreign_in(text), key


async def test_redeeming_a_link_never_breaks_another_coroutines_commit(
    tmp_path: Path, db: Database
) -> None:
    """Redeeming is an UPDATE … RETURNING on the shared connection: while its statement is
    unfinished, another coroutine's commit fails ("SQL statements in progress"). Found when an
    operator logged in while the bot resumed jobs at start: the start crashed. Here another
    coroutine commits right after the redeeming statement ran."""
    store = ConsoleStore(db)
    now = time.time()
    await store.add_login_token("token", ADMIN, now, 600)
    conn = db.conn
    queue = conn._execute
    failures: list[Exception] = []

    async def then_commit_elsewhere(fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Each step the store queues, then what a job's state write does meanwhile (on the
        connection's own thread, between two queued steps)."""

        def step() -> Any:
            result = fn(*args, **kwargs)
            try:
                conn._conn.execute("INSERT INTO console_audit (actor, action, target) "
                                   "VALUES (1, 'x', 'y')")  # fmt: skip
                conn._conn.commit()
            except Exception as exc:
                failures.append(exc)
            return result

        return await queue(step)

    conn._execute = then_commit_elsewhere  # type: ignore[method-assign]
    try:
        assert await store.use_login_token("token", now) == ADMIN
    finally:
        conn._execute = queue  # type: ignore[method-assign]
    assert failures == []
    assert await store.use_login_token("token", now) is None  # once
