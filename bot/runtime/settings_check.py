"""Reading the settings for `python -m bot` and `check`: every problem as one Chinese line.

Rules: a line names the setting, the value given (never the value of a secret) and what is
allowed; nothing here prints, exits or touches the network.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr, ValidationError

from bot.core import texts
from bot.core.config import CHAT_MODELS, ENV_FILE_VARIABLE, TOKEN_RE, Settings, allowed, env_file

# Required whatever the routing; provider keys are required by the routing lists (below).
# Telegram is optional when QQ is on (ONEBOT_WS_PORT): at least one of the two is required.
REQUIRED = (("telegram_bot_token", "TELEGRAM_BOT_TOKEN"),)
# Chat models known without asking a provider; the others list theirs over the network.
FIXED_CHAT_MODELS = {"grsai": CHAT_MODELS}
SECRET_NAMES = ("TOKEN", "KEY", "SECRET", "PASSWORD")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")  # a proxy URL's password


@dataclass
class Loaded:
    settings: Settings | None
    source: Path | None  # the .env read, None when there was none
    problems: list[str] = field(default_factory=list)


def load() -> Loaded:
    path = env_file()
    source = path.resolve() if path.is_file() else None
    if source is None and os.environ.get(ENV_FILE_VARIABLE, "").strip():
        return Loaded(None, None, [texts.STARTUP_ENV_FILE_MISSING.format(path=path)])
    try:
        settings = Settings(_env_file=source)  # type: ignore[call-arg]
    except ValidationError as exc:
        return Loaded(None, source, validation_problems(exc))
    return Loaded(settings, source, startup_problems(settings))


def validation_problems(exc: ValidationError) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for error in exc.errors():
        name = str(error.get("loc", ("?",))[0])
        if name in seen:
            continue
        seen.add(name)
        lines.append(bad_value(name, error.get("input")))
    return lines


def bad_value(name: str, value: object) -> str:
    env_name = name.upper()
    if isinstance(value, SecretStr) or any(word in env_name for word in SECRET_NAMES):
        detail = texts.STARTUP_BAD_HIDDEN.format(name=env_name, allowed=allowed(name))
    else:
        shown = _URL_PASSWORD.sub(r"\1***@", str(value))
        detail = texts.STARTUP_BAD_VALUE.format(name=env_name, value=shown, allowed=allowed(name))
    return texts.STARTUP_BAD_SETTING.format(detail=detail)


def startup_problems(settings: Settings) -> list[str]:
    """What a valid Settings still cannot run with: missing or malformed token, routing lists
    that name unknown or keyless providers, a default chat model nobody serves."""
    problems: list[str] = []
    for attr, env_name in REQUIRED:
        value = getattr(settings, attr)
        if value is None or not value.get_secret_value().strip():
            if attr == "telegram_bot_token" and settings.onebot_ws_port is not None:
                continue  # QQ alone
            if attr == "telegram_bot_token":
                problems.append(texts.STARTUP_NO_PLATFORM)
                continue
            problems.append(texts.STARTUP_MISSING_SETTING.format(name=env_name))
        elif attr == "telegram_bot_token" and not TOKEN_RE.fullmatch(value.get_secret_value()):
            problems.append(bad_value(attr, value))
    if qq := onebot_line(settings):
        problems.append(qq)
    if routing := routing_line(settings):
        problems.append(routing)
    elif model := chat_model_line(settings):
        problems.append(model)
    return problems


def routing_line(settings: Settings) -> str | None:
    from bot.core.providers.registry import PROVIDERS, routing_problem

    problem = routing_problem(settings)
    if problem is None:
        return None
    kind, detail = problem
    if kind == "missing":
        return texts.STARTUP_MISSING_SETTING.format(name=detail)
    if kind == "cannot":
        return texts.STARTUP_PROVIDER_CANNOT.format(detail=detail)
    return texts.STARTUP_UNKNOWN_PROVIDER.format(detail=detail, names=", ".join(PROVIDERS))


def chat_model_line(settings: Settings) -> str | None:
    """DEFAULT_CHAT_MODEL must be a model of the chat providers; a provider that lists its
    models over the network may serve any name, so only all-fixed routes are checked."""
    route = settings.chat_providers
    if any(name not in FIXED_CHAT_MODELS for name in route):
        return None
    known = [model for name in route for model in FIXED_CHAT_MODELS[name]]
    if settings.default_chat_model in known:
        return None
    detail = texts.STARTUP_BAD_VALUE.format(
        name="DEFAULT_CHAT_MODEL", value=settings.default_chat_model,
        allowed=texts.ALLOWED_MODEL.format(models="、".join(dict.fromkeys(known))),
    )  # fmt: skip
    return texts.STARTUP_BAD_SETTING.format(detail=detail)


def onebot_line(settings: Settings) -> str | None:
    """QQ on a host other than loopback needs ONEBOT_ACCESS_TOKEN (else anyone could connect)."""
    from bot.onebot.protocol.config import is_loopback

    if settings.onebot_ws_port is None:
        return None
    token = settings.onebot_access_token
    if (token is None or not token.get_secret_value().strip()) and not is_loopback(
        settings.onebot_ws_host
    ):
        return texts.ONEBOT_NEEDS_TOKEN.format(host=settings.onebot_ws_host)
    return None
