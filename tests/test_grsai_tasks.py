"""GrsAITasks against the fake GrsAI over real HTTP: bodies, polling, error mapping, failover."""

from __future__ import annotations

import base64
import socket
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, TaskState
from bot.core.providers.grsai_tasks import (
    IMAGE_MODELS,
    GrsAITasks,
    check_image_options,
    error_for_code,
    parse_task_state,
)
from bot.core.providers.http import FailoverHosts, JsonApi
from tests.fakes.grsai import FakeGrsAI, TaskScript

DRAW = "/v1/draw/nano-banana"
VIDEO = "/v1/video/sora-video"
UPLOAD_CHAR = "/v1/video/sora-upload-character"
CREATE_CHAR = "/v1/video/sora-create-character"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
MP4 = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00isomavc1" + b"\x00" * 200


@pytest.fixture
def tasks(fake: FakeGrsAI, http: httpx.AsyncClient) -> GrsAITasks:
    return GrsAITasks(JsonApi(http, fake.api_key, FailoverHosts([fake.base_url])))


async def run_to_end(tasks: GrsAITasks, task_id: str) -> list[TaskState]:
    states: list[TaskState] = []
    for _ in range(20):
        state = await tasks.poll(task_id)
        states.append(state)
        if state.status != "running":
            return states
    raise AssertionError("task never finished")


def decode_data_url(url: str) -> tuple[str, bytes]:
    head, payload = url.split(",", 1)
    assert head.startswith("data:") and head.endswith(";base64")
    return head[5:-7], base64.b64decode(payload)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- submit + poll ----------------------------------------------------------------------------


async def test_image_with_references_polls_to_success(
    fake: FakeGrsAI, tasks: GrsAITasks, tmp_path: Path
) -> None:
    png, jpg = tmp_path / "a.bin", tmp_path / "b.bin"  # no suffix: the mime comes from the bytes
    png.write_bytes(png_bytes())
    jpg.write_bytes(JPEG)
    request = GenerationRequest(
        kind="image",
        prompt="一只猫",
        params={"model": "nano-banana-pro-vip", "aspect_ratio": "16:9", "image_size": "2K"},
        references=[str(png), str(jpg)],
    )

    task_id = await tasks.submit(request)
    states = await run_to_end(tasks, task_id)

    body = fake.submissions("image")[0]
    assert {k: v for k, v in body.items() if k != "urls"} == {
        "model": "nano-banana-pro-vip",
        "prompt": "一只猫",
        "aspectRatio": "16:9",
        "imageSize": "2K",
        "webHook": "-1",
        "shutProgress": False,
    }
    assert [decode_data_url(u) for u in body["urls"]] == [
        ("image/png", png.read_bytes()),
        ("image/jpeg", JPEG),
    ]
    assert [s.progress for s in states] == [0, 50, 100]
    final = states[-1]
    assert final.status == "succeeded"
    assert len(final.results) == 1
    assert final.results[0].url and final.results[0].url.startswith(fake.base_url + "/files/")
    assert "一只猫" in final.results[0].content


async def test_image_defaults(fake: FakeGrsAI, tasks: GrsAITasks) -> None:
    await tasks.submit(GenerationRequest(kind="image", prompt="山"))
    body = fake.submissions("image")[0]
    assert body["model"] == IMAGE_MODELS[0] == "nano-banana-pro"
    assert (body["aspectRatio"], body["imageSize"], body["urls"]) == ("auto", "1K", [])


async def test_video_with_reference_then_remix_by_pid(
    fake: FakeGrsAI, tasks: GrsAITasks, tmp_path: Path
) -> None:
    ref = tmp_path / "ref.png"
    ref.write_bytes(png_bytes())
    first = await tasks.submit(
        GenerationRequest(
            kind="video",
            prompt="海边日落",
            params={"model": "sora-2", "aspect_ratio": "16:9", "duration": 15, "size": "large"},
            references=[str(ref)],
        )
    )
    done = (await run_to_end(tasks, first))[-1]
    assert done.status == "succeeded"
    pid = done.results[0].pid
    assert pid and pid.startswith("s_")
    assert done.results[0].url and done.results[0].url.endswith(".mp4")

    body = fake.submissions("video")[0]
    assert decode_data_url(body.pop("url")) == ("image/png", ref.read_bytes())
    assert body == {
        "model": "sora-2",
        "prompt": "海边日落",
        "aspectRatio": "16:9",
        "duration": 15,
        "size": "large",
        "webHook": "-1",
        "shutProgress": False,
    }

    remix = await tasks.submit(
        GenerationRequest(kind="video", prompt="继续", params={"remix_target": pid})
    )
    assert (await run_to_end(tasks, remix))[-1].status == "succeeded"
    body = fake.submissions("video")[1]
    assert body["remixTargetId"] == pid
    assert "url" not in body
    assert (body["aspectRatio"], body["duration"], body["size"]) == ("9:16", 10, "small")


async def test_character_from_pid(fake: FakeGrsAI, tasks: GrsAITasks) -> None:
    video = await tasks.submit(GenerationRequest(kind="video", prompt="一只狗"))
    pid = (await run_to_end(tasks, video))[-1].results[0].pid
    fake.script_task(TaskScript(kind="character", character_id="char.dog"))

    task_id = await tasks.submit(
        GenerationRequest(kind="character", params={"pid": pid, "timestamps": "1,3"})
    )
    final = (await run_to_end(tasks, task_id))[-1]

    assert fake.requests_to(CREATE_CHAR)[0].json == {
        "pid": pid,
        "timestamps": "1,3",
        "webHook": "-1",
        "shutProgress": False,
    }
    assert final.status == "succeeded"
    assert final.results[0].character_id == "char.dog"
    assert final.results[0].url is None


async def test_character_from_uploaded_clip(
    fake: FakeGrsAI, tasks: GrsAITasks, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    task_id = await tasks.submit(
        GenerationRequest(kind="character", params={"timestamps": "0,2"}, references=[str(clip)])
    )
    final = (await run_to_end(tasks, task_id))[-1]

    body = fake.requests_to(UPLOAD_CHAR)[0].json
    assert decode_data_url(body["url"]) == ("video/mp4", MP4)
    assert (body["timestamps"], body["webHook"]) == ("0,2", "-1")
    assert final.status == "succeeded" and final.results[0].character_id


async def test_injected_reader_is_used(fake: FakeGrsAI, http: httpx.AsyncClient) -> None:
    seen: list[str] = []

    def read(path: str) -> bytes:
        seen.append(path)
        return png_bytes()

    tasks = GrsAITasks(JsonApi(http, fake.api_key, FailoverHosts([fake.base_url])), read)
    await tasks.submit(GenerationRequest(kind="image", prompt="x", references=["stored/1"]))
    assert seen == ["stored/1"]


async def test_failure_reason_surfaces(fake: FakeGrsAI, tasks: GrsAITasks) -> None:
    fake.script_task(
        TaskScript(
            kind="image", outcome="failed", failure_reason="output_moderation", error="输出违规"
        )
    )
    task_id = await tasks.submit(GenerationRequest(kind="image", prompt="x"))
    final = (await run_to_end(tasks, task_id))[-1]
    assert final.status == "failed"
    assert (final.failure_reason, final.error) == ("output_moderation", "输出违规")
    assert final.results == ()


# -- errors -----------------------------------------------------------------------------------


async def test_unknown_task_is_task_not_found(tasks: GrsAITasks) -> None:
    with pytest.raises(errors.TaskNotFound):
        await tasks.poll("no-such-task")


async def test_http_402_is_credits_exhausted(fake: FakeGrsAI, tasks: GrsAITasks) -> None:
    fake.script_task(TaskScript(kind="image", submit_status=402))
    with pytest.raises(errors.CreditsExhausted) as info:
        await tasks.submit(GenerationRequest(kind="image", prompt="x"))
    assert info.value.status == 402


async def test_http_401_is_auth_error(fake: FakeGrsAI, http: httpx.AsyncClient) -> None:
    tasks = GrsAITasks(JsonApi(http, "sk-wrong", FailoverHosts([fake.base_url])))
    with pytest.raises(errors.AuthError):
        await tasks.submit(GenerationRequest(kind="image", prompt="x"))
    with pytest.raises(errors.AuthError):
        await tasks.poll("anything")


async def test_code_with_credits_message_is_credits_exhausted(
    fake: FakeGrsAI, tasks: GrsAITasks
) -> None:
    fake.script_task(TaskScript(kind="video", submit_code=-1, submit_msg="积分不足，请充值"))
    with pytest.raises(errors.CreditsExhausted, match="积分不足"):
        await tasks.submit(GenerationRequest(kind="video", prompt="x"))


async def test_code_with_key_message_is_auth_error_and_hides_the_key(
    fake: FakeGrsAI, tasks: GrsAITasks
) -> None:
    fake.script_task(
        TaskScript(kind="image", submit_code=-1, submit_msg=f"invalid api key {fake.api_key}")
    )
    with pytest.raises(errors.AuthError) as info:
        await tasks.submit(GenerationRequest(kind="image", prompt="x"))
    assert fake.api_key not in str(info.value)
    assert fake.api_key not in info.value.detail


async def test_parameter_error_is_bad_request(fake: FakeGrsAI, tasks: GrsAITasks) -> None:
    # The fake refuses a 1:1 video with code -1 and "参数错误：…".
    with pytest.raises(errors.BadRequest, match="参数错误"):
        await tasks.submit(
            GenerationRequest(kind="video", prompt="x", params={"aspect_ratio": "1:1"})
        )


async def test_missing_task_id_is_ambiguous_so_never_sent_elsewhere(
    fake: FakeGrsAI, tasks: GrsAITasks
) -> None:
    # A 2xx without an id: the task may exist, so no fallback to another provider (paid twice).
    fake.fail_next(DRAW, 200, body={"code": 0, "msg": "success", "data": {}})
    with pytest.raises(errors.AmbiguousSubmit):
        await tasks.submit(GenerationRequest(kind="image", prompt="x"))


async def test_local_checks_refuse_before_any_request(
    fake: FakeGrsAI, tasks: GrsAITasks, tmp_path: Path
) -> None:
    with pytest.raises(errors.BadRequest, match="vip_sizes"):
        await tasks.submit(
            GenerationRequest(
                kind="image",
                prompt="x",
                params={"model": "nano-banana-pro-vip", "image_size": "4K"},
            )
        )
    not_image = tmp_path / "x.txt"
    not_image.write_bytes(b"hello, not an image")
    with pytest.raises(errors.BadRequest, match="unsupported reference image"):
        await tasks.submit(GenerationRequest(kind="image", prompt="x", references=[str(not_image)]))
    with pytest.raises(errors.BadRequest, match="unreadable"):
        await tasks.submit(
            GenerationRequest(kind="image", prompt="x", references=[str(tmp_path / "missing")])
        )
    with pytest.raises(errors.BadRequest):
        await tasks.submit(GenerationRequest(kind="character", params={"timestamps": "0,3"}))
    assert fake.requests == []


async def test_failover_skips_a_dead_first_host(fake: FakeGrsAI, http: httpx.AsyncClient) -> None:
    dead = f"http://127.0.0.1:{unused_port()}"
    hosts = FailoverHosts([dead, fake.base_url])
    tasks = GrsAITasks(JsonApi(http, fake.api_key, hosts))

    task_id = await tasks.submit(GenerationRequest(kind="image", prompt="x"))

    assert task_id in fake.task_ids("image")
    assert hosts.ordered()[0] == fake.base_url  # the dead host is now penalised
    assert (await run_to_end(tasks, task_id))[-1].status == "succeeded"


# -- pure helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "size", "ratio", "expected"),
    [
        ("nano-banana-pro", "4K", "21:9", None),
        ("nano-banana-pro-vip", "1K", "auto", None),
        ("nano-banana-pro-vip", "2K", "1:1", None),
        ("nano-banana-pro-vip", "4K", "1:1", "vip_sizes"),
        ("nano-banana-pro-4k-vip", "4K", "1:1", None),
        ("nano-banana-pro-4k-vip", "2K", "1:1", "4k_vip_size"),
        ("nano-banana-pro", "3K", "1:1", "bad_size"),
        ("nano-banana-pro", "1K", "7:5", "bad_ratio"),
        ("dall-e-3", "1K", "1:1", "bad_model"),
    ],
)
def test_check_image_options(model: str, size: str, ratio: str, expected: str | None) -> None:
    assert check_image_options(model, size, ratio) == expected


@pytest.mark.parametrize(
    ("data", "status", "progress", "n_results"),
    [
        ({"status": "running", "progress": "50", "results": None}, "running", 50, 0),
        ({"status": "RUNNING", "progress": "75%", "results": []}, "running", 75, 0),
        (
            {"status": "Succeeded", "progress": 100.0, "results": [{"url": "u"}]},
            "succeeded",
            100,
            1,
        ),
        ({"status": "SUCCESS", "progress": 130, "results": {"url": "u"}}, "succeeded", 100, 1),
        ({"status": "failed", "progress": -3}, "failed", 0, 0),
        ({"status": "queued", "progress": "n/a"}, "running", None, 0),
        ({}, "running", None, 0),
    ],
)
def test_parse_task_state_variants(
    data: dict[str, Any], status: str, progress: int | None, n_results: int
) -> None:
    state = parse_task_state(data)
    assert (state.status, state.progress, len(state.results)) == (status, progress, n_results)


def test_parse_task_state_fields() -> None:
    state = parse_task_state(
        {
            "status": "failed",
            "results": [{"url": "", "pid": "s_1", "character_id": None, "content": None}],
            "failure_reason": None,
            "error": "boom",
        }
    )
    item = state.results[0]
    assert (item.url, item.pid, item.character_id, item.content) == (None, "s_1", None, "")
    assert (state.failure_reason, state.error) == ("", "boom")


@pytest.mark.parametrize(
    ("code", "msg", "cls"),
    [
        (-22, "任务不存在", errors.TaskNotFound),
        (-1, "余额不足", errors.CreditsExhausted),
        (-1, "Insufficient credits", errors.CreditsExhausted),
        (-1, "密钥无效", errors.AuthError),
        (-1, "Unauthorized", errors.AuthError),
        (-1, "invalid token", errors.AuthError),
        (-1, "令牌已被禁用", errors.KeyForbidden),
        (-1, "prompt exceeds max tokens", errors.BadRequest),
        (-1, "参数错误：prompt 不能为空", errors.BadRequest),
        (402, "", errors.CreditsExhausted),
        (401, "", errors.AuthError),
    ],
)
def test_error_for_code(code: int, msg: str, cls: type[errors.ProviderError]) -> None:
    assert type(error_for_code(code, msg)) is cls
