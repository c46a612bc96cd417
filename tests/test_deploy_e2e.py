"""Running it for real: the `python -m bot` process, SIGTERM, webhook mode, the Telegram proxy,
and logs that never show a secret."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.core import texts
from bot.core.logging_setup import setup_logging
from bot.runtime.main import secrets_of
from tests.fakes.grsai import CHAT_PATH, FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings, updates_handled
from tests.process import REPO, BotProcess, ForwardProxy, bot_env, free_port, launch

USER = 1001


def photos(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("photo")]


async def test_sigterm_during_a_job_then_restart_delivers_it_once(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    env = bot_env(tg, grsai, tmp_path / "data", JOB_POLL_INTERVAL_IMAGE="0.3")
    first = await launch(processes, env, tmp_path / "run")
    await tg.wait_for(lambda: bool(tg.calls_to("getUpdates")), timeout=60)  # a child process
    grsai.script_task(TaskScript(kind="image", progress=list(range(4, 101, 4))))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 重启也不会丢的猫")
    await tg.wait_for(
        lambda: any("%" in (c.params.get("text") or "") for c in tg.calls_to("editMessageText")),
        timeout=20,
    )
    code, took = await first.terminate()
    assert code == 0 and took < 10, first.log
    assert photos(tg, USER) == []  # stopped mid-job
    polls_before = len(grsai.requests_to("/v1/draw/result"))

    second = await launch(processes, env, tmp_path / "run")
    await tg.wait_for(lambda: len(photos(tg, USER)) == 1, timeout=90)  # a child process
    # The status says done after the photo went: the job's last step (a child process: no
    # access to its store, so its last visible act is the marker).
    await tg.wait_for(
        lambda: tg.bot_messages(USER)[0]["text"].splitlines()[-1].startswith("✅"), timeout=30
    )
    assert len(photos(tg, USER)) == 1
    assert len(grsai.submissions("image")) == 1  # polled again, never resubmitted (paid once)
    assert len(grsai.requests_to("/v1/draw/result")) > polls_before
    code, _ = await second.terminate()
    assert code == 0
    logs = first.log + second.log
    assert texts.LOG_RESUMED_UNFINISHED_JOBS % 1 in logs
    assert tg.token not in logs and grsai.api_key not in logs
    assert tg.token.split(":")[1] not in logs


async def test_webhook_accepts_the_right_secret_and_rejects_a_wrong_one(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    port, secret = free_port(), "hook-secret_0123456789"
    env = bot_env(
        tg, grsai, tmp_path / "data", WEBHOOK_URL="https://bot.example.com/tg/hook",
        WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port), WEBHOOK_SECRET=secret,
    )  # fmt: skip
    proc = await launch(processes, env, tmp_path / "run")
    await tg.wait_for(lambda: tg.webhook_url != "", timeout=20)
    [call] = [c for c in tg.calls_to("setWebhook") if c.ok]
    assert call.params["url"] == "https://bot.example.com/tg/hook"
    assert call.params["secret_token"] == secret
    tg.send_text(tg.private_chat(USER), USER, "/start")
    update = tg.pending_updates[-1]  # Telegram would POST this to the webhook
    url = f"http://127.0.0.1:{port}/tg/hook"
    async with httpx.AsyncClient() as client:
        for _ in range(100):  # the server starts right after setWebhook
            with contextlib.suppress(httpx.ConnectError):
                wrong = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                )
                break
            await asyncio.sleep(0.1)
        assert wrong.status_code == 403
        missing = await client.post(url, json=update)
        assert missing.status_code == 403
        await asyncio.sleep(0.5)
        assert tg.bot_messages(USER) == []
        right = await client.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )
        assert right.status_code == 200
    await tg.wait_for(lambda: len(tg.bot_messages(USER)) == 1)
    assert "你好" in tg.bot_messages(USER)[0]["text"]
    assert not [c for c in tg.calls if c.method == "getUpdates"]  # no polling in webhook mode
    code, took = await proc.terminate()
    assert code == 0 and took < 10, proc.log
    assert secret not in proc.log and tg.token not in proc.log


async def test_telegram_proxy_carries_telegram_traffic_only(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    async with ForwardProxy() as proxy:
        running = RunningBot(make_settings(tg, grsai, tmp_path / "data", telegram_proxy=proxy.url))
        await running.start()
        try:
            tg.send_text(tg.private_chat(USER), USER, "你好")
            await tg.wait_for(lambda: len(tg.bot_messages(USER)) == 1)
            await updates_handled(running, tg)  # the answer complete, the next poll sent
        finally:
            await running.stop()
    tg_host = httpx.URL(tg.base_url).netloc.decode()
    assert proxy.targets and all(httpx.URL(t).netloc.decode() == tg_host for t in proxy.targets)
    assert any("getUpdates" in t for t in proxy.targets)  # the long poll too
    assert len(grsai.requests_to(CHAT_PATH)) == 1  # the provider was reached directly


def test_socks5_proxy_is_handed_to_both_ptb_clients(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    from bot.tg.app import build_application

    proxy = "socks5://user:pass-9f8e7d@127.0.0.1:1080"
    app = build_application(make_settings(tg, grsai, tmp_path, telegram_proxy=proxy))
    requests = [app.bot.request, app.updater.bot.request] if app.updater else []
    assert len(requests) == 2
    for request in requests:
        assert str(request._client_kwargs["proxy"]) == proxy  # type: ignore[attr-defined]


def test_logs_never_show_a_secret(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path) -> None:
    settings = make_settings(
        tg, grsai, tmp_path, webhook_secret=SecretStr("webhook-secret-42"),
        telegram_proxy="socks5://alice:proxy-pass-77@127.0.0.1:1080",
    )  # fmt: skip
    stream = io.StringIO()
    setup_logging("INFO", secrets_of(settings), stream=stream)
    log = logging.getLogger("bot.test")
    token, key = tg.token, grsai.api_key
    log.info("calling %s/bot%s/getMe with key=%s", tg.base_url, token, key)
    log.warning("webhook secret webhook-secret-42 proxy socks5://alice:proxy-pass-77@host")
    try:
        raise RuntimeError(f"Authorization: Bearer {key} for https://api.telegram.org/bot{token}")
    except RuntimeError:
        log.exception("request failed")
    log.info("a foreign token in a URL: /bot987654:ABCdef-ghi_jkl/sendMessage")
    out = stream.getvalue()
    for secret in (token, token.split(":")[1], key, "webhook-secret-42", "proxy-pass-77",
                   "ABCdef-ghi_jkl"):  # fmt: skip
        assert secret not in out
    assert out.count("\n") == 4  # one line per event, the traceback folded into its line
    assert "RuntimeError" in out and "***" in out
    logging.getLogger().handlers.clear()


def test_env_example_documents_every_setting() -> None:
    """.env.example documents every setting of bot/core/config.py (other engineers add some too)."""
    from bot.core.config import Settings

    example = (REPO / ".env.example").read_text("utf-8")
    names = {line.split("=", 1)[0].lstrip("# ").strip() for line in example.splitlines()
             if "=" in line}  # fmt: skip
    missing = [n.upper() for n in Settings.model_fields if n.upper() not in names]
    assert missing == []
    Settings(_env_file=REPO / ".env.example")  # type: ignore[call-arg]  # and it loads as is
    assert texts.ACCESS_DENIED  # the refusal text exists (used by the gate)


def test_json_logs_are_one_object_per_line_with_the_update_ids() -> None:
    import json

    from bot.core.logging_setup import bind_log_context

    stream = io.StringIO()
    setup_logging("INFO", ["sk-json-secret-1"], stream=stream, fmt="json")
    bind_log_context(user=1001, chat=-100500)
    logging.getLogger("bot.test").info("job %s started key=%s", 7, "sk-json-secret-1")
    bind_log_context()
    logging.getLogger().handlers.clear()
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["user"] == 1001 and entry["chat"] == -100500
    assert entry["msg"] == "job 7 started key=***" and entry["level"] == "INFO"


def test_short_secrets_and_the_decoded_proxy_password_never_reach_a_log(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    """A secret under 6 characters is still masked where a secret stands (key=value, URLs,
    Bearer), without masking the same letters inside ordinary words; a percent-encoded proxy
    password is masked both as written and decoded."""
    settings = make_settings(
        tg, grsai, tmp_path, webhook_secret=SecretStr("k9Z"),
        telegram_proxy="socks5://alice:p%40ss%3Aw0rd@127.0.0.1:1080",
    )  # fmt: skip
    stream = io.StringIO()
    setup_logging("INFO", secrets_of(settings), stream=stream)
    log = logging.getLogger("bot.test")
    log.info("setWebhook secret_token=k9Z url=https://x.example/hook?secret=k9Z&a=1")
    log.info("header X-Telegram-Bot-Api-Secret-Token: k9Z")
    log.info("proxy socks5://alice:p%40ss%3Aw0rd@127.0.0.1:1080 password p@ss:w0rd")
    log.info("ordinary words stay: k9Zebra")
    out = stream.getvalue()
    logging.getLogger().handlers.clear()
    assert "=k9Z" not in out and ": k9Z\n" not in out and "k9Z&" not in out
    assert "p%40ss%3Aw0rd" not in out and "p@ss:w0rd" not in out
    assert "k9Zebra" in out  # a short secret is not masked inside a longer word
