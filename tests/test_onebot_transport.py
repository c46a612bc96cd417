"""The OneBot v11 reverse-WebSocket transport against the NapCat-like fake, over loopback."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.config import OneBotConfig, OneBotConfigError
from bot.onebot.protocol.events import Event, HeartbeatEvent, LifecycleEvent, MessageEvent
from bot.onebot.protocol.transport import (
    ActionFailed,
    ActionTimeout,
    ChatRef,
    ConnectionLost,
    NotConnected,
    OneBotServer,
)
from tests.fakes.onebot import FakeNapCat

TOKEN = "test-onebot-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"fake-image-bytes"


class Inbox:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: Event) -> None:
        self.events.append(event)
        async with self._changed:
            self._changed.notify_all()

    async def wait(self, kind: type, count: int = 1) -> list:
        def matching() -> list:
            return [e for e in self.events if isinstance(e, kind)]

        async with asyncio.timeout(5), self._changed:
            await self._changed.wait_for(lambda: len(matching()) >= count)
        return matching()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
async def server(inbox: Inbox) -> AsyncIterator[OneBotServer]:
    config = OneBotConfig(port=0, access_token=TOKEN)
    async with OneBotServer(config, inbox, action_timeout=2.0, connect_wait=2.0) as srv:
        yield srv


def ws_url(server: OneBotServer, path: str = "/onebot/v11/ws") -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


@pytest.fixture
async def qq(server: OneBotServer, tmp_path: Path) -> AsyncIterator[FakeNapCat]:
    async with FakeNapCat(ws_url(server), token=TOKEN, media_dir=tmp_path / "napcat") as fake:
        await fake.connect()
        await server.wait_connected(5)
        yield fake


# --- handshake and authorization ------------------------------------------------------


async def test_universal_client_with_token_connects_and_announces_itself(
    server: OneBotServer, qq: FakeNapCat, inbox: Inbox
) -> None:
    assert server.self_ids == [qq.self_id]
    lifecycle = await inbox.wait(LifecycleEvent)
    assert lifecycle[0].sub_type == "connect" and lifecycle[0].self_id == qq.self_id


async def test_handshake_without_token_is_refused_with_401(server: OneBotServer) -> None:
    async with FakeNapCat(ws_url(server), token=TOKEN) as fake:
        with pytest.raises(InvalidStatus) as refused:
            await fake.connect(token=None)
    assert refused.value.response.status_code == 401
    assert not server.is_connected()


async def test_handshake_with_wrong_token_is_refused_with_403(server: OneBotServer) -> None:
    async with FakeNapCat(ws_url(server), token=TOKEN) as fake:
        with pytest.raises(InvalidStatus) as refused:
            await fake.connect(token="wrong")
    assert refused.value.response.status_code == 403


async def test_token_in_access_token_query_is_accepted(server: OneBotServer) -> None:
    async with FakeNapCat(ws_url(server), token=TOKEN, token_in_query=True) as fake:
        await fake.connect()
        assert await server.wait_connected(5) == fake.self_id


async def test_trailing_slash_path_is_accepted_and_unknown_path_refused(
    server: OneBotServer,
) -> None:
    async with FakeNapCat(ws_url(server, "/onebot/v11/ws/"), token=TOKEN) as fake:
        await fake.connect()
        await server.wait_connected(5)
    async with FakeNapCat(ws_url(server, "/elsewhere"), token=TOKEN) as fake:
        with pytest.raises(InvalidStatus) as refused:
            await fake.connect()
    assert refused.value.response.status_code == 404


async def test_split_api_and_event_clients_work_on_their_paths(
    server: OneBotServer, inbox: Inbox
) -> None:
    base = "/onebot/v11/ws"
    async with (
        FakeNapCat(ws_url(server, base + "/api"), token=TOKEN, role="API") as api,
        FakeNapCat(ws_url(server, base + "/event"), token=TOKEN, role="Event") as events,
    ):
        await events.connect()
        await events.private_message(42, "你好")
        assert (await inbox.wait(MessageEvent))[0].user_id == 42
        assert not server.is_connected()  # an Event client cannot take actions
        await api.connect()
        await server.wait_connected(5)
        assert (await server.get_login_info())["user_id"] == api.self_id


async def test_no_token_is_needed_on_loopback_when_none_is_configured(inbox: Inbox) -> None:
    async with OneBotServer(OneBotConfig(port=0), inbox) as srv:
        async with FakeNapCat(ws_url(srv)) as fake:
            await fake.connect(token=None)
            assert await srv.wait_connected(5) == fake.self_id


def test_non_loopback_host_without_token_refuses_to_start() -> None:
    with pytest.raises(OneBotConfigError, match="ONEBOT_ACCESS_TOKEN") as refused:
        OneBotServer(OneBotConfig(port=0, host="0.0.0.0"), Inbox())
    assert "回环" in str(refused.value)
    OneBotConfig(port=0, host="0.0.0.0", access_token=TOKEN).validate()
    OneBotConfig(port=0, host="::1").validate()
    OneBotConfig(port=0, host="localhost").validate()


def test_config_repr_never_shows_the_token() -> None:
    assert TOKEN not in repr(OneBotConfig(port=1, access_token=TOKEN))


# --- events -----------------------------------------------------------------------------


async def test_private_and_group_messages_arrive_parsed_with_segments(
    qq: FakeNapCat, inbox: Inbox
) -> None:
    private_id = await qq.private_message(42, "你好", nickname="小明")
    picture = qq.image(PNG)
    group_id = await qq.group_message(
        777, 43, [seg.reply(private_id), seg.at(qq.self_id), seg.text(" /画图 一只猫"), picture],
        nickname="小红", card="红", role="admin",
    )  # fmt: skip
    await qq.notice(notice_type="group_increase", group_id=777, user_id=44)
    await qq.heartbeat(interval_ms=5000)
    private, group = await inbox.wait(MessageEvent, 2)
    assert (private.message_type, private.user_id) == ("private", 42)
    assert private.message_id == private_id
    assert private.chat_key == "qq:42" and private.sender and private.sender.nickname == "小明"
    assert seg.plain_text(private.message) == "你好"
    assert group.chat_key == "qqgroup:777" and group.message_id == group_id
    assert group.sender and group.sender.display_name == "红" and group.sender.role == "admin"
    assert seg.mentions(group.message, qq.self_id) and seg.reply_id(group.message) == private_id
    assert seg.plain_text(group.message, self_id=qq.self_id) == "/画图 一只猫"
    [source] = seg.image_sources(group.message)
    assert source.url and source.url.startswith("http://127.0.0.1")
    heartbeat = (await inbox.wait(HeartbeatEvent))[0]
    assert heartbeat.interval_ms == 5000 and heartbeat.online is True
    kinds = [type(e).__name__ for e in inbox.events]  # the notice was not delivered
    assert kinds == ["LifecycleEvent", "MessageEvent", "MessageEvent", "HeartbeatEvent"]


async def test_event_handler_may_call_actions_while_handling(
    tmp_path: Path,
) -> None:
    answers: list[str] = []
    holder: dict[str, OneBotServer] = {}

    async def echo_back(event: Event) -> None:
        if isinstance(event, MessageEvent):
            original = await holder["s"].get_msg(event.message_id)
            await holder["s"].send(ChatRef("private", event.user_id),
                                   [seg.text("收到：" + seg.plain_text(original["message"]))])
            answers.append("done")

    async with OneBotServer(OneBotConfig(port=0), echo_back, action_timeout=2) as srv:
        holder["s"] = srv
        async with FakeNapCat(ws_url(srv)) as fake:
            await fake.connect()
            await fake.private_message(42, "在吗")
            [sent] = await fake.wait_sent(1)
    assert sent.text == "收到：在吗" and sent.chat_key == "qq:42" and answers == ["done"]


# --- actions ----------------------------------------------------------------------------


async def test_send_records_segments_and_media_bytes_from_base64_file_and_http(
    server: OneBotServer, qq: FakeNapCat, tmp_path: Path
) -> None:
    local = tmp_path / "result.mp4"
    local.write_bytes(b"video-bytes")
    received = qq.image(b"remote-image")
    request_id = await qq.group_message(777, 43, "画一只猫")
    message_id = await server.send(
        ChatRef("group", 777),
        [seg.reply(request_id), seg.text("好了"), seg.image(PNG), seg.video(local),
         seg.image(received["data"]["url"])],
    )  # fmt: skip
    [sent] = qq.sent_to("qqgroup:777")
    assert sent.message_id == message_id and sent.action == "send_group_msg"
    assert sent.text == "好了" and sent.of_type("reply") == [{"id": str(request_id)}]
    assert [(m.kind, m.data, m.source) for m in sent.media] == [
        ("image", PNG, "base64"), ("video", b"video-bytes", "file"),
        ("image", b"remote-image", "http"),
    ]  # fmt: skip
    private_id = await server.send_msg(ChatRef("private", 42), [seg.text("私聊")])
    assert qq.sent[-1].chat_key == "qq:42" and qq.sent[-1].message_id == private_id


async def test_get_msg_delete_msg_login_info_and_get_image(
    server: OneBotServer, qq: FakeNapCat
) -> None:
    assert await server.get_login_info() == {"user_id": qq.self_id, "nickname": qq.nickname}
    picture = qq.image(PNG)
    user_message = await qq.private_message(42, [picture, seg.text("参考图")])
    fetched = await server.get_msg(user_message)
    assert fetched["message"][0]["type"] == "image" and fetched["sender"]["user_id"] == 42
    info = await server.get_image(picture["data"]["file"])
    assert Path(info["file"]).read_bytes() == PNG
    bot_message = await server.send(ChatRef("private", 42), [seg.text("马上撤回")])
    await server.delete_msg(bot_message)
    assert qq.sent[-1].deleted
    with pytest.raises(ActionFailed) as gone:
        await server.get_msg(bot_message)
    assert gone.value.retcode == 1200


async def test_unknown_action_and_bad_params_raise_typed_failures(
    server: OneBotServer, qq: FakeNapCat
) -> None:
    with pytest.raises(ActionFailed) as unknown:
        await server.call("no_such_action")
    assert unknown.value.retcode == 1404 and unknown.value.action == "no_such_action"
    with pytest.raises(ActionFailed) as bad:
        await server.call("send_private_msg", {"user_id": "42", "message": "hi"})
    assert bad.value.retcode == 1400
    with pytest.raises(ActionFailed) as bad_segment:
        await server.call("send_private_msg", {"user_id": 42, "message": [seg.at(10001) | {
            "data": {"qq": 10001}}]})  # numbers inside segment data are not allowed
    assert bad_segment.value.retcode == 1400
    assert qq.sent == []


async def test_action_failed_on_demand_carries_retcode_and_message(
    server: OneBotServer, qq: FakeNapCat
) -> None:
    qq.fail_next("send_group_msg", retcode=1200, message="群消息发送失败")
    with pytest.raises(ActionFailed) as failed:
        await server.send(ChatRef("group", 777), [seg.text("hi")])
    assert failed.value.retcode == 1200 and "群消息发送失败" in str(failed.value)
    await server.send(ChatRef("group", 777), [seg.text("hi")])  # the next one goes through
    assert len(qq.sent) == 1


async def test_async_suffix_answers_async_status(server: OneBotServer, qq: FakeNapCat) -> None:
    assert await server.call("send_private_msg_async", {"user_id": 42, "message": "x"}) is None
    assert qq.sent[-1].text == "x"


async def test_unanswered_action_times_out_clearly(server: OneBotServer, qq: FakeNapCat) -> None:
    qq.hang_next("get_login_info")
    with pytest.raises(ActionTimeout):
        await server.call("get_login_info", answer_timeout=0.3)
    assert (await server.get_login_info())["user_id"] == qq.self_id  # later calls still work


async def test_upload_file_and_merged_forward(server: OneBotServer, qq: FakeNapCat) -> None:
    await server.upload_file(ChatRef("group", 777), b"big-video", "result.mp4")
    upload = qq.sent[-1]
    assert upload.action == "upload_group_file" and upload.media[0].data == b"big-video"
    assert upload.media[0].name == "result.mp4"
    nodes = [seg.node("第一段", user_id=qq.self_id, nickname="机器人"),
             seg.node([seg.text("第二段"), seg.image(PNG)], user_id=qq.self_id, nickname="机器人")]
    message_id = await server.send_forward(ChatRef("private", 42), nodes)
    forward = qq.sent[-1]
    assert forward.action == "send_private_forward_msg" and forward.message_id == message_id
    assert [n["content"][0]["data"]["text"] for n in forward.nodes] == ["第一段", "第二段"]
    assert forward.media[0].data == PNG


# --- reconnects -------------------------------------------------------------------------


async def test_call_during_reconnect_gap_completes_after_reconnect(
    server: OneBotServer, qq: FakeNapCat
) -> None:
    await qq.disconnect()
    await asyncio.sleep(0.05)
    assert not server.is_connected()
    pending = asyncio.create_task(server.send(ChatRef("private", 42), [seg.text("等你回来")]))
    await asyncio.sleep(0.2)
    assert not pending.done() and qq.sent == []
    await qq.connect()  # NapCat is back
    message_id = await asyncio.wait_for(pending, 5)
    assert qq.sent[-1].message_id == message_id and qq.sent[-1].text == "等你回来"


async def test_call_without_connection_fails_clearly_after_the_wait(
    server: OneBotServer, qq: FakeNapCat
) -> None:
    await qq.disconnect()
    await asyncio.sleep(0.05)
    with pytest.raises(NotConnected):
        await server.call("get_login_info", connect_wait=0.2)
    await qq.connect()  # nothing was queued behind the caller's back
    await server.wait_connected(5)
    await asyncio.sleep(0.1)
    assert "get_login_info" not in [action for action, _ in qq.actions]


async def test_connection_drop_mid_call_reports_unknown_outcome(
    server: OneBotServer, qq: FakeNapCat
) -> None:
    qq.drop_on_next("send_private_msg")  # performed, then NapCat dies before answering
    with pytest.raises(ConnectionLost):
        await server.send(ChatRef("private", 42), [seg.text("也许已发出")])
    assert [m.text for m in qq.sent] == ["也许已发出"]  # it did go out: never resent by us
    await qq.connect()
    await server.wait_connected(5)
    assert len(qq.sent) == 1


async def test_new_connection_for_same_account_replaces_the_old_one(
    server: OneBotServer, qq: FakeNapCat, tmp_path: Path
) -> None:
    async with FakeNapCat(ws_url(server), token=TOKEN) as second:
        await second.connect()
        await asyncio.sleep(0.1)
        assert server.self_ids == [second.self_id]
        await server.send(ChatRef("private", 42), [seg.text("新连接")])
        assert [m.text for m in second.sent] == ["新连接"] and qq.sent == []
        for _ in range(50):
            if not qq.connected:
                break
            await asyncio.sleep(0.02)
        assert not qq.connected  # the old connection was closed by the bot


def test_chat_ref_keys_round_trip() -> None:
    assert ChatRef.parse("qq:42") == ChatRef("private", 42)
    assert ChatRef.parse("qqgroup:777").key == "qqgroup:777"
    with pytest.raises(ValueError):
        ChatRef.parse("tg:1")
    assert base64.b64decode(seg.image(PNG)["data"]["file"][9:]) == PNG


async def test_request_that_could_not_be_written_waits_for_the_next_connection(
    server: OneBotServer, qq: FakeNapCat, monkeypatch: pytest.MonkeyPatch
) -> None:
    from websockets.exceptions import ConnectionClosedError

    dying = server._api[qq.self_id].ws

    async def closed(*_: object, **__: object) -> None:
        raise ConnectionClosedError(None, None)

    monkeypatch.setattr(dying, "send", closed)
    pending = asyncio.create_task(server.send(ChatRef("private", 42), [seg.text("只发一次")]))
    await asyncio.sleep(0.1)
    assert not pending.done()
    await qq.restart()
    await asyncio.wait_for(pending, 5)
    assert [m.text for m in qq.sent] == ["只发一次"]


async def test_heartbeats_are_tracked_per_account(server: OneBotServer, qq: FakeNapCat,
                                                  inbox: Inbox) -> None:  # fmt: skip
    assert server.last_heartbeat(qq.self_id) is None
    await qq.heartbeat()
    await inbox.wait(HeartbeatEvent)
    assert server.last_heartbeat(qq.self_id) is not None


async def test_napcat_reconnects_by_itself_after_the_bot_restarts(inbox: Inbox) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = OneBotConfig(port=port, access_token=TOKEN)
    url = f"ws://127.0.0.1:{port}/onebot/v11/ws"
    async with FakeNapCat(url, token=TOKEN) as fake:
        async with OneBotServer(config, inbox) as first:
            fake.keep_connected(interval=0.05)
            await first.wait_connected(5)
        # the bot is down for a moment; NapCat keeps trying
        await asyncio.sleep(0.2)
        async with OneBotServer(config, inbox, connect_wait=5) as second:
            message_id = await second.send(ChatRef("private", 42), [seg.text("重启后送达")])
        assert fake.sent[-1].message_id == message_id and fake.connections >= 2


async def test_the_access_token_never_reaches_the_log(
    server: OneBotServer, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    for in_query in (False, True):
        async with FakeNapCat(ws_url(server), token=TOKEN, token_in_query=in_query) as fake:
            await fake.connect()
            await server.wait_connected(5)
            await server.get_login_info()
            with pytest.raises(InvalidStatus):
                await fake.connect(token=TOKEN + "x")
    server_side = [r for r in caplog.records if r.name != "websockets.client"]  # not the fake's
    assert server_side and [r.name for r in server_side if TOKEN in r.getMessage()] == []
