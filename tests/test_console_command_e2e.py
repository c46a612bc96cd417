"""/console (QQ: /控制台): admins get a one-time login link in a private chat, nobody else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core import identity, texts
from bot.core.console_auth import ConsoleAuth
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings
from tests.qq_harness import RunningQQ

ADMIN = 9001
STRANGER = 3003
QQ_ADMIN = 999
QQ_USER = 555
LINK = re.compile(r"http://127\.0\.0\.1:8787/login/[A-Za-z0-9_-]{20,}")


async def test_telegram_admin_gets_a_working_link_privately_and_nobody_else_gets_one(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    bot = RunningBot(make_settings(tg, grsai, tmp_path / "data", bot_public=False,
                                   bot_admin_ids=[ADMIN]))  # fmt: skip
    await bot.start()
    try:
        chat = tg.private_chat(ADMIN)
        tg.send_text(chat, ADMIN, "/console")
        await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 1)
        [message] = tg.bot_messages(chat["id"])
        url = LINK.search(message["text"])
        assert url is not None, message["text"]
        assert message.get("link_preview_options", {}).get("is_disabled") is True
        auth = ConsoleAuth(bot.services.db, bot.services.settings)
        token = url.group(0).rsplit("/", 1)[1]
        new = await auth.redeem(token)
        assert new is not None and new.session.identity == ADMIN
        # In a group the link would be seen by everyone: only a pointer to the private chat.
        group = tg.group_chat(-100777)
        tg.send_text(group, ADMIN, "/console")
        await tg.wait_for(lambda: len(tg.bot_messages(group["id"])) >= 1)
        [pointer] = tg.bot_messages(group["id"])
        assert "/login/" not in pointer["text"] and "私聊" in pointer["text"]
        # A stranger's /console is silently ignored (like every admin command).
        stranger = tg.private_chat(STRANGER)
        tg.send_text(stranger, STRANGER, "/console")
        tg.send_text(chat, ADMIN, "/usage")  # a marker: answered after the stranger's update
        await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 2)
        assert all("/login/" not in (m.get("text") or "") for m in tg.bot_messages(stranger["id"]))
    finally:
        await bot.stop()


@pytest.mark.parametrize(
    "qq_overrides", [{"bot_admin_ids": f"qq:{QQ_ADMIN}", "bot_public": True}], indirect=True
)
async def test_qq_admin_gets_a_link_with_the_chinese_command(
    qq: FakeNapCat, qq_bot: RunningQQ
) -> None:
    await qq.private_message(QQ_ADMIN, "/控制台")
    [message] = await qq.wait_sent(1, within=10)
    url = LINK.search(message.text)
    assert url is not None and message.chat_key == f"qq:{QQ_ADMIN}"
    assert qq_bot.services is not None
    auth = ConsoleAuth(qq_bot.services.db, qq_bot.services.settings)
    new = await auth.redeem(url.group(0).rsplit("/", 1)[1])
    assert new is not None and new.session.identity == identity.qq_user(QQ_ADMIN)
    await qq.group_message(4242, QQ_ADMIN, "/控制台")
    sent = await qq.wait_sent(2, within=10)
    assert "/login/" not in sent[-1].text and "/控制台" in sent[-1].text
    await qq.private_message(QQ_USER, "/控制台")  # not an admin: no link, no answer
    await qq.private_message(QQ_ADMIN, "/用量")  # a marker answered after it
    sent = await qq.wait_sent(3, within=10)
    assert all("/login/" not in m.text for m in sent if m.chat_key == f"qq:{QQ_USER}")
    assert texts.CONSOLE_LINK.split("：")[0] in sent[0].text
