"""`python -m bot check`: a Chinese checklist an operator runs before the first start.

Rules: nothing is generated or paid (provider keys are probed like the admins' /providers:
an unknown task id, or the model list); no update is taken from Telegram (getMe only); every
❌ line says what to change; the exit code is 0 only if every item passed (a ⚠️ note, such as
"no NapCat has connected yet" before the first start, does not fail it). With QQ on, the QQ
item (bot/onebot/protocol/checkup.py) binds nothing for longer than a moment. `--offline` checks the
settings, the QQ port and the data folder only (for a container health check). The end line
names `./scripts/start.sh` when that script launched the check (BOT_LAUNCHER=start.sh).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from pathlib import Path

from telegram.error import InvalidToken, TelegramError

from bot.core import texts
from bot.core.config import Settings
from bot.core.provider_status import ProviderStatus, probe
from bot.runtime.settings_check import load
from bot.tg.protocol.startup import probe_bot, reason, route

MIN_FREE_MB = 200  # a few videos and a growing database
# scripts/start.sh exports BOT_LAUNCHER=start.sh: the end lines then name the script, the
# command that works for an operator who installed with it.
LAUNCHER_VARIABLE = "BOT_LAUNCHER"


class Checklist:
    def __init__(self) -> None:
        self.lines: list[str] = [texts.CHECK_TITLE]
        self.failed = 0

    def ok(self, what: str) -> None:
        self.lines.append(texts.CHECK_OK.format(what=what))

    def note(self, what: str, fix: str) -> None:
        """Worth knowing, not a failure (e.g. no NapCat has connected before the first start)."""
        self.lines.append(texts.CHECK_NOTE.format(what=what, fix=fix))

    def fail(self, what: str, fix: str | None = None) -> None:
        self.failed += 1
        line = texts.CHECK_FAIL.format(what=what, fix=fix) if fix else f"❌ {what}"
        self.lines.append(line)


def run_check(offline: bool) -> int:
    # Only the checklist is printed: library warnings (which might name a URL) go nowhere.
    logging.getLogger().addHandler(logging.NullHandler())
    checklist = Checklist()
    loaded = load()
    if loaded.problems or loaded.settings is None:
        for problem in loaded.problems:
            checklist.fail(problem)
    else:
        source = (texts.CHECK_SETTINGS_FILE.format(path=loaded.source) if loaded.source
                  else texts.CHECK_SETTINGS_ENV_ONLY)  # fmt: skip
        checklist.ok(texts.CHECK_SETTINGS_OK.format(source=source))
        if not offline:
            asyncio.run(_online(loaded.settings, checklist))
        _qq(loaded.settings, checklist)
        _console(loaded.settings, checklist)
        _data_dir(loaded.settings.bot_data_dir, checklist)
        if offline:
            checklist.lines.append(texts.CHECK_OFFLINE)
    by_script = os.environ.get(LAUNCHER_VARIABLE) == "start.sh"
    if checklist.failed:
        failed = texts.CHECK_FAILED_START_SH if by_script else texts.CHECK_FAILED
        checklist.lines.append(failed.format(count=checklist.failed))
    else:
        checklist.lines.append(texts.CHECK_PASSED_START_SH if by_script else texts.CHECK_PASSED)
    print("\n".join(checklist.lines), flush=True)
    return 1 if checklist.failed else 0


async def _online(settings: Settings, checklist: Checklist) -> None:
    if settings.telegram_bot_token is None:  # QQ alone (ONEBOT_WS_PORT): no Telegram to reach
        providers = await _providers(settings)
    else:
        telegram, providers = await asyncio.gather(_telegram(settings), _providers(settings))
        ok, what, fix = telegram
        checklist.ok(what) if ok else checklist.fail(what, fix)
    for status, key, base in providers:
        name = texts.PROVIDER_NAMES.get(status.name.lower(), status.name)
        if status.state == "ok":
            checklist.ok(texts.CHECK_PROVIDER_OK.format(name=name))
            continue
        state = texts.PROVIDER_STATE_NAMES.get(status.state, status.state).split(" ", 1)[-1]
        fix = texts.CHECK_PROVIDER_FIX.get(status.state, texts.CHECK_PROVIDER_FIX["error"])
        checklist.fail(texts.CHECK_PROVIDER_BAD.format(name=name, state=state),
                       fix.format(key=key, base=base))  # fmt: skip


async def _telegram(settings: Settings) -> tuple[bool, str, str]:
    bot = probe_bot(settings)
    try:
        async with bot:  # initialize() is getMe
            me = bot.bot
    except InvalidToken:
        return False, texts.CHECK_TOKEN_INVALID, texts.CHECK_TOKEN_INVALID_FIX
    except TelegramError as exc:
        what = texts.CHECK_TELEGRAM_UNREACHABLE.format(route=route(settings), reason=reason(exc))
        return False, what, texts.CHECK_TELEGRAM_UNREACHABLE_FIX
    return True, texts.CHECK_TELEGRAM_OK.format(username=me.username, route=route(settings)), ""


async def _providers(settings: Settings) -> list[tuple[ProviderStatus, str, str]]:
    """Each provider with a key: (status, its key setting, its base URL)."""
    from bot.core.providers.http import make_http_client
    from bot.core.providers.registry import PROVIDERS, build_providers

    read_timeout = min(settings.provider_read_timeout, 30.0)
    http = make_http_client(settings.provider_connect_timeout, read_timeout)
    try:
        clients = build_providers(settings, http).clients
        checks = [probe(name, client) for name, client in clients.items()]
        statuses = await asyncio.gather(*checks)
    finally:
        await http.aclose()
    out = []
    for name, status in zip(clients, statuses, strict=True):
        base = getattr(settings, f"{name}_base_url", "") or ""
        out.append((status, PROVIDERS[name].key_setting, base))
    return out


def _qq(settings: Settings, checklist: Checklist) -> None:
    from bot.onebot.protocol.checkup import qq_items

    for kind, what, fix in qq_items(settings):
        if kind == "ok":
            checklist.ok(what)
        elif kind == "note":
            checklist.note(what, fix)
        else:
            checklist.fail(what, fix)


def _console(settings: Settings, checklist: Checklist) -> None:
    """Where the web console will listen; a warning when it is exposed over plain http."""
    from bot.core.console_auth import plain_http_warning

    if not settings.console_port:
        return
    what = texts.CHECK_CONSOLE.format(
        url=settings.console_public_url, host=settings.console_host, port=settings.console_port
    )
    warning = plain_http_warning(settings)
    if warning:
        checklist.note(what, warning.removeprefix("⚠️ "))
    else:
        checklist.ok(what)


def _data_dir(path: Path, checklist: Checklist) -> None:
    shown = path.resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".check-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
        free = shutil.disk_usage(path).free
    except OSError:
        checklist.fail(texts.CHECK_DATA_NOT_WRITABLE.format(path=shown),
                       texts.CHECK_DATA_NOT_WRITABLE_FIX)  # fmt: skip
        return
    if free < MIN_FREE_MB * 1024 * 1024:
        checklist.fail(texts.CHECK_DATA_LOW_SPACE.format(path=shown, free=free // 2**20),
                       texts.CHECK_DATA_LOW_SPACE_FIX.format(need=MIN_FREE_MB))  # fmt: skip
        return
    checklist.ok(texts.CHECK_DATA_OK.format(path=shown, free=f"{free / 2**30:.1f}"))
