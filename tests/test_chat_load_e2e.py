"""Many answers at once under a saturated Telegram budget (what bench/load.py measures at scale):
"typing" never floods Telegram, /start overtakes queued answer texts, and an answer that was
complete before its first text could go out arrives as one message."""

from __future__ import annotations

import time

import pytest

from bot.tg.outbound import streaming
from tests.fakes.grsai import ChatScript, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot

STARTER = 1001

# Load tests measure timing: under xdist they share one worker, never run against each other.
pytestmark = pytest.mark.xdist_group("load")

VISIBLE = ("sendMessageDraft", "sendMessage", "editMessageText")


@pytest.fixture(autouse=True)
def _drafts_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drafts or not is decided once per process; another test may have turned them off."""
    monkeypatch.setattr(streaming._Drafts, "supported", True)


def visible_calls(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [c.method for c in tg.calls
            if c.ok and c.method in VISIBLE and c.params.get("chat_id") == chat_id]  # fmt: skip


@pytest.mark.parametrize("settings_overrides", [{"telegram_messages_per_second": 10.0}])
async def test_typing_stays_within_the_budget_while_many_answers_wait_for_their_first_token(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    users = range(3000, 3060)
    for _ in users:
        grsai.script_chat(ChatScript(text="想好了", first_delay=3.0))
    for user in users:
        tg.send_text(tg.private_chat(user), user, "问题")
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) == 60, timeout=3)
    await tg.wait_for(lambda: all(tg.bot_messages(u) for u in users), timeout=20)
    actions = sorted(c.at for c in tg.calls if c.method == "sendChatAction")
    assert actions
    # "typing" is a nicety: at most the budget's rate (plus its one-second burst), never one
    # request per waiting answer at once (1,000 of them congest the bot's connections).
    busiest = max(sum(1 for t in actions if s <= t < s + 1.0) for s in actions)
    assert busiest <= 20, busiest


@pytest.mark.parametrize("settings_overrides", [{"telegram_messages_per_second": 2.0}])
async def test_start_is_answered_ahead_of_queued_answer_texts(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    starter = tg.private_chat(STARTER)
    users = range(3100, 3112)
    for _ in users:
        grsai.script_chat(ChatScript(text="一个回答", chunks=["一个", "回答"], delay=0.3))
    for user in users:
        tg.send_text(tg.private_chat(user), user, "问题")
    # Twelve first texts at 2 per second: six seconds of queued answer texts.
    await tg.wait_for(lambda: sum(1 for u in users if visible_calls(tg, u)) >= 1, timeout=5)
    asked = time.monotonic()
    tg.send_text(starter, STARTER, "/start")
    await tg.wait_for(lambda: len(tg.bot_messages(STARTER)) == 1, timeout=5)
    answered = next(c.at for c in tg.calls if c.method == "sendMessage"
                    and c.params.get("chat_id") == STARTER)  # fmt: skip
    assert answered - asked < 1.0
    assert sum(1 for u in users if tg.bot_messages(u)) < len(users)  # they were still queued
    await tg.wait_for(lambda: all(
        [m.get("text") for m in tg.bot_messages(u)] == ["一个回答"] for u in users), timeout=30)


@pytest.mark.parametrize("settings_overrides", [{"telegram_messages_per_second": 2.0}])
async def test_an_answer_complete_before_its_first_text_went_out_is_sent_as_one_message(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    users = range(3200, 3208)
    for _ in users:
        grsai.script_chat(ChatScript(text="很快的回答", chunks=["很快", "的回答"], delay=0.2))
    for user in users:
        tg.send_text(tg.private_chat(user), user, "问题")
    await tg.wait_for(lambda: all(
        [m.get("text") for m in tg.bot_messages(u)] == ["很快的回答"] for u in users), timeout=30)
    calls = {u: visible_calls(tg, u) for u in users}
    # At 2 per second only the first answers' drafts fit before the answers were complete; the
    # others go out once, as the final message, in the place their first text had in line.
    single = [u for u, methods in calls.items() if methods == ["sendMessage"]]
    assert len(single) >= 4, calls
    assert sum(len(m) for m in calls.values()) <= 2 * len(users) - 4
    first_visible = {u: next(c.at for c in tg.calls if c.ok and c.method in VISIBLE
                             and c.params.get("chat_id") == u) for u in users}  # fmt: skip
    # Asked in order, shown in order: a merged answer keeps its first text's place in line.
    order = sorted(users, key=first_visible.__getitem__)
    assert order == list(users), order


@pytest.mark.parametrize("settings_overrides", [{"telegram_messages_per_second": 2.0}])
async def test_a_refresh_still_waiting_when_its_answer_completes_is_never_sent(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    users = range(3300, 3310)  # ten first texts at 2 a second: five seconds of them
    pieces = ["第一段，", "第二段，", "第三段，", "完。"]
    for _ in users:
        grsai.script_chat(ChatScript(chunks=pieces, delay=0.4))  # complete within ~1.5 s
    for user in users:
        tg.send_text(tg.private_chat(user), user, "问题")
    await tg.wait_for(lambda: all(
        [m.get("text") for m in tg.bot_messages(u)] == ["第一段，第二段，第三段，完。"]
        for u in users), timeout=30)  # fmt: skip
    # Refreshes wait behind first texts; one whose answer is complete by its turn is dropped:
    # the final message says more, and the budget goes to others' first texts.
    for user in users:  # at most a first text and the final: no refresh in between
        assert visible_calls(tg, user) in (["sendMessageDraft", "sendMessage"],
                                           ["sendMessage"]), visible_calls(tg, user)  # fmt: skip
