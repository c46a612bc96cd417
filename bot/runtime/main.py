"""`python -m bot [run|check|console-password] [--help] [--version]`: check the configuration,
then hand the program to the runtime (bot/runtime/runtime.py), which runs every configured
platform. `console-password` prints the CONSOLE_PASSWORD_HASH line for a new console password.

Exit codes: 0 stopped by a signal (or `check` passed, or the hash was printed), 1 `check`
found a problem, no usable password was typed, or an unexpected crash, 2 the configuration is
wrong (bad or missing setting, token rejected, the QQ port ONEBOT_WS_PORT taken by another
program): the systemd unit does not restart on 2 (RestartPreventExitStatus=2).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import signal
import sys
from typing import NoReturn

from bot.core import redact, texts
from bot.core.config import Settings
from bot.core.logging_setup import setup_logging
from bot.onebot.protocol.transport import PortInUse
from bot.runtime.settings_check import load

log = logging.getLogger("bot.startup")

CONFIG_ERROR = 2
COMMANDS = ("run", "check", "console-password")


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
    parser.add_argument("command", nargs="?", choices=COMMANDS, default="run",
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
    """Every secret value in the settings, for the log filter (bot.core.redact.secrets_of: any
    SecretStr field, other engineers' keys included, plus the TELEGRAM_PROXY password)."""
    return redact.secrets_of(settings)


def main(argv: list[str] | None = None) -> None:
    try:
        start_bot(argv)
    except PortInUse as exc:  # an operator's problem, not a crash: one line, exit 2
        hold = "--hold-on-config-error" in (sys.argv[1:] if argv is None else argv)
        config_error([texts.ONEBOT_PORT_IN_USE.format(port=exc.port, host=exc.host)], hold)


def console_password() -> int:
    """Ask for the new password twice without echo (or read one line from a pipe) and print
    the .env line; the password itself goes nowhere else."""
    from bot.core.console_password import MIN_LENGTH, make_hash

    if sys.stdin.isatty():
        password = getpass.getpass(texts.PASSWORD_PROMPT)
        again = getpass.getpass(texts.PASSWORD_PROMPT_AGAIN)
        if password != again:
            print(texts.PASSWORD_MISMATCH, file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print(texts.PASSWORD_NONE, file=sys.stderr)
        return 1
    if len(password) < MIN_LENGTH:
        print(texts.PASSWORD_TOO_SHORT.format(min=MIN_LENGTH), file=sys.stderr)
        return 1
    # Single quotes: .env readers (python-dotenv, docker compose) then leave the `$`s alone.
    print(texts.PASSWORD_RESULT.format(line=f"CONSOLE_PASSWORD_HASH='{make_hash(password)}'"))
    return 0


def start_bot(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.command == "console-password":
        raise SystemExit(console_password())
    if args.command == "check":
        from bot.runtime.check import run_check

        raise SystemExit(run_check(offline=args.offline))
    settings = load_settings(hold=args.hold_on_config_error)
    setup_logging(settings.log_level, secrets_of(settings), fmt=settings.log_format)
    from bot.runtime.runtime import ConfigProblem, run_until_stopped  # after logging: PTB logs

    try:
        run_until_stopped(settings)  # every configured platform, as peers, until a signal
    except ConfigProblem as problem:  # e.g. Telegram rejected the token
        config_error([problem.line], args.hold_on_config_error)


if __name__ == "__main__":
    main()
