"""QQ admins read /stats and /providers like Telegram admins do (issue 17), through FakeNapCat;
others get no answer (the commands stay hidden, as on Telegram)."""

from __future__ import annotations

import pytest

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.qq_harness import RunningQQ

ADMIN = 999
USER = 12345
ADMIN_ONLY = [{"bot_public": True, "bot_admin_ids": f"qq:{ADMIN}"}]


@pytest.mark.parametrize("qq_overrides", ADMIN_ONLY, indirect=True)
async def test_qq_admin_reads_stats(qq: FakeNapCat, qq_bot: RunningQQ) -> None:
    await qq.private_message(USER, "/stats")  # not an admin: no answer
    await qq.private_message(ADMIN, "/统计")
    [answer] = await qq.wait_sent(1, within=10)
    assert answer.chat_key == f"qq:{ADMIN}"
    assert "今日统计" in answer.text and "用户：" in answer.text
    assert "请在 Telegram" not in answer.text
    await qq.private_message(ADMIN, "/stats")
    again = (await qq.wait_sent(2, within=10))[-1]
    assert "今日统计" in again.text
    assert not qq.sent_to(f"qq:{USER}")


@pytest.mark.parametrize("qq_overrides", ADMIN_ONLY, indirect=True)
async def test_qq_admin_reads_the_providers_state(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    await qq.private_message(ADMIN, "/providers")
    [answer] = await qq.wait_sent(1, within=15)
    assert answer.text.startswith(texts.PROVIDERS_TITLE)
    assert "GrsAI" in answer.text and texts.PROVIDER_STATE_NAMES["ok"] in answer.text
    assert not grsai.submissions("image")  # a probe, nothing generated
    await qq.private_message(USER, "/服务商")  # not an admin: no answer
    await qq.private_message(ADMIN, "/服务商")
    second = (await qq.wait_sent(2, within=15))[-1]
    assert second.chat_key == f"qq:{ADMIN}" and second.text.startswith(texts.PROVIDERS_TITLE)
