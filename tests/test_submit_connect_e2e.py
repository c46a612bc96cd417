"""`/画图` while the provider refuses connections (issue 17): the status says the bot is
connecting and which retry this is, on Telegram and on QQ, and the whole attempt ends within
JOB_SUBMIT_CONNECT_WINDOW with "暂时连不上服务商" instead of minutes of "排队中". Nothing reached
the provider, so retrying is safe; nothing is ever submitted twice."""

from __future__ import annotations

import time

import pytest

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot
from tests.qq_harness import RunningQQ

USER = 1001
WINDOW = 4.0  # seconds the test bot keeps trying (the default is 90)
FAST = {"job_delivery_retry_min": 0.2, "job_delivery_retry_max": 0.5,
        "job_submit_connect_window": WINDOW}  # fmt: skip
CONNECTING = texts.JOB_STATE_CONNECTING.split("{", 1)[0]  # "🔌 正在连接服务商，第 "


def texts_shown(tg: FakeTelegram) -> list[str]:
    return [text for _, text in tg.shown_texts()]


@pytest.fixture
def settings_overrides() -> dict:
    return FAST


async def test_telegram_status_says_it_is_connecting_then_gives_up_in_time(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.go_down()
    chat = tg.private_chat(USER)
    started = time.monotonic()
    tg.send_text(chat, USER, "/draw 一只猫")
    # The status is paced: it shows the newest retry, not necessarily each one.
    await tg.wait_for(lambda: any(CONNECTING in t for t in texts_shown(tg)), timeout=30)
    await tg.wait_for(lambda: any(texts.ERR_UNREACHABLE in t for t in texts_shown(tg)),
                      timeout=60)  # fmt: skip
    took = time.monotonic() - started
    assert took < WINDOW + 20, took  # bounded by the window (plus one last attempt)
    assert not grsai.submissions("image")
    job = await bot.services.jobs.get(1)
    assert job is not None and job.state == "failed" and job.failure == "unreachable"


@pytest.mark.parametrize("qq_overrides", [FAST], indirect=True)
async def test_qq_says_it_is_connecting_then_gives_up_in_time(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.go_down()
    started = time.monotonic()
    await qq.private_message(USER, "/画图 一只猫")
    await qq.wait_sent(2, within=30)
    assert any(CONNECTING in m.text for m in qq.sent), [m.text for m in qq.sent]
    deadline = time.monotonic() + 60
    while not any(texts.ERR_UNREACHABLE in m.text for m in qq.sent):
        assert time.monotonic() < deadline, [m.text for m in qq.sent]
        await qq.wait_sent(len(qq.sent) + 1, within=60)
    assert time.monotonic() - started < WINDOW + 20
    connecting = [m for m in qq.sent if CONNECTING in m.text]
    assert len(connecting) == 1  # told once: QQ cannot edit, one line per retry would spam
    assert not grsai.submissions("image")
