"""scripts/start.sh and scripts/test.sh: install only when needed, repair a broken .venv.

The scripts run for real (bash) in a copy of the repository, with a fake `python3` on PATH and
a fake `.venv/bin/python` that log what they were asked to do: no package index is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process import REPO

# The fake interpreter of the venv: `-c` runs the real Python (the stamp hash), pip and ensurepip
# only log; .venv/nopip makes `pip --version` fail like a venv created without pip.
FAKE_VENV_PYTHON = """#!/bin/sh
echo "venv-python $*" >>"$CALLS"
case "$1" in
  -c) exec "$REAL_PYTHON" "$@" ;;
  -m)
    case "$2" in
      pip) [ -e .venv/nopip ] && exit 1
           [ "$3" = install ] && echo "pip-index ${PIP_INDEX_URL:-default}" >>"$CALLS"
           exit 0 ;;
      ensurepip) rm -f .venv/nopip; exit 0 ;;
      bot) shift 2; echo "BOT STARTED $* launcher=${BOT_LAUNCHER:-}"; exit 0 ;;
      *) exit 0 ;;
    esac ;;
esac
"""
FAKE_SYSTEM_PYTHON = """#!/bin/sh
echo "python3 $*" >>"$CALLS"
case "$1" in
  -c) exec "$REAL_PYTHON" "$@" ;;
  -m) mkdir -p .venv/bin && cp "$FAKE_VENV_PYTHON" .venv/bin/python && exit 0 ;;
esac
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "scripts", repo / "scripts")
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n', "utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("python3", FAKE_SYSTEM_PYTHON), ("venv-python", FAKE_VENV_PYTHON)):
        (bin_dir / name).write_text(text, "utf-8")
        (bin_dir / name).chmod(0o755)
    return repo


def run_script(repo: Path, script: str, *args: str, expect: int = 0,
               **env_extra: str) -> tuple[str, list[str]]:  # fmt: skip
    """(output, the interpreter calls made) of one run."""
    calls = repo.parent / "calls.log"
    calls.unlink(missing_ok=True)
    bin_dir = repo.parent / "bin"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "CALLS": str(calls),
        "REAL_PYTHON": sys.executable,
        "FAKE_VENV_PYTHON": str(bin_dir / "venv-python"),
        **env_extra,
    }
    done = subprocess.run(
        ["bash", str(repo / "scripts" / script), *args],
        env=env, cwd=repo.parent, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == expect, done.stdout + done.stderr
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done.stdout + done.stderr, lines


def installs(calls: list[str]) -> list[str]:
    return [c for c in calls if "-m pip install" in c]


def test_start_installs_once_then_starts_without_the_package_index(checkout: Path) -> None:
    out, calls = run_script(checkout, "start.sh", "check")
    assert any(c.startswith("python3 -m venv") for c in calls)
    assert len(installs(calls)) == 1 and "-e ." in installs(calls)[0]
    assert "-q" not in installs(calls)[0].split()  # progress is shown
    assert "BOT STARTED check" in out

    out, calls = run_script(checkout, "start.sh")
    assert installs(calls) == [] and not any(c.startswith("python3") for c in calls)
    assert "BOT STARTED" in out


def test_start_reinstalls_when_pyproject_changes(checkout: Path) -> None:
    run_script(checkout, "start.sh")
    (checkout / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n', "utf-8")
    _, calls = run_script(checkout, "start.sh")
    assert len(installs(calls)) == 1
    _, calls = run_script(checkout, "start.sh")
    assert installs(calls) == []


def test_start_repairs_a_venv_without_pip(checkout: Path) -> None:
    run_script(checkout, "start.sh")
    (checkout / ".venv" / "nopip").touch()
    out, calls = run_script(checkout, "start.sh")
    assert any("-m ensurepip" in c for c in calls)
    assert "BOT STARTED" in out


def test_start_recreates_a_venv_whose_python_is_gone(checkout: Path) -> None:
    run_script(checkout, "start.sh")
    (checkout / ".venv" / "bin" / "python").unlink()
    out, calls = run_script(checkout, "start.sh")
    assert any(c.startswith("python3 -m venv") for c in calls)
    assert len(installs(calls)) == 1
    assert "BOT STARTED" in out


def test_test_script_installs_the_dev_tools_once(checkout: Path) -> None:
    run_script(checkout, "start.sh")
    _, calls = run_script(checkout, "test.sh", "-k", "x")
    assert len(installs(calls)) == 1 and "-e .[dev]" in installs(calls)[0]
    assert any("-m pytest -q" in c and c.endswith("-k x") for c in calls)
    _, calls = run_script(checkout, "test.sh")
    assert installs(calls) == []
    _, calls = run_script(checkout, "start.sh")  # the dev install covers the bot's needs
    assert installs(calls) == []


def test_start_tells_check_it_was_launched_by_the_script(checkout: Path) -> None:
    out, _ = run_script(checkout, "start.sh", "check")
    assert "BOT STARTED check launcher=start.sh" in out  # check's end lines name the script


def test_the_first_install_uses_pip_index_url_from_the_environment(checkout: Path) -> None:
    mirror = "https://mirrors.example.cn/pypi/simple/"
    out, calls = run_script(checkout, "start.sh", PIP_INDEX_URL=mirror)
    assert f"pip-index {mirror}" in calls  # pip reads PIP_INDEX_URL itself
    assert mirror in out  # and the script says which index it installs from


def test_python_older_than_3_11_is_explained_in_chinese(checkout: Path) -> None:
    old = checkout.parent / "old-bin"
    old.mkdir()
    (old / "python3").write_text(
        '#!/bin/sh\ncase "$2" in *exit*) exit 1 ;; *print*) echo 3.10; exit 0 ;; esac\nexit 1\n',
        "utf-8",
    )
    (old / "python3").chmod(0o755)
    out, _ = run_script(checkout, "start.sh", expect=1,
                            PATH=f"{old}{os.pathsep}{os.environ.get('PATH', '')}")  # fmt: skip
    assert "3.10" in out
    assert "apt install python3.11 python3.11-venv" in out
    assert "PYTHON=python3.11 ./scripts/start.sh" in out
    assert "BOT STARTED" not in out
