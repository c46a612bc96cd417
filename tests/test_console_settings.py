"""设置: opening the bot to everyone or closing it to the allow list from the console has the
same effect as BOT_PUBLIC at once on the platforms, survives a restart (SQLite), goes back to
BOT_PUBLIC on reset, and is recorded; read-only operators and forged forms change nothing."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

from bot.core import texts
from bot.core.access import AccessControl
from bot.core.services import Services
from tests.console_harness import RunningConsole
from tests.fakes.grsai import CHAT_PATH, ChatScript, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings

ADMIN = 9001
READER = 4004
STRANGER, LATECOMER = 3003, 3004


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.bot_messages(chat_id)]


async def test_opening_in_the_console_lets_a_stranger_chat_and_closing_stops_others(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    bot = RunningBot(make_settings(tg, grsai, tmp_path / "data", bot_public=False,
                                   bot_admin_ids=[ADMIN]))  # fmt: skip
    await bot.start()
    assert bot.app is not None
    console = await RunningConsole(bot.services, bot.app.bot_data.access).start()
    try:
        client, csrf = await console.logged_in(ADMIN)
        async with aclosing(client):
            page = await client.get("/settings")
            assert 'data-public="0"' in page.text and "BOT_PUBLIC=false" in page.text
            chat = tg.private_chat(STRANGER)
            tg.send_text(chat, STRANGER, "你好")
            await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 1)
            assert texts_of(tg, chat["id"]) == [texts.ACCESS_DENIED.format(user_id=STRANGER)]

            opened = await client.post("/settings/public", data={"csrf": csrf, "public": "1"})
            assert opened.status_code == 303
            grsai.script_chat(ChatScript(text="你好，我能帮你什么？"))
            tg.send_text(chat, STRANGER, "/ask 你好")
            await tg.wait_for(lambda: any("我能帮你" in t for t in texts_of(tg, chat["id"])),
                              timeout=30)  # fmt: skip
            assert len(grsai.requests_to(CHAT_PATH)) == 1
            page = await client.get(opened.headers["location"])
            assert 'data-public="1"' in page.text
            assert texts.CONSOLE_ACTION_NAMES["public"] in page.text  # the change, recorded
            assert texts.CONSOLE_UI["public_open"] in page.text

            closed = await client.post("/settings/public", data={"csrf": csrf, "public": "0"})
            assert closed.status_code == 303
            late = tg.private_chat(LATECOMER)
            tg.send_text(late, LATECOMER, "你好")
            await tg.wait_for(lambda: len(tg.bot_messages(late["id"])) >= 1)
            assert texts_of(tg, late["id"]) == [texts.ACCESS_DENIED.format(user_id=LATECOMER)]
            assert len(grsai.requests_to(CHAT_PATH)) == 1
    finally:
        await console.stop()
        await bot.stop()


async def test_the_switch_survives_a_restart_and_reset_returns_to_bot_public(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = make_settings(tg, grsai, tmp_path / "data", bot_public=False)
    services = await Services.open(settings)
    try:
        access = AccessControl(settings, services.db, services.jobs)
        await access.load()
        assert not access.public and not access.is_allowed(STRANGER, STRANGER)
        await access.set_public(True, ADMIN)
        again = AccessControl(settings, services.db, services.jobs)  # as after a restart
        await again.load()
        assert again.public and again.public_changed and again.is_allowed(STRANGER, STRANGER)
        await again.access_list.set(STRANGER, False, ADMIN)
        await again.load()
        assert not again.is_allowed(STRANGER, STRANGER)  # a /deny still wins
        await again.set_public(None, ADMIN)
        fresh = AccessControl(settings, services.db, services.jobs)
        await fresh.load()
        assert not fresh.public and not fresh.public_changed
    finally:
        await services.close()


async def test_read_only_operators_and_forged_forms_change_nothing(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = make_settings(tg, grsai, tmp_path / "data", bot_public=False,
                             bot_admin_ids=[ADMIN])  # fmt: skip
    services = await Services.open(settings)
    access = AccessControl(settings, services.db, services.jobs)
    await access.load()
    console = await RunningConsole(services, access).start()
    try:
        await console.auth.set_role(READER, "readonly", ADMIN)
        reader, reader_csrf = await console.logged_in(READER)
        admin, admin_csrf = await console.logged_in(ADMIN)
        async with aclosing(reader), aclosing(admin):
            page = await reader.get("/settings")
            assert 'action="/settings/public"' not in page.text
            answer = await reader.post("/settings/public",
                                       data={"csrf": reader_csrf, "public": "1"})  # fmt: skip
            assert answer.status_code == 403
            answer = await admin.post("/settings/public", data={"csrf": "forged", "public": "1"})
            assert answer.status_code == 403
            answer = await admin.post("/settings/public", data={"csrf": admin_csrf,
                                                                "public": "yes"})  # fmt: skip
            assert answer.status_code == 400
        assert not access.public and not access.public_changed
        assert await console.auth.audit_where("settings:") == []
    finally:
        await console.stop()
        await services.close()
