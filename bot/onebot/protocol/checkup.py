"""`python -m bot check`'s QQ items: the port, the token, and whether NapCat has connected.

Rules: nothing here touches the network beyond binding the port for a moment; the running bot's
record (BOT_DATA_DIR/onebot.json, written by bot/onebot/protocol/transport.py) says which account
connected and when; each item is (kind, what, fix) with kind "ok", "fail" or "note" (a note
does not fail the check: before the first start no NapCat can have connected yet).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from typing import Any

from bot.core import texts
from bot.core.config import Settings
from bot.onebot.protocol.config import DEFAULT_PATH, STATE_FILE, is_loopback

Item = tuple[str, str, str]


def qq_items(settings: Settings) -> list[Item]:
    if settings.onebot_ws_port is None:
        return []
    host, port = settings.onebot_ws_host, settings.onebot_ws_port
    state = _state(settings)
    running = _running(state, port)
    items: list[Item] = []
    problem = _bind(host, port)
    if problem is None:
        items.append(("ok", texts.CHECK_QQ_PORT_FREE.format(host=host, port=port), ""))
        running = False  # a record of a bot that no longer listens
    elif problem.errno == errno.EADDRINUSE and running:
        items.append(("ok", texts.CHECK_QQ_PORT_RUNNING.format(host=host, port=port), ""))
    elif problem.errno == errno.EADDRINUSE:
        items.append(("fail", texts.CHECK_QQ_PORT_IN_USE.format(port=port),
                      texts.CHECK_QQ_PORT_IN_USE_FIX))  # fmt: skip
        running = False
    else:
        what = texts.CHECK_QQ_PORT_BAD_HOST.format(host=host, port=port,
                                                  reason=problem.strerror or problem)  # fmt: skip
        items.append(("fail", what, texts.CHECK_QQ_PORT_BAD_HOST_FIX))
        return items
    if settings.onebot_access_token is not None and not is_loopback(host):
        items.append(("ok", texts.CHECK_QQ_TOKEN_SET, ""))
    items.append(_connection(settings, state, running))
    return items


def napcat_fix(settings: Settings) -> str:
    """The NapCat setting that connects it to this bot, written out."""
    host = settings.onebot_ws_host
    shown = texts.CHECK_QQ_ANY_HOST if host in ("0.0.0.0", "::", "") else host
    url = f"ws://{shown}:{settings.onebot_ws_port}{DEFAULT_PATH}"
    token = (texts.CHECK_QQ_TOKEN_VALUE if settings.onebot_access_token is not None
             else texts.CHECK_QQ_TOKEN_EMPTY)  # fmt: skip
    return texts.CHECK_QQ_NAPCAT_FIX.format(url=url, token=token)


def _connection(settings: Settings, state: dict[str, Any], running: bool) -> Item:
    connected = state.get("connected") if isinstance(state.get("connected"), dict) else None
    disconnected = state.get("disconnected") if isinstance(state.get("disconnected"), dict) else {}
    listening = state.get("listening") or {}
    fix = napcat_fix(settings)
    if connected is None:
        if running:
            return "fail", texts.CHECK_QQ_NOT_CONNECTED, fix
        return "note", texts.CHECK_QQ_NEVER, fix
    account = connected.get("self_id", "?")
    at = float(connected.get("at", 0) or 0)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
    if not running:
        return "note", texts.CHECK_QQ_LAST_SEEN.format(account=account, when=when), fix
    since_start = at >= float(listening.get("at", 0) or 0)
    still = float((disconnected or {}).get("at", 0) or 0) < at
    if since_start and still:
        role = connected.get("role", "Universal")
        return "ok", texts.CHECK_QQ_CONNECTED.format(account=account, role=role, when=when), ""
    return "fail", texts.CHECK_QQ_NOT_CONNECTED_LAST.format(account=account, when=when), fix


def _state(settings: Settings) -> dict[str, Any]:
    try:
        state = json.loads((settings.bot_data_dir / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _running(state: dict[str, Any], port: int) -> bool:
    """The record names a live process that listens on this port (the running bot)."""
    listening = state.get("listening")
    if not isinstance(listening, dict) or listening.get("port") != port:
        return False
    pid = listening.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def _bind(host: str, port: int) -> OSError | None:
    """None if the port could be listened on now (it is released at once)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            sock.bind(address)
        except OSError as exc:
            return exc
    return None
