# Sourced by start.sh and test.sh (from the repository root): a working .venv with the project
# installed. The package index is contacted only when .venv is missing or broken, or when
# pyproject.toml changed since the last install (a hash of it is kept in .venv/.installed*).
# pip reads PIP_INDEX_URL from the environment (a mirror for the very first install):
#   PIP_INDEX_URL=https://mirrors.aliyun.com/pypi/simple/ ./scripts/start.sh
# (pip takes every option from a PIP_* variable); the install says which index it uses.

PYTHON="${PYTHON:-python3}"

_new_venv() {
  echo "正在创建虚拟环境 .venv ……"
  rm -rf .venv
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    local found
    found="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "未找到")"
    echo "需要 Python 3.11 或更高版本（$PYTHON 的版本：$found）。" >&2
    echo "Ubuntu 22.04 等系统自带的是 3.10：先安装 3.11，再用它启动：" >&2
    echo "  apt install python3.11 python3.11-venv" >&2
    echo "  PYTHON=python3.11 ./scripts/start.sh" >&2
    exit 1
  fi
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "无法创建虚拟环境：Debian/Ubuntu 请先安装 python3-venv（apt install python3-venv）。" >&2
    exit 1
  fi
}

_stamp() {  # the hash of pyproject.toml plus the extras installed
  .venv/bin/python -c 'import hashlib, sys
print(hashlib.sha256(open("pyproject.toml", "rb").read() + sys.argv[1].encode()).hexdigest())' "$1"
}

# ensure_venv ""      the bot only (start.sh)
# ensure_venv "[dev]" the bot and the test tools (test.sh)
ensure_venv() {
  local extras="$1"
  local stamp_file=".venv/.installed${extras:+-dev}"
  if ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
    _new_venv  # missing, or its python is gone (e.g. the system Python was upgraded)
  fi
  if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    echo "虚拟环境缺少 pip，正在修复……"
    .venv/bin/python -m ensurepip --upgrade >/dev/null 2>&1 || _new_venv
  fi
  local want
  want="$(_stamp "$extras")"
  if [ "$(cat "$stamp_file" 2>/dev/null)" != "$want" ]; then
    echo "正在安装依赖（首次运行或 pyproject.toml 有变化）……"
    if [ -n "${PIP_INDEX_URL:-}" ]; then
      echo "使用 pip 源：$(echo "$PIP_INDEX_URL" | sed -E 's#//[^/@]*@#//***@#')"
    fi
    rm -f .venv/.installed .venv/.installed-dev
    .venv/bin/python -m pip install --disable-pip-version-check -e ".$extras"
    echo "$want" >"$stamp_file"
    if [ -n "$extras" ]; then
      _stamp "" >.venv/.installed  # the dev install contains the bot's own dependencies
    fi
    echo "依赖安装完成。"
  fi
}
