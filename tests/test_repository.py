"""The repository is self-contained: a fresh clone on another machine runs every test."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Absolute folders of a build machine, or the workspace's shared folder beside the repo.
# Spelled in pieces so that this line does not itself match (the same pattern, unchanged).
_ROOTS = "|".join("/" + part for part in ("work/", "root/", r"home/\w+/"))
MACHINE_PATH = re.compile(r"(?<![\w.])(" + _ROOTS + r"|\.\./shared/)")
SKIP_SUFFIXES = {".json", ".png", ".jpg", ".mp4"}


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [REPO / line for line in out.splitlines() if line]


def test_no_committed_file_names_a_path_of_the_machine_it_was_written_on() -> None:
    offenders = []
    for path in tracked_files():
        if path.suffix in SKIP_SUFFIXES or not path.is_file() or "specs" in path.parts:
            continue
        if path == Path(__file__).resolve():  # the pattern itself
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for number, line in enumerate(text.splitlines(), start=1):
            if MACHINE_PATH.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:80]}")
    assert offenders == []


def test_the_telegram_spec_the_fake_checks_against_is_in_the_repository() -> None:
    from tests.fakes.telegram import SPEC_PATH

    assert SPEC_PATH.is_file()
    assert REPO in SPEC_PATH.resolve().parents
