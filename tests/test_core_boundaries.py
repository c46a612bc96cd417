"""Core modules stay platform-free: Telegram and QQ adapters import the core, never the
other way round (bot/identity.py encodes both platforms' ids as plain integers)."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
CORE = ("chat", "jobs", "providers", "store", "access.py", "identity.py", "texts.py")
PLATFORM = ("telegram", "bot.tg", "bot.onebot")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_core_modules_import_no_platform_code() -> None:
    files: list[Path] = []
    for name in CORE:
        target = BOT / name
        files += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert len(files) > 10
    offenders = [
        f"{path.relative_to(BOT)}: {name}"
        for path in files
        for name in _imports(path)
        if name == "telegram" or name.startswith(tuple(p + "." for p in PLATFORM))
        or name in PLATFORM
    ]
    assert offenders == []
