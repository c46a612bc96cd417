"""Tests of the GrsAI fake itself: if the fake lies, every bot test built on it lies too."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from httpx_sse import aconnect_sse

from tests.fakes.grsai import ChatScript, FakeGrsAI, TaskScript

KEY = "sk-test-grsai-key"
PNG_1PX = base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
).decode()


@pytest.fixture
async def fake() -> AsyncIterator[FakeGrsAI]:
    async with FakeGrsAI() as g:
        yield g


@pytest.fixture
async def client(fake: FakeGrsAI) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers, timeout=5) as c:
        yield c


def chat_body(text: str = "你好", **extra: Any) -> dict[str, Any]:
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": text}]} | extra


async def stream_chat(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    """Raw `data:` payloads of a streamed chat, in order."""
    out: list[str] = []
    async with aconnect_sse(client, "POST", "/v1/chat/completions", json=body) as source:
        source.response.raise_for_status()
        async for event in source.aiter_sse():
            out.append(event.data)
    return out


async def submit(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(path, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def poll_until_done(client: httpx.AsyncClient, task_id: str) -> list[dict[str, Any]]:
    states = []
    for _ in range(20):
        r = await client.post("/v1/draw/result", json={"id": task_id})
        env = r.json()
        assert env["code"] == 0 and env["msg"] == "success"
        states.append(env["data"])
        if env["data"]["status"] != "running":
            return states
    raise AssertionError("task never finished")


def draw_body(**extra: Any) -> dict[str, Any]:
    base = {"model": "nano-banana-pro", "prompt": "一只猫", "aspectRatio": "1:1", "webHook": "-1"}
    return base | extra


def video_body(**extra: Any) -> dict[str, Any]:
    base = {"model": "sora-2", "prompt": "海边日落", "duration": 10, "webHook": "-1"}
    return base | extra


# ---------------------------------------------------------------- chat


async def test_streamed_chat_echoes_in_three_chunks_then_stop_and_done(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    data = await stream_chat(client, chat_body("你好", stream=True))
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert len(chunks) == 4  # 3 content chunks + the finishing one
    assert len({c["id"] for c in chunks}) == 1
    for c in chunks:
        assert c["object"] == "chat.completion.chunk"
        assert c["model"] == "gemini-2.5-flash"
        assert isinstance(c["created"], int)
        assert c["choices"][0]["index"] == 0
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in c["choices"][0]["delta"] for c in chunks[1:])
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, None, "stop"]
    assert chunks[-1]["choices"][0]["delta"] == {}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "你说：你好"
    assert fake.requests_to("/v1/chat/completions")[0].headers["authorization"] == f"Bearer {KEY}"


async def test_scripted_stream_splits_text_and_respects_delays(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    fake.script_chat(ChatScript(text="abcdefghij", chunk_size=4, first_delay=0.1, delay=0.02))
    loop = asyncio.get_running_loop()
    started = loop.time()
    data = await stream_chat(client, chat_body(stream=True))
    assert loop.time() - started >= 0.14
    contents = [json.loads(d)["choices"][0]["delta"].get("content") for d in data[:-1]]
    assert contents == ["abcd", "efgh", "ij", None]


async def test_non_stream_chat_returns_chat_completion(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/chat/completions", json=chat_body("在吗", stream=False))
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": "你说：在吗",
        "refusal": None,
        "annotations": [],
    }
    assert choice["finish_reason"] == "stop"


async def test_bad_key_gets_401_openai_error(fake: FakeGrsAI) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as c:
        r = await c.post(
            "/v1/chat/completions", json=chat_body(), headers={"Authorization": "Bearer nope"}
        )
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "无效的令牌"
    assert r.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    "body",
    [
        chat_body() | {"model": "gpt-4o-mini"},
        {"model": "gemini-2.5-pro", "messages": []},
        {"model": "gemini-2.5-pro", "messages": [{"role": "tool", "content": "x"}]},
        chat_body() | {"stream": "yes"},
        {
            "model": "gemini-3-pro",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "看图"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}},
                    ],
                }
            ],
        },
        {
            "model": "gemini-3-pro",
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}],
                }
            ],
        },
    ],
    ids=["bad-model", "no-messages", "bad-role", "bad-stream", "bad-data-url", "bad-scheme"],
)
async def test_malformed_chat_requests_get_400(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    r = await client.post("/v1/chat/completions", json=body)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and err["message"]


async def test_multimodal_chat_with_valid_data_url_is_accepted(client: httpx.AsyncClient) -> None:
    content = [
        {"type": "text", "text": "这是什么"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
    ]
    body = {"model": "gemini-3-pro", "messages": [{"role": "user", "content": content}]}
    r = await client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "你说：这是什么"


async def test_dropped_stream_ends_without_done(fake: FakeGrsAI, client: httpx.AsyncClient) -> None:
    fake.script_chat(ChatScript(text="一二三四五六", chunk_size=1, drop_after=2))
    got: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with aconnect_sse(
            client, "POST", "/v1/chat/completions", json=chat_body(stream=True)
        ) as source:
            async for event in source.aiter_sse():
                got.append(event.data)
    assert "[DONE]" not in got
    assert [json.loads(d)["choices"][0]["finish_reason"] for d in got] == [None, None]


async def test_scripted_chat_error_and_hang(fake: FakeGrsAI, client: httpx.AsyncClient) -> None:
    fake.script_chat(ChatScript(status=429))
    r = await client.post("/v1/chat/completions", json=chat_body(stream=True))
    assert r.status_code == 429 and "error" in r.json()
    fake.script_chat(ChatScript(hang=True))
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/v1/chat/completions", json=chat_body(), timeout=0.2)


# ---------------------------------------------------------------- failure injection


async def test_fail_next_gives_402_then_recovers(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    fake.fail_next("/v1/chat/completions", 402, times=2)
    for _ in range(2):
        r = await client.post("/v1/chat/completions", json=chat_body())
        assert r.status_code == 402
        assert r.json()["error"]["message"] == "积分不足"
    assert (await client.post("/v1/chat/completions", json=chat_body())).status_code == 200

    fake.fail_next("/v1/draw/nano-banana", 402)
    r = await client.post("/v1/draw/nano-banana", json=draw_body())
    assert r.status_code == 402 and r.json()["msg"] == "积分不足"
    assert len(fake.requests_to("/v1/chat/completions")) == 3


async def test_go_down_refuses_connections_until_come_back(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    assert (await client.post("/v1/chat/completions", json=chat_body())).status_code == 200
    fake.go_down()
    with pytest.raises(httpx.ConnectError):
        await client.post("/v1/chat/completions", json=chat_body())
    fake.come_back()
    assert (await client.post("/v1/chat/completions", json=chat_body())).status_code == 200


# ---------------------------------------------------------------- draw


async def test_draw_polls_to_success_and_serves_a_real_png(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    fake.script_task(TaskScript(kind="image", width=64, height=48))
    env = await submit(client, "/v1/draw/nano-banana", draw_body(urls=[PNG_1PX]))
    assert env["code"] == 0
    task_id = env["data"]["id"]
    states = await poll_until_done(client, task_id)
    assert [s["progress"] for s in states] == [10, 50, 100]
    assert [s["status"] for s in states] == ["running", "running", "succeeded"]
    assert states[0]["results"] == []
    result = states[-1]["results"][0]
    assert result["url"].startswith(fake.base_url + "/files/") and result["url"].endswith(".png")
    assert result["content"]
    assert fake.poll_count(task_id) == 3
    assert fake.submissions("image")[0]["prompt"] == "一只猫"

    r = await client.get(result["url"])
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    png = r.content
    assert int(r.headers["content-length"]) == len(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (64, 48)
    assert hashlib.sha256(png).hexdigest() == fake.result_sha256(task_id)


@pytest.mark.parametrize(
    "extra",
    [
        {"model": "nano-banana-pro-vip", "imageSize": "4K"},
        {"model": "nano-banana-pro-4k-vip", "imageSize": "1K"},
        {"model": "dall-e-3"},
        {"prompt": "  "},
        {"aspectRatio": "7:3"},
        {"imageSize": "8K"},
        {"urls": ["bm90IGFuIGltYWdl"]},  # base64 of "not an image"
    ],
)
async def test_invalid_draw_requests_are_refused_with_nonzero_code(
    fake: FakeGrsAI, client: httpx.AsyncClient, extra: dict[str, Any]
) -> None:
    env = await submit(client, "/v1/draw/nano-banana", draw_body(**extra))
    assert env["code"] != 0 and env["msg"] and env["data"] is None
    assert fake.task_ids() == []


async def test_vip_models_accept_their_sizes(client: httpx.AsyncClient) -> None:
    for model, size in [("nano-banana-pro-vip", "2K"), ("nano-banana-pro-4k-vip", "4K")]:
        env = await submit(client, "/v1/draw/nano-banana", draw_body(model=model, imageSize=size))
        assert env["code"] == 0


@pytest.mark.parametrize("reason", ["input_moderation", "output_moderation", "error"])
async def test_failed_task_reports_failure_reason(
    fake: FakeGrsAI, client: httpx.AsyncClient, reason: str
) -> None:
    fake.script_task(
        TaskScript(
            kind="image",
            progress=[30, 60],
            outcome="failed",
            failure_reason=reason,
            error="违规内容",
        )
    )
    env = await submit(client, "/v1/draw/nano-banana", draw_body())
    final = (await poll_until_done(client, env["data"]["id"]))[-1]
    assert final["status"] == "failed"
    assert final["failure_reason"] == reason and final["error"] == "违规内容"
    assert final["results"] == []


async def test_submit_status_and_code_create_no_task(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    fake.script_task(TaskScript(kind="image", submit_status=403))
    fake.script_task(TaskScript(kind="image", submit_code=-1, submit_msg="积分不足"))
    r = await client.post("/v1/draw/nano-banana", json=draw_body())
    assert r.status_code == 403 and r.json()["data"] is None
    env = await submit(client, "/v1/draw/nano-banana", draw_body())
    assert env == {"code": -1, "msg": "积分不足", "data": None}
    assert fake.task_ids() == []
    assert len(fake.submissions("image")) == 2


async def test_result_url_expires(fake: FakeGrsAI, client: httpx.AsyncClient) -> None:
    fake.script_task(TaskScript(kind="image", progress=[100], url_ttl=0.2, width=8, height=8))
    env = await submit(client, "/v1/draw/nano-banana", draw_body())
    url = (await poll_until_done(client, env["data"]["id"]))[-1]["results"][0]["url"]
    assert (await client.get(url)).status_code == 200
    await asyncio.sleep(0.25)
    r = await client.get(url)
    assert r.status_code == 403 and b"expired" in r.content


async def test_poll_of_unknown_id_is_code_minus_22(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/draw/result", json={"id": "no-such-task"})
    assert r.status_code == 200
    assert r.json() == {"code": -22, "msg": "任务不存在", "data": None}


async def test_submit_without_webhook_streams_progress(client: httpx.AsyncClient) -> None:
    body = draw_body()
    del body["webHook"]
    async with aconnect_sse(client, "POST", "/v1/draw/nano-banana", json=body) as source:
        states = [json.loads(e.data) async for e in source.aiter_sse()]
    assert [s["progress"] for s in states] == [0, 50, 100]
    assert states[-1]["status"] == "succeeded" and states[-1]["results"][0]["url"]

    async with aconnect_sse(
        client, "POST", "/v1/draw/nano-banana", json=body | {"shutProgress": True}
    ) as source:
        states = [json.loads(e.data) async for e in source.aiter_sse()]
    assert len(states) == 1 and states[0]["status"] == "succeeded"


async def test_webhook_url_receives_progress_posts(client: httpx.AsyncClient) -> None:
    received: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        if received[-1]["status"] != "running":
            done.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/cb", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        env = await submit(
            client, "/v1/draw/nano-banana", draw_body(webHook=f"http://127.0.0.1:{port}/cb")
        )
        await asyncio.wait_for(done.wait(), 3)
    finally:
        await runner.cleanup()
    assert [s["progress"] for s in received] == [0, 50, 100]
    assert all(s["id"] == env["data"]["id"] for s in received)


# ---------------------------------------------------------------- video and characters


async def test_video_result_has_pid_and_remix_by_pid_succeeds(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    fake.script_task(TaskScript(kind="video", result_size=3_000_000))
    env = await submit(client, "/v1/video/sora-video", video_body(aspectRatio="16:9"))
    task_id = env["data"]["id"]
    item = (await poll_until_done(client, task_id))[-1]["results"][0]
    assert item["removeWatermark"] is True and item["pid"].startswith("s_")
    assert item["url"].endswith(".mp4")

    h = hashlib.sha256()
    async with client.stream("GET", item["url"]) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
        assert int(r.headers["content-length"]) == 3_000_000
        first = True
        async for block in r.aiter_bytes():
            if first:
                assert block[4:8] == b"ftyp"
                first = False
            h.update(block)
    assert h.hexdigest() == fake.result_sha256(task_id)

    env = await submit(client, "/v1/video/sora-video", video_body(remixTargetId=item["pid"]))
    final = (await poll_until_done(client, env["data"]["id"]))[-1]
    assert final["status"] == "succeeded"
    assert final["results"][0]["pid"] != item["pid"]


async def test_remix_of_unknown_pid_fails(client: httpx.AsyncClient) -> None:
    env = await submit(client, "/v1/video/sora-video", video_body(remixTargetId="s_nope"))
    assert env["code"] == 0
    final = (await poll_until_done(client, env["data"]["id"]))[-1]
    assert final["status"] == "failed"
    assert final["failure_reason"] == "error" and final["error"] == "remix target not found"


@pytest.mark.parametrize(
    "extra", [{"model": "sora-1"}, {"duration": 12}, {"aspectRatio": "1:1"}, {"size": "huge"}]
)
async def test_invalid_video_requests_are_refused(
    client: httpx.AsyncClient, extra: dict[str, Any]
) -> None:
    env = await submit(client, "/v1/video/sora-video", video_body(**extra))
    assert env["code"] != 0


@pytest.mark.parametrize("timestamps", ["0,4", "3,1", "2,2", "-1,1", "abc", "0,1,2", None])
async def test_character_upload_with_bad_timestamps_is_refused(
    fake: FakeGrsAI, client: httpx.AsyncClient, timestamps: str | None
) -> None:
    body = {"url": "https://example.com/cat.mp4", "timestamps": timestamps, "webHook": "-1"}
    env = await submit(client, "/v1/video/sora-upload-character", body)
    assert env["code"] != 0
    assert fake.task_ids("character") == []


async def test_characters_upload_and_create_from_pid(
    fake: FakeGrsAI, client: httpx.AsyncClient
) -> None:
    fake.script_task(TaskScript(kind="character", character_id="cat.mimi"))
    body = {"url": "https://example.com/cat.mp4", "timestamps": "0.5,3.5", "webHook": "-1"}
    env = await submit(client, "/v1/video/sora-upload-character", body)
    final = (await poll_until_done(client, env["data"]["id"]))[-1]
    assert final["results"] == [{"character_id": "cat.mimi"}]

    # create-character needs a pid the fake produced
    body = {"pid": "s_unknown", "timestamps": "0,3", "webHook": "-1"}
    assert (await submit(client, "/v1/video/sora-create-character", body))["code"] != 0
    fake.script_task(TaskScript(kind="video", progress=[100], pid="s_abc"))
    video = await submit(client, "/v1/video/sora-video", video_body())
    await poll_until_done(client, video["data"]["id"])
    env = await submit(client, "/v1/video/sora-create-character", body | {"pid": "s_abc"})
    final = (await poll_until_done(client, env["data"]["id"]))[-1]
    assert final["status"] == "succeeded" and final["results"][0]["character_id"]
