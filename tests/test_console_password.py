"""The console's optional password: `python -m bot console-password` prints an scrypt hash
line for .env (CONSOLE_PASSWORD_HASH); the login help page then offers a password form that
opens an owner's session (the first BOT_ADMIN_IDS entry), rate-limited like link logins."""

from __future__ import annotations

import asyncio
import io
import re
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.core import texts
from bot.core.access import AccessControl
from bot.core.config import Settings
from bot.core.console_password import make_hash, verify
from bot.core.services import Services
from bot.runtime import main as cli
from tests.console_harness import CSRF_RE, RunningConsole, console_on
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import make_settings

REPO = Path(__file__).resolve().parents[1]
OWNER, OTHER_ADMIN = 9001, 9002
PASSWORD = "长城-correct-horse"
LINE_RE = re.compile(r"^CONSOLE_PASSWORD_HASH='(scrypt\$[^']+)'$", re.M)


# -- the hash -----------------------------------------------------------------------------


def test_a_hash_checks_its_password_only_and_describes_itself() -> None:
    encoded = make_hash(PASSWORD)
    scheme, n, r, p, salt, digest = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1") and salt and digest
    assert verify(PASSWORD, encoded)
    assert not verify(PASSWORD + "x", encoded) and not verify("", encoded)
    assert make_hash(PASSWORD) != encoded  # a fresh salt each time
    for broken in ("", "plain", "scrypt$16384$8$1$!!$!!", encoded.replace("$16384$", "$1000$"),
                   encoded.replace("$16384$", f"${2**30}$"), "argon2$" + encoded[7:]):  # fmt: skip
        assert not verify(PASSWORD, broken)  # refused, never raised


def test_settings_refuse_a_value_that_is_not_such_a_hash() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, console_password_hash="my-password")  # type: ignore[call-arg]
    ok = Settings(_env_file=None, console_password_hash=make_hash(PASSWORD))  # type: ignore[call-arg]
    assert ok.console_password_hash is not None


# -- the command --------------------------------------------------------------------------


async def run_command(stdin: bytes, cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "console-password", cwd=cwd,
        env={"PATH": "", "PYTHONPATH": str(REPO)}, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_command_reads_a_piped_password_and_prints_a_line_env_files_load(
    tmp_path: Path,
) -> None:
    code, out, err = await run_command(PASSWORD.encode() + b"\n", tmp_path)
    assert code == 0, err
    assert PASSWORD not in out + err
    found = LINE_RE.search(out)
    assert found is not None, out
    assert "BOT_ADMIN_IDS" in out  # says whom the password logs in as
    env = tmp_path / "bot.env"
    env.write_text(found.group(0) + "\n", "utf-8")  # as an operator pastes it
    loaded = Settings(_env_file=env)  # type: ignore[call-arg]
    assert loaded.console_password_hash is not None
    assert verify(PASSWORD, loaded.console_password_hash.get_secret_value())
    code, out, err = await run_command(b"short\n", tmp_path)
    assert code == 1 and "至少 8 个字符" in err and "CONSOLE_PASSWORD_HASH=" not in out
    code, out, err = await run_command(b"", tmp_path)
    assert code == 1 and texts.PASSWORD_NONE in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def typed(*answers: str) -> Callable[[str], str]:
    given = iter(answers)
    return lambda prompt: next(given)


def test_at_a_terminal_it_asks_twice_without_echo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(cli.getpass, "getpass", typed(PASSWORD, PASSWORD + "!"))
    assert cli.console_password() == 1
    assert texts.PASSWORD_MISMATCH in capsys.readouterr().err
    monkeypatch.setattr(cli.getpass, "getpass", typed(PASSWORD, PASSWORD))
    assert cli.console_password() == 0
    found = LINE_RE.search(capsys.readouterr().out)
    assert found is not None and verify(PASSWORD, found.group(1))


def test_help_names_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    assert "console-password" in capsys.readouterr().out


# -- logging in ---------------------------------------------------------------------------


@pytest.fixture
async def console(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
                  ) -> AsyncIterator[RunningConsole]:  # fmt: skip
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[OWNER, OTHER_ADMIN],
                             console_password_hash=SecretStr(make_hash(PASSWORD)))  # fmt: skip
    async with console_on(settings) as running:
        yield running


async def test_the_password_opens_an_owner_session_and_a_wrong_one_nothing(
    console: RunningConsole,
) -> None:
    async with console.client() as client:
        help_page = await client.get("/login-help")
        assert 'id="password-login"' in help_page.text and 'type="password"' in help_page.text
        wrong = await client.post("/login-password", data={"password": PASSWORD + "x"})
        assert wrong.status_code == 403 and texts.CONSOLE_UI["password_failed"] in wrong.text
        assert "console_session" not in wrong.headers.get("set-cookie", "")
        assert (await client.get("/")).status_code == 303  # still no session
        right = await client.post("/login-password", data={"password": PASSWORD})
        assert right.status_code == 303 and right.headers["location"] == "/"
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        page = await client.get("/sessions")
        assert page.status_code == 200 and CSRF_RE.search(page.text)
        assert texts.CONSOLE_UI["by_password"] in page.text  # the login is in the audit
    sessions = await console.auth.sessions()
    assert [(s.identity, s.role) for s in sessions] == [(OWNER, "owner")]


async def test_password_logins_are_rate_limited_like_links(console: RunningConsole) -> None:
    async with console.client() as client:
        codes = [(await client.post("/login-password", data={"password": f"wrong{n}"})
                  ).status_code for n in range(10)]  # fmt: skip
        assert codes == [403] * 10
        late = await client.post("/login-password", data={"password": PASSWORD})
        assert late.status_code == 429  # even the right one waits out the window
        assert (await client.post(f"/login/{'x' * 20}")).status_code == 429  # one budget


async def test_the_hash_is_not_shown_on_the_settings_page(console: RunningConsole) -> None:
    stored = console.services.settings.console_password_hash
    assert stored is not None
    client, _ = await console.logged_in(OWNER)
    async with aclosing(client):
        page = await client.get("/settings")
    assert "CONSOLE_PASSWORD_HASH" in page.text
    assert stored.get_secret_value().split("$")[-1] not in page.text


async def test_without_a_hash_there_is_no_password_form(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[OWNER])
    services = await Services.open(settings)
    access = AccessControl(settings, services.db, services.jobs)
    running = await RunningConsole(services, access).start()
    try:
        async with running.client() as client:
            assert 'id="password-login"' not in (await client.get("/login-help")).text
            answer = await client.post("/login-password", data={"password": PASSWORD})
            assert answer.status_code == 404
            assert "console_session" not in answer.headers.get("set-cookie", "")
    finally:
        await running.stop()
        await services.close()


def test_a_bad_hash_at_start_is_one_chinese_line_that_shows_nothing_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.runtime.settings_check import load

    env = tmp_path / "bot.env"
    env.write_text("TELEGRAM_BOT_TOKEN=\nCONSOLE_PASSWORD_HASH=my-plain-password\n", "utf-8")
    monkeypatch.setenv("BOT_ENV_FILE", str(env))
    problems = load().problems
    assert len(problems) == 1 and "CONSOLE_PASSWORD_HASH" in problems[0], problems
    assert "console-password" in problems[0] and "my-plain-password" not in problems[0]
