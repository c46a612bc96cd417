"""面向中文创作者的 Telegram 机器人：Gemini 对话、Nano Banana 绘图、Sora 2 视频。"""

import os

# PTB 22 returns retry_after etc. as timedelta when this is set (the future default); without it
# every 429 logs a deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
