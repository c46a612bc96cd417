"""`python -m bot`: check the configuration, then run the bot (long polling or webhook)."""

from __future__ import annotations

import secrets
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from bot import texts
from bot.config import Settings
from bot.logging_setup import setup_logging

if TYPE_CHECKING:
    from telegram.ext import Application

# Provider keys are required only for providers named in a routing list: check_providers().
REQUIRED = (("telegram_bot_token", "TELEGRAM_BOT_TOKEN"),)


def load_settings() -> Settings:
    """Settings, or a one-line Chinese message and exit code 2."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "_".join(str(p) for p in first.get("loc", ())).upper() or "?"
        print(texts.STARTUP_BAD_SETTING.format(detail=name), file=sys.stderr)
        raise SystemExit(2) from None
    for attr, env_name in REQUIRED:
        value = getattr(settings, attr)
        if value is None or not value.get_secret_value().strip():
            print(texts.STARTUP_MISSING_SETTING.format(name=env_name), file=sys.stderr)
            raise SystemExit(2)
    check_providers(settings)
    return settings


def check_providers(settings: Settings) -> None:
    """CHAT/IMAGE/VIDEO_PROVIDERS name known providers that can do the work and whose key (and
    base URL, where the docs give none) is set; else a Chinese message and exit code 2."""
    from bot.providers.registry import PROVIDERS, routing_problem

    problem = routing_problem(settings)
    if problem is None:
        return
    kind, detail = problem
    if kind == "missing":
        message = texts.STARTUP_MISSING_SETTING.format(name=detail)
    elif kind == "cannot":
        message = texts.STARTUP_PROVIDER_CANNOT.format(detail=detail)
    else:
        message = texts.STARTUP_UNKNOWN_PROVIDER.format(detail=detail, names=", ".join(PROVIDERS))
    print(message, file=sys.stderr)
    raise SystemExit(2)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings, for the log filter: any SecretStr field (other
    engineers' keys included) plus the password of a TELEGRAM_PROXY URL."""
    found = [
        value.get_secret_value()
        for value in (getattr(settings, name) for name in type(settings).model_fields)
        if isinstance(value, SecretStr)
    ]
    if settings.telegram_proxy:
        password = urlsplit(settings.telegram_proxy).password
        if password:
            found.append(password)
    return found


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, or a random one per start (setWebhook sends it to Telegram anyway)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)


def run(app: Application, settings: Settings) -> None:
    """Long polling, or a webhook when WEBHOOK_URL is set. Both stop on SIGINT/SIGTERM:
    no new updates are taken, running handlers finish, jobs stay durable in SQLite."""
    allowed = ["message", "edited_message", "callback_query"]
    if settings.webhook_url:
        from bot.tg.webhook import grsai_callbacks, serve_callbacks

        if callbacks := grsai_callbacks(settings):  # GrsAI results POSTed next to the webhook
            serve_callbacks(app, callbacks)
        secret = webhook_secret(settings)
        # PTB serves http://WEBHOOK_LISTEN:WEBHOOK_PORT/<path of WEBHOOK_URL>; TLS is the
        # reverse proxy's job. Requests without the secret header get 403.
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=allowed,
        )
        return
    app.run_polling(allowed_updates=allowed)


def main() -> None:
    settings = load_settings()
    setup_logging(settings.log_level, secrets_of(settings), fmt=settings.log_format)
    from bot.tg.app import build_application  # after logging: PTB logs while importing

    run(build_application(settings), settings)


if __name__ == "__main__":
    main()
