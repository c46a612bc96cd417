"""`python -m bot`: check the configuration, then run the bot with long polling."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from bot import texts
from bot.config import Settings
from bot.logging_setup import setup_logging

REQUIRED = (("telegram_bot_token", "TELEGRAM_BOT_TOKEN"), ("grsai_api_key", "GRSAI_API_KEY"))


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
    return settings


def secrets_of(settings: Settings) -> list[str]:
    return [
        value.get_secret_value()
        for value in (settings.telegram_bot_token, settings.grsai_api_key)
        if value is not None
    ]


def main() -> None:
    settings = load_settings()
    setup_logging(settings.log_level, secrets_of(settings))
    from bot.tg.app import build_application  # after logging: PTB logs while importing

    app = build_application(settings)
    app.run_polling(allowed_updates=["message", "edited_message", "callback_query"])


if __name__ == "__main__":
    main()
