"""`python -m bot [run|check] [--help] [--version]`: check the configuration, reach Telegram,
then run the bot (long polling or webhook).

Exit codes: 0 stopped by a signal (or `check` passed), 1 `check` found a problem or an
unexpected crash, 2 the configuration is wrong (bad or missing setting, token rejected, the
QQ port ONEBOT_WS_PORT taken by another program): the systemd unit does not restart on 2
(RestartPreventExitStatus=2).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from bot import redact, texts
from bot.config import Settings
from bot.logging_setup import setup_logging
from bot.onebot.transport import PortInUse
from bot.settings_check import load

if TYPE_CHECKING:
    from telegram.ext import Application, ContextTypes

log = logging.getLogger("bot.startup")

CONFIG_ERROR = 2
HEARTBEAT_FILE = "heartbeat"  # touched while the bot runs: the container health check reads it
HEARTBEAT_SECONDS = 30.0


class ChineseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, prefix=texts.CLI_USAGE)


class ChineseParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, texts.CLI_ERROR.format(prog=self.prog, message=" ".join(sys.argv[1:])) + "\n")


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("banana-sora-bot")
    except PackageNotFoundError:  # run from a copy of the sources without installing
        return "0+unknown"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = ChineseParser(
        prog="python -m bot", description=texts.CLI_DESCRIPTION, epilog=texts.CLI_EPILOG,
        formatter_class=ChineseHelpFormatter, add_help=False,
    )  # fmt: skip
    parser._positionals.title = texts.CLI_ARGUMENTS
    parser._optionals.title = texts.CLI_OPTIONS
    parser.add_argument("command", nargs="?", choices=("run", "check"), default="run",
                        help=texts.CLI_HELP_COMMAND)  # fmt: skip
    parser.add_argument("-h", "--help", action="help", help=texts.CLI_HELP_HELP)
    parser.add_argument("--version", action="version", help=texts.CLI_HELP_VERSION,
                        version=f"banana-sora-bot {package_version()}")  # fmt: skip
    parser.add_argument("--offline", action="store_true", help=texts.CLI_HELP_OFFLINE)
    parser.add_argument("--hold-on-config-error", action="store_true", help=texts.CLI_HELP_HOLD)
    return parser.parse_args(argv)


def config_error(lines: list[str], hold: bool) -> NoReturn:
    """Each problem on one line, then exit 2, or (in a container) wait for a stop signal so
    the container does not restart for ever on a configuration error."""
    for line in lines:
        print(line, file=sys.stderr, flush=True)
    if hold:
        print(texts.STARTUP_HOLDING, file=sys.stderr, flush=True)
        stop = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # also works as PID 1 in a container
        signal.sigwait(stop)
    raise SystemExit(CONFIG_ERROR)


def load_settings(hold: bool = False) -> Settings:
    """Settings, or one Chinese line per problem and exit code 2."""
    loaded = load()
    if loaded.problems or loaded.settings is None:
        config_error(loaded.problems, hold)
    return loaded.settings


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings, for the log filter (bot.redact.secrets_of: any
    SecretStr field, other engineers' keys included, plus the TELEGRAM_PROXY password)."""
    return redact.secrets_of(settings)


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


def reach_telegram(app: Application, settings: Settings) -> bool:
    """Wait (on the loop PTB will run on) until Telegram answers; False if stopped first.
    Raises TokenRejected."""
    from bot.tg.startup import wait_for_telegram

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling/run_webhook pick this loop up
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        return loop.run_until_complete(wait_for_telegram(app, settings, stop))
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def keep_heartbeat(app: Application, settings: Settings) -> None:
    """Touch BOT_DATA_DIR/heartbeat while the bot runs (Docker HEALTHCHECK looks at its age)."""
    path = settings.bot_data_dir / HEARTBEAT_FILE

    async def beat(_: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            path.touch()
        except OSError as exc:
            log.warning(texts.LOG_CANNOT_TOUCH, path, exc)

    assert app.job_queue is not None
    app.job_queue.run_repeating(beat, interval=HEARTBEAT_SECONDS, first=0.5)


def main(argv: list[str] | None = None) -> None:
    try:
        start_bot(argv)
    except PortInUse as exc:  # an operator's problem, not a crash: one line, exit 2
        hold = "--hold-on-config-error" in (sys.argv[1:] if argv is None else argv)
        config_error([texts.ONEBOT_PORT_IN_USE.format(port=exc.port, host=exc.host)], hold)


def start_bot(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.command == "check":
        from bot.check import run_check

        raise SystemExit(run_check(offline=args.offline))
    settings = load_settings(hold=args.hold_on_config_error)
    setup_logging(settings.log_level, secrets_of(settings), fmt=settings.log_format)
    if settings.telegram_bot_token is None and settings.onebot_ws_port is not None:
        from bot.onebot.adapter import run_alone

        run_alone(settings)  # QQ only (the settings check allowed no Telegram token)
        return
    from bot.tg.app import build_application  # after logging: PTB logs while importing
    from bot.tg.startup import TokenRejected

    app = build_application(settings)
    try:
        if not reach_telegram(app, settings):
            return  # stopped while waiting: nothing was started
    except TokenRejected:
        line = texts.STARTUP_TOKEN_INVALID.format(base=settings.telegram_base_url)
        config_error([line], args.hold_on_config_error)
    keep_heartbeat(app, settings)
    run(app, settings)


if __name__ == "__main__":
    main()
