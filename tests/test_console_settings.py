"""设置: opening the bot to everyone or closing it to the allow list from the console has the
same effect as BOT_PUBLIC at once on the platforms, survives a restart (SQLite), goes back to
BOT_PUBLIC on reset, and is recorded; read-only operators and forged forms change nothing.
The same for the provider order per capability (the next /draw goes where the console put
it) and the daily quotas (the next /draw on Telegram is held to them; /quota stays above)."""

from __future__ import annotations

import re
from contextlib import aclosing
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.core import texts
from bot.core.access import AccessControl
from bot.core.config import Settings
from bot.core.services import Services
from tests.console_harness import RunningConsole, bot_with_console, console_on
from tests.fakes.grsai import CHAT_PATH, ChatScript, FakeGrsAI
from tests.fakes.reshi import FakeReshi
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings

ADMIN = 9001
READER = 4004
STRANGER, LATECOMER = 3003, 3004


def section(html: str, attribute: str) -> str:
    """The element holding `attribute` up to the next one of its kind (a row or a block)."""
    start = html.index(attribute)
    name = attribute.split("=")[0]
    end = html.find(name + "=", start + len(attribute))
    return html[start:end if end > 0 else None]


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


# -- provider order and daily quotas ----------------------------------------------------------

USER = 1001


def with_reshi(tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, data: Path,
               **overrides: object) -> Settings:  # fmt: skip
    """GrsAI and reshi123 configured; IMAGE_PROVIDERS=grsai (reshi has a key, not listed)."""
    return make_settings(tg, grsai, data, bot_admin_ids=[ADMIN], image_providers=["grsai"],
                         reshi_api_key=SecretStr(reshi.api_key), reshi_base_url=reshi.base_url,
                         **overrides)  # fmt: skip


async def draw_and_wait(tg: FakeTelegram, prompt: str) -> None:
    """/draw from USER; wait for the photo it makes (or the answer that refuses it)."""
    chat = tg.private_chat(USER)
    before = len([m for m in tg.bot_messages(chat["id"]) if m.get("photo")])
    tg.send_text(chat, USER, f"/draw {prompt}")
    await tg.wait_for(lambda: len([m for m in tg.bot_messages(chat["id"])
                                   if m.get("photo")]) > before, timeout=30)  # fmt: skip


async def test_a_provider_order_changed_in_the_console_is_the_order_the_next_draw_uses(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, tmp_path: Path
) -> None:
    async with bot_with_console(with_reshi(tg, grsai, reshi, tmp_path / "data")) as (_, console):
        client, csrf = await console.logged_in(ADMIN)
        async with aclosing(client):
            page = (await client.get("/settings")).text
            image = section(page, 'data-order="image"')
            assert "IMAGE_PROVIDERS=grsai" in image and texts.CONSOLE_UI["source_env"] in image
            assert 'value="reshi"' in image  # configured, not listed: offered, not checked
            moved = await client.post("/settings/providers", data={
                "csrf": csrf, "capability": "image", "action": "save",
                "on": ["grsai", "reshi"], "pos_grsai": "2", "pos_reshi": "1"})  # fmt: skip
            assert moved.status_code == 303
            await draw_and_wait(tg, "一只橘猫")
            assert reshi.images == [{"prompt": "一只橘猫"}] and grsai.submissions("image") == []

            page = (await client.get(moved.headers["location"])).text
            assert "reshi123 → GrsAI" in page  # the flash, the order in force and the audit
            image = section(page, 'data-order="image"')
            assert texts.CONSOLE_UI["source_console"] in image
            assert "IMAGE_PROVIDERS=grsai" in image  # the .env default, still shown
            assert texts.CONSOLE_ACTION_NAMES["provider_order"] in page
            providers = (await client.get("/providers")).text
            assert re.search(r'data-capability="image".*?reshi123.*?GrsAI', providers, re.S)

            off = await client.post("/settings/providers", data={
                "csrf": csrf, "capability": "image", "action": "save", "on": ["grsai"],
                "pos_grsai": "1", "pos_reshi": "2"})  # fmt: skip
            assert off.status_code == 303  # reshi switched off for images
            await draw_and_wait(tg, "一只小狗")
            assert len(reshi.images) == 1 and len(grsai.submissions("image")) == 1

            await client.post("/settings/providers", data={
                "csrf": csrf, "capability": "image", "on": ["reshi"], "pos_reshi": "1"})
            reset = await client.post("/settings/providers", data={
                "csrf": csrf, "capability": "image", "action": "reset"})  # fmt: skip
            assert reset.status_code == 303
            await draw_and_wait(tg, "一只兔子")  # back to IMAGE_PROVIDERS=grsai
            assert len(reshi.images) == 1 and len(grsai.submissions("image")) == 2
            image = section((await client.get("/settings")).text, 'data-order="image"')
            assert texts.CONSOLE_UI["source_env"] in image


async def test_a_daily_quota_lowered_in_the_console_is_enforced_by_the_next_draw(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN])
    async with bot_with_console(settings) as (_, console):
        client, csrf = await console.logged_in(ADMIN)
        async with aclosing(client):
            page = (await client.get("/settings")).text
            assert "QUOTA_IMAGES_PER_DAY=50" in section(page, 'data-quota="image"')
            lowered = await client.post("/settings/quota", data={
                "csrf": csrf, "kind": "image", "value": "1", "action": "save"})  # fmt: skip
            assert lowered.status_code == 303
            await draw_and_wait(tg, "一只橘猫")  # the first of today: allowed
            chat = tg.private_chat(USER)
            tg.send_text(chat, USER, "/draw 第二只猫")
            await tg.wait_for(lambda: "次数已用完" in (tg.bot_messages(chat["id"])[-1]
                                                       .get("text") or ""), timeout=30)  # fmt: skip
            assert len(grsai.submissions("image")) == 1

            page = (await client.get(lowered.headers["location"])).text
            quota = section(page, 'data-quota="image"')
            assert 'data-value>1<' in quota and texts.CONSOLE_UI["source_console"] in quota
            assert "QUOTA_IMAGES_PER_DAY=50" in quota  # the .env default, still shown
            assert texts.CONSOLE_ACTION_NAMES["daily_quota"] in page
            listed = section(page, "<code>QUOTA_IMAGES_PER_DAY</code>")
            assert texts.CONSOLE_UI["env_overridden"] in listed.split("</tr>")[0]

            await console.access.set_quota(USER, "image", 3)  # /quota: above the console's
            await draw_and_wait(tg, "第三只猫")
            assert len(grsai.submissions("image")) == 2
            await console.access.set_quota(USER, "image", None)

            reset = await client.post("/settings/quota", data={
                "csrf": csrf, "kind": "image", "action": "reset"})  # fmt: skip
            assert reset.status_code == 303
            assert console.access.default_limits()["image"] == 50
            await draw_and_wait(tg, "第四只猫")  # 2 used of the .env's 50
            quota = section((await client.get("/settings")).text, 'data-quota="image"')
            assert 'data-value>50<' in quota and texts.CONSOLE_UI["source_env"] in quota


async def test_orders_and_quotas_survive_a_restart(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, tmp_path: Path
) -> None:
    settings = with_reshi(tg, grsai, reshi, tmp_path / "data")
    services = await Services.open(settings)
    try:
        assert services.orders is not None
        await services.orders.set("chat", ["reshi", "grsai"], ADMIN)
        await services.orders.set("video", ["reshi"], ADMIN)
        await services.access.set_daily_quota("video", 2, ADMIN)
    finally:
        await services.close()
    again = await Services.open(settings)  # as after a restart
    try:
        assert again.providers.chat.order == ["reshi", "grsai"]
        assert again.providers.routes["video"] == ["reshi"]
        assert again.providers.routes["character"] == ["grsai"]  # only grsai makes characters
        assert again.access.default_limits()["video"] == 2
        assert again.access.env_limits()["video"] == settings.quota_videos_per_day
    finally:
        await again.close()
    without_reshi = make_settings(tg, grsai, tmp_path / "data")  # its key was removed
    third = await Services.open(without_reshi)
    try:
        assert third.providers.chat.order == ["grsai"]  # no configured provider is lost
        assert third.providers.routes["video"] == ["grsai"]  # none left: .env's list holds
        assert third.orders is not None and not third.orders.changed("video")
    finally:
        await third.close()


@pytest.mark.parametrize(("path", "form", "message"), [
    ("/settings/quota", {"kind": "image", "value": "abc"}, "0 到 1000000 之间的整数"),
    ("/settings/quota", {"kind": "image", "value": "-1"}, "0 到 1000000 之间的整数"),
    ("/settings/quota", {"kind": "image", "value": "99999999"}, "0 到 1000000 之间的整数"),
    ("/settings/quota", {"kind": "image", "value": ""}, "0 到 1000000 之间的整数"),
    ("/settings/quota", {"kind": "jobs", "value": "5"}, "输入有误"),
    ("/settings/providers", {"capability": "image", "pos_grsai": "1"}, "至少要启用一个服务商"),
    ("/settings/providers", {"capability": "image", "on": ["juhe"], "pos_juhe": "1"},
     "聚合API 没有配置密钥"),
    ("/settings/providers", {"capability": "image", "on": ["grsai"], "pos_grsai": "9"},
     "顺序要填 1 到 2 之间的整数"),
    ("/settings/providers", {"capability": "image", "on": ["grsai"], "pos_grsai": "x"},
     "顺序要填 1 到 2 之间的整数"),
    ("/settings/providers", {"capability": "drink", "on": ["grsai"]}, "输入有误"),
])  # fmt: skip
async def test_invalid_orders_and_quotas_get_a_chinese_answer_and_change_nothing(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, tmp_path: Path, path: str,
    form: dict, message: str,
) -> None:  # fmt: skip
    async with console_on(with_reshi(tg, grsai, reshi, tmp_path / "data")) as console:
        client, csrf = await console.logged_in(ADMIN)
        async with aclosing(client):
            answer = await client.post(path, data={"csrf": csrf, "action": "save", **form})
        assert answer.status_code == 400 and message in answer.text
        assert console.services.providers.routes["image"] == ["grsai"]
        assert console.access.default_limits()["image"] == 50
        assert await console.auth.audit_where("settings:") == []


async def test_a_read_only_operator_cannot_change_orders_or_quotas(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, tmp_path: Path
) -> None:
    async with console_on(with_reshi(tg, grsai, reshi, tmp_path / "data")) as console:
        await console.auth.set_role(READER, "readonly", ADMIN)
        reader, csrf = await console.logged_in(READER)
        async with aclosing(reader):
            page = (await reader.get("/settings")).text
            assert 'action="/settings/providers"' not in page
            assert 'action="/settings/quota"' not in page
            assert "QUOTA_IMAGES_PER_DAY=50" in page  # seen, not changeable
            for path, form in [
                ("/settings/providers", {"capability": "image", "on": ["reshi"],
                                         "pos_reshi": "1"}),
                ("/settings/providers", {"capability": "image", "action": "reset"}),
                ("/settings/quota", {"kind": "image", "value": "0"}),
            ]:  # fmt: skip
                answer = await reader.post(path, data={"csrf": csrf, **form})
                assert answer.status_code == 403, path
                assert texts.CONSOLE_UI["forbidden"] in answer.text
        assert console.services.providers.routes["image"] == ["grsai"]
        assert console.access.default_limits()["image"] == 50
        assert await console.auth.audit_where("settings:") == []
