"""Settings from the environment and `.env` (pydantic-settings). Secrets live only here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

GRSAI_DOMESTIC_HOST = "https://grsai.dakka.com.cn"
GRSAI_OVERSEAS_HOST = "https://grsaiapi.com"

CHAT_MODELS = ("gemini-3-pro", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite")


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    """Every knob of the bot; names are a contract (see README)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"

    grsai_api_key: SecretStr | None = None
    grsai_base_url: str = GRSAI_DOMESTIC_HOST
    grsai_fallback_base_url: str = GRSAI_OVERSEAS_HOST

    bot_data_dir: Path = Path("./data")
    bot_admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    # Chat behaviour
    default_chat_model: str = "gemini-2.5-flash"
    chat_system_prompt: str = "你是一个乐于助人的中文助手。除非用户要求，否则请用简体中文回答。"
    # Memory bound: the last N messages (user + assistant) and at most this many characters are
    # sent upstream; older turns are dropped first and deleted from storage.
    chat_history_messages: int = 20
    chat_history_chars: int = 24000
    chat_max_prompt_chars: int = 8000

    # Upstream HTTP timeouts (seconds)
    provider_connect_timeout: float = 10.0
    provider_read_timeout: float = 60.0

    # Telegram pacing: seconds between visible updates of one streamed answer
    stream_edit_interval: float = 1.0
    private_chat_interval: float = 1.0
    group_messages_per_minute: int = 20
    media_group_wait: float = 1.2

    # Generation jobs
    job_poll_interval_image: float = 1.5
    job_poll_interval_video: float = 6.0
    job_poll_interval_character: float = 3.0
    job_status_interval: float = 2.0  # minimum seconds between two edits of a status message
    job_max_running: int = 200
    job_max_per_user: int = 3
    draw_max_references: int = 6
    draw_max_reference_mb: int = 10
    # Videos above the Bot API upload limit (50 MB) need a local Bot API server (2 GB).
    telegram_local_mode: bool = False
    telegram_upload_limit_mb: int = 50

    log_level: str = "INFO"

    @field_validator("bot_admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_ids(value)

    @property
    def db_path(self) -> Path:
        return self.bot_data_dir / "bot.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.bot_data_dir / "media"
