"""Every user-facing string, in Simplified Chinese, in one place to read and edit."""

from __future__ import annotations

# (command, menu description) — shown by set_my_commands in private chats and groups.
COMMANDS: list[tuple[str, str]] = [
    ("start", "开始使用"),
    ("help", "帮助与示例"),
    ("ask", "向 AI 提问（群组中使用）"),
    ("new", "开始新对话（清空上下文）"),
    ("model", "切换对话模型"),
    ("draw", "AI 绘图：/draw 提示词"),
    ("video", "生成视频：/video 提示词"),
    ("remix", "回复视频，继续创作"),
    ("role", "回复视频，创建角色"),
    ("roles", "我的角色"),
    ("settings", "绘图与视频默认设置"),
]

WELCOME = (
    "你好，{name}！我是你的 AI 创作助手 🤖\n\n"
    "💬 直接发消息就能和 Gemini 聊天（也可以发图片提问）\n"
    "🎨 /draw 提示词 —— 用 Nano Banana 画图\n"
    "🎬 /video 提示词 —— 用 Sora 2 生成视频\n\n"
    "发送 /help 查看全部命令和示例。"
)

HELP = """📖 使用帮助

💬 对话
直接发送文字即可聊天，我会记住上下文。
发送图片并附上文字说明，可以就图片提问（支持相册）。
/new —— 开始新对话，清空上下文
/model —— 选择对话模型（gemini-3-pro、gemini-2.5-pro 等）
/ask 问题 —— 在群组里向我提问，例如：/ask 帮我写一首关于秋天的诗

🎨 绘图（Nano Banana）
/draw 提示词 —— 例如：/draw 一只在草地上玩耍的橘猫
/draw 16:9 4K 提示词 —— 指定比例和清晰度
发送图片并以 /draw 作为说明，或回复一张图片发送 /draw，可按参考图修改
/settings —— 设置默认比例、清晰度和模型

🎬 视频（Sora 2）
/video 提示词 —— 例如：/video 16:9 15s 海边日落，镜头缓慢推进
/remix 提示词 —— 回复我生成的视频，在它的基础上继续创作
/role 1,3 —— 回复视频，截取第 1～3 秒创建角色
/roles —— 查看和使用我的角色

👥 群组中：用 /ask、@我 或回复我的消息来对话。"""

NEW_CONVERSATION = "🆕 已开始新对话，之前的上下文已清空。"
NEW_CONVERSATION_EMPTY = "🆕 已开始新对话。"

MODEL_CHOOSE = "请选择对话模型（当前：{current}）："
MODEL_SET = "✅ 对话模型已切换为 {model}。"
MODEL_UNKNOWN = "⚠️ 没有这个模型，请从按钮中选择。"
MODEL_MARK = "✅ "

ASK_EMPTY = "请在命令后面写上问题，例如：/ask 今天适合做什么运动？"
PROMPT_TOO_LONG = "⚠️ 消息太长了（{length} 字），请控制在 {limit} 字以内后重新发送。"
PHOTO_NO_CAPTION = "🖼 收到图片。请在图片说明里写上你的问题，例如：“这张图里有什么？”"
IMAGE_TOO_BIG = "⚠️ 图片太大（超过 {limit_mb} MB），请压缩后再发。"
IMAGE_DOWNLOAD_FAILED = "⚠️ 图片下载失败，请重新发送。"
UNSUPPORTED_MESSAGE = "🤔 暂时只支持文字和图片消息。发送 /help 查看我能做什么。"
BUSY = "⏳ 上一个回答还没结束，请稍等片刻再发。"

STREAM_PLACEHOLDER = "💭 思考中…"
STREAM_INTERRUPTED = "\n\n⚠️ 回答中断：{reason}"
EMPTY_ANSWER = "🤔 模型没有返回内容，请换个说法再试一次。"

BUTTON_FORBIDDEN = "这个按钮只属于发起请求的用户。"
UNKNOWN_BUTTON = "这个按钮已失效。"

# Upstream failures: what happened + what to do.
ERR_AUTH = "❌ 服务密钥无效（401）。请联系管理员检查 API 密钥配置。"
ERR_CREDITS = "💳 服务积分不足（402），暂时无法使用。请联系管理员充值后再试。"
ERR_FORBIDDEN = "⛔ 服务密钥已被禁用或无权使用该模型（403）。请联系管理员，或用 /model 换一个模型。"
ERR_RATE_LIMITED = "🚦 请求太频繁，上游服务限流了（429）。请等一分钟再试。"
ERR_SERVER = "🛠 上游服务暂时出错（{status}）。请稍后再试。"
ERR_UNREACHABLE = "🌐 暂时连不上 AI 服务（已尝试备用线路）。请稍后再试。"
ERR_TIMEOUT = "⏱ AI 服务响应超时。请稍后再试，或把问题说得简短一些。"
ERR_STREAM_DROPPED = "连接中途断开，以上是已收到的部分。请重新发送以获取完整回答。"
ERR_STREAM_DROPPED_EMPTY = "📡 连接中途断开，没有收到回答。请重新发送。"
ERR_BAD_REQUEST = "⚠️ 请求被上游拒绝：{detail}。请修改内容后再试。"
ERR_MODERATION_INPUT = "🚫 内容未通过审核（输入违规）。请修改提示词或参考图后再试。"
ERR_MODERATION_OUTPUT = "🚫 生成结果未通过审核（输出违规）。请换一种描述方式再试。"
ERR_TASK_FAILED = "❌ 生成失败：{detail}。积分会由服务商退回，请稍后重试。"
ERR_TASK_NOT_FOUND = "❌ 服务商找不到这个任务（可能已过期）。请重新生成。"
ERR_RESULT_EXPIRED = "⌛ 结果链接已过期（服务商只保留 2 小时），无法下载。请重新生成。"
ERR_INTERNAL = "😵 出了点问题，已记录下来。请稍后再试。"
ERR_TELEGRAM = "⚠️ 消息发送失败，请稍后再试。"

STARTUP_MISSING_SETTING = "缺少配置 {name}：请在 .env 或环境变量中设置它（参见 .env.example）。"
STARTUP_BAD_SETTING = "配置有误：{detail}（参见 .env.example）。"

ERR_JOB_TIMEOUT = (
    "⏱ 等待太久仍未完成，已停止等待。如果服务商稍后完成，积分按其规则处理；请稍后重新生成。"
)
ERR_RESULT_TOO_LARGE = "⚠️ 生成结果太大，无法下载。"

# -- Generation jobs: status message ---------------------------------------------------------
JOB_KIND_NAMES = {"image": "🎨 绘图", "video": "🎬 视频", "character": "🧑‍🎤 角色"}
JOB_STATE_CREATED = "⏳ 排队中…"
JOB_STATE_QUEUED_AT = "⏳ 排队中，前面还有 {ahead} 个任务…"
JOB_STATE_SUBMITTING = "📤 正在提交…"
JOB_STATE_RUNNING = "{bar} {percent}%"
JOB_STATE_RUNNING_NO_PERCENT = "⚙️ 生成中…"
JOB_STATE_RETRYING = "🔁 服务商返回错误，已自动重新提交（第 {attempt} 次）…"
JOB_STATE_DOWNLOADING = "📥 生成完成，正在下载结果…"
JOB_STATE_DELIVERING = "📨 正在发送…"
JOB_STATE_DONE = "✅ 完成！用时 {elapsed}"
JOB_STATE_FAILED = "❌ 未完成：{reason}"
JOB_ELAPSED = "已用时 {elapsed}"
JOB_ESTIMATE = "预计还需约 {minutes} 分钟（视频通常需要 1～10 分钟）"
JOB_ESTIMATE_SOON = "马上就好…"
JOB_INTERRUPTED = (
    "⚠️ 机器人重启时这个任务正在提交，无法确认服务商是否已收到。"
    "为避免重复扣费，没有自动重试；如需继续，请点击下方“重新生成”。"
)
BUTTON_RETRY = "🔁 重新生成"
BUTTON_AGAIN = "🎲 再来一张"
BUTTON_USE_AS_REFERENCE = "🖼 以此为参考图"
BUTTON_VIDEO_AGAIN = "🎲 再生成一次"
BUTTON_REMIX = "✂️ 基于此视频继续"
BUTTON_MAKE_CHARACTER = "🧑‍🎤 创建角色"

# -- /draw ---------------------------------------------------------------------------------
DRAW_EMPTY = (
    "请在 /draw 后面写上画面描述，例如：\n/draw 一只戴墨镜的柴犬，赛博朋克风格\n"
    "/draw 16:9 2K 雪山下的湖泊\n可选参数（写在描述前）：比例 {ratios}；清晰度 1K/2K/4K；模型 {models}"
)
DRAW_BAD_COMBINATION_VIP = (
    "⚠️ 模型 nano-banana-pro-vip 只支持 1K 和 2K，请改用 1K/2K，或换用 4kvip 模型画 4K。"
)
DRAW_BAD_COMBINATION_4KVIP = "⚠️ 模型 nano-banana-pro-4k-vip 只支持 4K，请加上 4K，或换用其他模型。"
DRAW_TOO_MANY_REFERENCES = "⚠️ 参考图最多 {limit} 张，请减少后再试。"
DRAW_REFERENCE_NOT_IMAGE = "⚠️ 这个文件不是图片（支持 JPG/PNG/WebP/GIF），请发送图片作为参考图。"
DRAW_REFERENCE_TOO_BIG = "⚠️ 参考图太大（超过 {limit_mb} MB），请压缩后再发。"
DRAW_SIZE_MISMATCH = (
    "ℹ️ 服务商返回的图片为 {width}×{height}，与要求的{asked}不一致（网关可能忽略了该参数）。"
)
DRAW_CAPTION = "🎨 {prompt}"
DRAW_ORIGINAL_FILE = "📎 原图文件（{width}×{height}，未压缩）"
TOO_MANY_JOBS = "⏳ 你已有 {count} 个任务在进行中，请等它们完成后再提交。"
DRAW_REFERENCE_PROMPT = "✏️ 请直接回复这条消息，写出想对这张图做的修改，例如：把背景换成海边日落"
REFERENCE_DOWNLOAD_FAILED = (
    "⚠️ 参考图下载失败（Telegram 机器人只能下载 20 MB 以内的文件），请换一张再试。"
)
JOB_NOT_FOUND = "这个任务已经不存在了。"
JOB_RETRY_STARTED = "已重新提交"
JOB_AGAIN_STARTED = "已开始生成"
REFERENCE_ORIGINAL_MISSING = "原图文件已不存在，请重新发送图片。"

# -- /settings -------------------------------------------------------------------------------
SETTINGS_TITLE = (
    "⚙️ 我的默认设置（直接 /draw、/video 时使用）\n\n"
    "🎨 绘图：比例 {ratio} · 清晰度 {size} · 模型 {model}\n"
    "🎬 视频：比例 {video_ratio} · 时长 {duration} 秒 · {quality}\n"
    "💬 对话模型：{chat_model}\n\n点击下方按钮修改："
)
SETTINGS_SAVED = "已保存"
SETTINGS_ADJUSTED = "已保存（{model} 只支持 {sizes}，清晰度已自动调整）"
SETTINGS_SECTION_RATIO = "— 绘图比例 —"
SETTINGS_SECTION_SIZE = "— 绘图清晰度 —"
SETTINGS_SECTION_MODEL = "— 绘图模型 —"
SETTINGS_SECTION_VIDEO = "— 视频 —"
VIDEO_QUALITY_NAMES = {"small": "标清", "large": "高清"}
