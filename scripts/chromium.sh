# Sourced by test.sh: the console's browser tests drive the system Chromium (/usr/bin/chromium)
# through Playwright (never `playwright install`). When it is missing and apt-get can run, it
# is installed quietly with a Chinese CJK font (for readable screenshots); when that cannot
# be done the browser tests skip themselves and say why.

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "未找到 /usr/bin/chromium，且系统没有 apt-get：控制台的浏览器测试将跳过。" >&2
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "未找到 /usr/bin/chromium，且没有 root 权限安装：控制台的浏览器测试将跳过。" >&2
      return 0
    fi
  fi
  echo "正在用 apt-get 安装 Chromium（控制台浏览器测试需要）……"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      chromium fonts-wqy-microhei; } >/dev/null 2>&1; then
    echo "Chromium 安装失败（可能没有网络或软件源）：控制台的浏览器测试将跳过。" >&2
  fi
  return 0
}
