"""Report helpers shared by the benchmarks: number formats, machine/code info, docs sections."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"
DOC_TITLE = "# 基准测试 (benchmarks)"


# --------------------------------------------------------------------------------- numbers


def vals(values: Iterable[float]) -> list[float]:
    """The values without NaN (a failed measurement)."""
    return [v for v in values if v == v]


def med_max(values: Iterable[float], fmt: Callable[[float], str]) -> str:
    """``"median / max"`` of the non-NaN values, each through `fmt`; "–" when there are none."""
    kept = vals(values)
    if not kept:
        return "–"
    return f"{fmt(statistics.median(kept))} / {fmt(max(kept))}"


def ms(v: float) -> str:
    """Seconds as whole milliseconds: ``"123 ms"``."""
    return f"{v * 1000:.0f} ms"


def secs(v: float) -> str:
    """Seconds with two decimals: ``"1.23 s"``."""
    return f"{v:.2f} s"


def num(v: float) -> str:
    """A count or plain number, shortest form: ``"3"``, ``"2.5"``."""
    return f"{v:g}"


def mb(kb: float) -> str:
    """Kilobytes as megabytes with one decimal: ``"12.3 MB"``."""
    return f"{kb / 1024:.1f} MB"


# --------------------------------------------------------------------------------- environment


def git(*args: str) -> str:
    """Output of a read-only git command in the repo ("" on failure). Only trailing whitespace
    is stripped, so the first line of ``git status --porcelain`` keeps its leading blank."""
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.rstrip()


def code_version(watched: Iterable[str], clean: str) -> str:
    """HEAD plus which of the `watched` paths have uncommitted changes (`clean` describes them
    when none has), and how many other paths under bot/ do."""
    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = [line[3:] for line in git("status", "--porcelain", "--", *watched).splitlines()]
    others = len(git("status", "--porcelain", "--", "bot").splitlines()) - len(dirty)
    text = f"HEAD {head}"
    if dirty:
        text += f"; uncommitted changes in {', '.join(dirty)}"
    else:
        text += f"; {clean}"
    if others > 0:
        text += f" ({others} other uncommitted paths under bot/)"
    return text


def machine() -> dict[str, str]:
    """nproc, RAM, Python, platform and python-telegram-bot version of this machine."""
    try:
        import telegram

        ptb = telegram.__version__
    except (ImportError, AttributeError):
        ptb = "?"
    mem = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/meminfo", encoding="ascii") as f:
            mem = f"{int(f.readline().split()[1]) / 1024**2:.0f} GB RAM"
    return {
        "nproc": str(os.cpu_count()),
        "mem": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "ptb": ptb,
    }


def command(module: str, argv: list[str]) -> str:
    """The shell command that reruns `module` with `argv`, run from the repo root (no absolute
    path: the docs must not name the machine they were measured on)."""
    exe = Path(sys.executable)
    with contextlib.suppress(ValueError):
        exe = exe.relative_to(REPO)
    args = " ".join(argv)
    return f"{exe} -m {module}" + (f" {args}" if args else "")


# --------------------------------------------------------------------------------- docs


def write_section(doc_path: Path, start_marker: str, end_marker: str, text: str) -> None:
    """Replace the first `start_marker`…`end_marker` block of `doc_path` with `text` (which
    carries the markers itself), or append `text` if there is no such block."""
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    if doc_path.exists():
        old = doc_path.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(start_marker) + r".*?" + re.escape(end_marker), re.DOTALL)
        if pattern.search(old):
            new = pattern.sub(lambda _m: text, old, count=1)
        else:
            new = old.rstrip("\n") + "\n\n" + text + "\n"
    else:
        new = DOC_TITLE + "\n\n" + text + "\n"
    doc_path.write_text(new, encoding="utf-8")
