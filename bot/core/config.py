"""Settings from the environment and `.env` (pydantic-settings). Secrets live only here.

Every setting is checked when it is read: a wrong value never starts the bot, and
`allowed(name)` says in Chinese what the setting accepts (the startup message quotes it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core import texts

GRSAI_DOMESTIC_HOST = "https://grsai.dakka.com.cn"
GRSAI_OVERSEAS_HOST = "https://grsaiapi.com"
RESHI_DEFAULT_BASE_URL = "https://www.reshi123.com/api/v1"

PROXY_SCHEMES = ("http://", "https://", "socks5://", "socks5h://")
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

CHAT_MODELS = ("gemini-3-pro", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite")

# The folder above bot/: its `.env` is read whatever the working directory.
REPO_ROOT = Path(__file__).resolve().parents[2]  # bot/core/config.py → the repository
ENV_FILE_VARIABLE = "BOT_ENV_FILE"

# What each setting allows (checked by the validators at the end of Settings).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CHOICES: dict[str, tuple[str, ...]] = {
    "log_level": LOG_LEVELS,
    "log_format": ("text", "json"),
    "unified_video_format": ("v2", "openai"),
}
# name -> (minimum, whether the minimum itself is allowed)
MINIMUMS: dict[str, tuple[float, bool]] = {
    **dict.fromkeys(
        ("provider_sync_timeout", "provider_connect_timeout", "provider_read_timeout",
         "stream_edit_interval", "group_stream_edit_interval", "media_group_wait",
         "job_poll_interval_image", "job_poll_interval_video", "job_poll_interval_character",
         "job_delivery_retry_min", "job_delivery_retry_max", "telegram_messages_per_second",
         "job_submit_connect_window",
         "chat_first_token_timeout", "chat_silence_timeout", "chat_total_timeout",
         "chat_draft_refresh"),
        (0, False),
    ),
    **dict.fromkeys(
        ("provider_models_ttl", "private_chat_interval", "job_status_interval",
         "video_status_interval", "group_user_cooldown", "quota_chat_per_day",
         "quota_images_per_day", "quota_videos_per_day", "media_retention_days",
         "job_queue_status_interval", "chat_queue_per_conversation", "shutdown_grace"),
        (0, True),
    ),
    **dict.fromkeys(
        ("provider_models_menu_max", "chat_history_messages", "chat_history_chars",
         "chat_max_prompt_chars", "group_messages_per_minute", "job_max_running",
         "job_max_per_user", "draw_max_references", "draw_max_reference_mb",
         "telegram_upload_limit_mb", "role_max_video_mb", "private_chat_burst",
         "telegram_max_uploads", "chat_max_streams", "http_api_connections",
         "http_download_connections", "job_delivery_max_failures"),
        (1, True),
    ),
}  # fmt: skip
# --- QQ video commands --- (0 switches each off, see Settings)
MINIMUMS.update(dict.fromkeys(("qq_progress_milestone_seconds", "qq_progress_milestones",
                               "qq_video_segment_max_mb"), (0, True)))  # fmt: skip
URL_SETTINGS = (
    "telegram_base_url", "telegram_base_file_url", "grsai_base_url", "grsai_fallback_base_url",
    "reshi_base_url", "unified_base_url", "juhe_base_url", "webhook_url", "grsai_callback_url",
    "console_public_url",
)  # fmt: skip
NOT_EMPTY = ("default_chat_model", "webhook_listen", "unified_image_model", "juhe_image_model",
             "onebot_ws_host", "console_host")  # fmt: skip
# A token from @BotFather: the bot's numeric id, a colon, 35 characters (30+ to be lenient).
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")


def allowed(name: str) -> str:
    """What setting `name` (field name) accepts, in Chinese, for the startup message."""
    if name in CHOICES:
        return texts.ALLOWED_CHOICES.format(choices="、".join(CHOICES[name]))
    if name in MINIMUMS:
        minimum, inclusive = MINIMUMS[name]
        field = Settings.model_fields[name]
        if field.annotation is int:
            return texts.ALLOWED_INT_MIN.format(min=int(minimum))
        return texts.ALLOWED_NUMBER_MIN.format(min=minimum) if inclusive else (
            texts.ALLOWED_NUMBER_POSITIVE
        )  # fmt: skip
    special = {
        "telegram_bot_token": texts.ALLOWED_TOKEN,
        "telegram_proxy": texts.ALLOWED_PROXY,
        "webhook_secret": texts.ALLOWED_WEBHOOK_SECRET,
        "webhook_port": texts.ALLOWED_PORT,
        "onebot_ws_port": texts.ALLOWED_PORT,
        "console_port": texts.ALLOWED_PORT_OR_OFF,
        "quota_timezone": texts.ALLOWED_TIMEZONE,
        "bot_admin_ids": texts.ALLOWED_IDS,
        "bot_allowed_ids": texts.ALLOWED_IDS,
        "bot_data_dir": texts.ALLOWED_PATH,
        "console_password_hash": texts.ALLOWED_PASSWORD_HASH,
    }
    if name in special:
        return special[name]
    if name in URL_SETTINGS:
        return texts.ALLOWED_URL
    field = Settings.model_fields.get(name)
    if field is not None and field.annotation is bool:
        return texts.ALLOWED_BOOL
    if field is not None and field.annotation is int:
        return texts.ALLOWED_INT_MIN.format(min=0)
    return texts.ALLOWED_NOT_EMPTY


def env_file() -> Path:
    """The settings file: BOT_ENV_FILE, else `.env` at the repository root when there is one,
    else `.env` in the working directory (an installed package has no repository root)."""
    named = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    if named:
        return Path(named).expanduser()
    root = REPO_ROOT / ".env"
    return root if root.is_file() else Path(".env")


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        from bot.core.identity import parse  # "123", "-100…", "qq:123", "qqgroup:456"

        return [parse(part) for part in value.replace(";", ",").split(",") if part.strip()]
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

    # Providers: each is switched on by its key; the routing lists pick who serves what, in
    # order (comma-separated names from grsai, reshi, unified, juhe). See docs/providers.md.
    reshi_api_key: SecretStr | None = None
    reshi_base_url: str = RESHI_DEFAULT_BASE_URL
    unified_api_key: SecretStr | None = None
    unified_base_url: str | None = None  # seed 003 names no host: required with the key
    unified_video_format: str = "v2"  # "v2" (/v2/videos/generations) or "openai" (/v1/videos)
    juhe_api_key: SecretStr | None = None
    juhe_base_url: str | None = None  # seed 004 names no host: required with the key
    chat_providers: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["grsai"])
    image_providers: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["grsai"])
    video_providers: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["grsai"])
    provider_models_ttl: float = 3600.0  # seconds a provider's /v1/models answer is reused
    provider_models_menu_max: int = 12  # chat models per provider shown by /model
    provider_sync_timeout: float = 300.0  # synchronous generations (reshi images) answer late

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
    group_stream_edit_interval: float = 3.0
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

    # Video
    # Videos take minutes: their status message is edited at most this often (seconds).
    video_status_interval: float = 15.0
    # Clips uploaded for a character are sent upstream as base64: keep them small.
    role_max_video_mb: int = 20

    log_level: str = "INFO"

    # Access, quotas, deployment
    # Users and groups (negative ids) allowed besides the admins; /allow and /deny add to it.
    bot_allowed_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    bot_public: bool = False  # true: everyone may use the bot, within the quotas
    quota_chat_per_day: int = 200
    quota_images_per_day: int = 50
    quota_videos_per_day: int = 10
    # (concurrent jobs per user: job_max_per_user above; the global cap: job_max_running)
    quota_timezone: str = "Asia/Shanghai"  # where a quota "day" starts and ends
    group_user_cooldown: float = 5.0  # seconds between two requests of one user in a group
    telegram_proxy: str | None = None  # http://… or socks5://…, for Telegram traffic only
    webhook_url: str | None = None  # set → webhook mode instead of long polling
    webhook_secret: SecretStr | None = None  # checked on every webhook request
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    log_format: str = "text"  # text | json (one JSON object per line)

    # --- jobs ---
    # A result (or status) Telegram did not take is sent again after this many seconds,
    # doubling up to the maximum, until it gets through (also after a restart).
    job_delivery_retry_min: float = 2.0
    job_delivery_retry_max: float = 300.0
    job_delivery_max_failures: int = 600  # then parked as undeliverable (about 50 h at the cap)
    # --- limits ---
    # Days a result, reference photo, clip or staged file is kept on disk (0 = forever); files
    # of unfinished jobs are always kept, replies to older results use Telegram's copy.
    media_retention_days: float = 14.0
    # --- chat images ---
    # /draw on the unified aggregator and 聚合API goes through the chat format to this model.
    unified_image_model: str = "gpt-4o-image"
    juhe_image_model: str = "gpt-4o-image"
    # --- budget ---
    private_chat_burst: int = 3  # messages a private chat may get at once (refill: interval)
    telegram_messages_per_second: float = 30.0  # the bot's global Telegram budget
    telegram_max_uploads: int = 8  # files being uploaded to Telegram at once
    job_queue_status_interval: float = 10.0  # a queued job's position is re-shown this rarely
    # Seconds a submit keeps retrying a provider it cannot connect to (nothing was sent) before
    # the job fails with "暂时连不上服务商": 90 s is what a user waits for a picture to start;
    # with one last connect attempt (≤ 2 hosts × PROVIDER_CONNECT_TIMEOUT) it ends within ~110 s.
    job_submit_connect_window: float = 90.0
    # Webhook mode: GrsAI POSTs finished tasks to <GRSAI_CALLBACK_URL or WEBHOOK_URL>/grsai/…
    grsai_callbacks: bool = True
    grsai_callback_url: str | None = None
    # --- chat scale ---
    # Upstream chat streams at once (each holds one connection of its own pool); more turns
    # wait for a free stream instead of failing.
    chat_max_streams: int = 1000
    # Messages of one conversation that may wait behind the answer being written.
    chat_queue_per_conversation: int = 3
    # Stream deadlines (seconds): gemini-3-pro may think ~30-60 s before its first token, so
    # 90 s; once text flows a 60 s silence means a stalled upstream (keep-alive comments do
    # not count as text); a whole answer gets 300 s (long answers finish in 1-3 min).
    chat_first_token_timeout: float = 90.0
    chat_silence_timeout: float = 60.0
    chat_total_timeout: float = 300.0
    # Telegram drops a draft not refreshed for 30 s: refresh a waiting one this often.
    chat_draft_refresh: float = 20.0
    # Connection pools by purpose: submits/polls/JSON calls, and result downloads.
    http_api_connections: int = 100
    http_download_connections: int = 20
    # Seconds SIGTERM waits for answers to end with their partial text (then they are cut).
    shutdown_grace: float = 5.0

    # --- qq ---
    # QQ through OneBot v11 (NapCat connects to the bot): on when ONEBOT_WS_PORT is set.
    onebot_ws_host: str = "127.0.0.1"
    onebot_ws_port: int | None = None
    onebot_access_token: SecretStr | None = None  # required when the host is not loopback
    # --- QQ video commands ---
    # QQ cannot edit a status: a long job gets one "仍在生成…" message each this many seconds,
    # at most QQ_PROGRESS_MILESTONES per job (0: none).
    qq_progress_milestone_seconds: int = 180
    qq_progress_milestones: int = 2
    # Larger videos go as a file upload (and, if refused, as a link); 0: always as a file.
    qq_video_segment_max_mb: int = 100

    # --- console ---
    # The web console (网页控制台): loopback by default (reach it through an SSH tunnel or a
    # TLS reverse proxy); 0 turns it off. Login links sent by /console start with the URL.
    console_host: str = "127.0.0.1"
    console_port: int = 8787
    console_public_url: str = "http://127.0.0.1:8787"
    # Optional password login (an scrypt hash made by `python -m bot console-password`): an
    # owner gets in without a /console link. A secret: masked on pages, scrubbed from logs.
    console_password_hash: SecretStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: object) -> object:
        """A blank optional setting (`TELEGRAM_BOT_TOKEN=` as .env.example leaves it) is the
        same as a missing one, so every `is None` test in the code means "not configured"."""
        if not isinstance(data, dict):
            return data
        optional = {name for name, f in cls.model_fields.items() if not f.is_required()
                    and f.default is None}  # fmt: skip

        def blank(key: object, value: object) -> bool:
            return str(key).lower() in optional and isinstance(value, str) and not value.strip()

        return {key: None if blank(key, value) else value for key, value in data.items()}

    @field_validator("onebot_ws_port")
    @classmethod
    def _check_onebot_port(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 65535:  # 0: any free port (tests)
            raise ValueError("port out of range")
        return value

    @field_validator("console_port")
    @classmethod
    def _check_console_port(cls, value: int) -> int:
        if not 0 <= value <= 65535:  # 0: the console is off
            raise ValueError("port out of range")
        return value

    @field_validator("console_password_hash")
    @classmethod
    def _check_password_hash(cls, value: SecretStr | None) -> SecretStr | None:
        from bot.core.console_password import is_valid_hash

        if value is not None and not is_valid_hash(value.get_secret_value()):
            raise ValueError("not a console password hash")
        return value

    @field_validator("console_public_url")
    @classmethod
    def _strip_console_url(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("bot_admin_ids", "bot_allowed_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator("telegram_proxy")
    @classmethod
    def _check_proxy(cls, value: str | None) -> str | None:
        if value is not None and not _is_url(value, PROXY_SCHEMES):
            raise ValueError("TELEGRAM_PROXY must start with http://, https:// or socks5://")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters A-Z a-z 0-9 _ - as the secret token.
        if value is not None and not WEBHOOK_SECRET_RE.fullmatch(value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET: 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("chat_providers", "image_providers", "video_providers", mode="before")
    @classmethod
    def _parse_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    # --- startup: value checks (the message comes from allowed(name)) ---
    @field_validator("log_level", "log_format", "unified_video_format", mode="before")
    @classmethod
    def _check_choice(cls, value: object, info: ValidationInfo) -> object:
        assert info.field_name is not None
        choices = CHOICES[info.field_name]
        text = str(value).strip()
        for choice in choices:
            if text.lower() == choice.lower():
                return choice
        raise ValueError(f"{info.field_name}: one of {choices}")

    @field_validator(*MINIMUMS)
    @classmethod
    def _check_minimum(cls, value: float, info: ValidationInfo) -> float:
        assert info.field_name is not None
        minimum, inclusive = MINIMUMS[info.field_name]
        if value < minimum or (value == minimum and not inclusive):
            raise ValueError(f"{info.field_name}: too small")
        return value

    @field_validator(*URL_SETTINGS)
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not _is_url(value, ("http://", "https://")):
            raise ValueError("an http(s) URL")
        return value

    @field_validator(*NOT_EMPTY)
    @classmethod
    def _check_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty")
        return value.strip()

    @field_validator("webhook_port")
    @classmethod
    def _check_port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("port out of range")
        return value

    @field_validator("quota_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value.strip()

    @property
    def db_path(self) -> Path:
        return self.bot_data_dir / "bot.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.bot_data_dir / "media"


def _is_url(url: str, schemes: tuple[str, ...]) -> bool:
    try:
        return url.startswith(schemes) and bool(urlsplit(url).hostname)
    except ValueError:
        return False
