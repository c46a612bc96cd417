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
    ("story", "多镜头故事板视频"),
    ("settings", "绘图与视频默认设置"),
    ("usage", "今日用量与剩余次数"),
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
/story —— 多镜头故事板视频，每行一个镜头（发送 /story 查看格式）

📊 /usage —— 查看今天已用和剩余的次数

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

# -- /video, /remix, /role, /roles ---------------------------------------------------------
VIDEO_EMPTY = (
    "请在 /video 后面写上视频描述，例如：\n/video 海边日落，镜头缓慢推进\n"
    "/video 16:9 15s 高清 城市夜景延时摄影\n"
    "可选参数（写在描述前）：比例 9:16（默认）或 16:9；时长 10s（默认）或 15s；高清\n"
    "发送图片并以 /video 作为说明，或回复一张图片发送 /video，可以让图片动起来。"
)
VIDEO_NEEDS_IMAGE = (
    "⚠️ /video 只能用图片作为参考。想用视频片段创建角色，请回复视频发送 /role 开始秒,结束秒。"
)
VIDEO_CAPTION = "🎬 {prompt}"
VIDEO_REAL_PERSON_REJECTED = (
    "🚫 参考图未被接受：Sora 2 不支持真人照片作为参考图（含真人面孔的图片会被服务商拒绝）。"
    "请换用插画、卡通、风景或物体图片再试。"
)
VIDEO_UNKNOWN_CHARACTER = "⚠️ 没有找到名为 @{name} 的角色。发送 /roles 查看你的角色。"
VIDEO_TOO_BIG_LINK = (
    "🎬 {prompt}\n\n"
    "⚠️ 视频有 {size_mb} MB，超过 Telegram 机器人 {limit_mb} MB 的上传限制，无法直接发送。\n"
    "🔗 下载链接（服务商提供，约 {expires} 前有效）：\n{url}\n\n"
    "文件已保存在机器人服务器上，链接过期后可请管理员取回。"
)
VIDEO_TOO_BIG_NO_LINK = (
    "🎬 {prompt}\n\n"
    "⚠️ 视频有 {size_mb} MB，超过 Telegram 机器人 {limit_mb} MB 的上传限制，无法直接发送，"
    "服务商的下载链接也已过期。文件已保存在机器人服务器上，可请管理员取回。"
)
REMIX_USAGE = (
    "✂️ 用法：回复一条我生成的视频，发送 /remix 接下来的内容，例如：\n"
    "/remix 镜头拉远，主角转身走向远方\n"
    "只能续写我生成的视频（需要服务商返回的视频编号）。"
)
REMIX_EMPTY = "请在 /remix 后面写上接下来的内容，例如：/remix 镜头拉远，主角转身离开"
REMIX_TARGET_MISSING = (
    "⚠️ 这条视频没有可用的视频编号（服务商未返回），无法续写。请用 /video 重新生成。"
)
REMIX_TARGET_UNAVAILABLE = (
    "❌ 服务商找不到要续写的视频（可能已过期、被删除或不公开），无法续写。请用 /video 重新生成。"
)
REMIX_PROMPT = "✂️ 请直接回复这条消息，写出接下来的内容，例如：镜头拉远，主角转身离开"
ROLE_PROMPT = (
    "🧑‍🎤 请直接回复这条消息，写出要截取的时间段（秒），例如：1,3\n"
    "最长 3 秒，视频共 {duration} 秒。"
)
ROLE_USAGE = (
    "🧑‍🎤 用法：回复一条视频，发送 /role 开始秒,结束秒，例如 /role 1,3\n"
    "· 回复我生成的视频：从该视频创建角色\n"
    "· 回复你发送的视频，或发送视频时以 /role 1,3 作为说明：上传片段创建角色"
    "（仅支持卡通、动物、物体角色，不支持真人）\n"
    "截取的片段最长 3 秒。"
)
ROLE_BAD_RANGE = "⚠️ 时间段格式不对，请写成 开始秒,结束秒，例如 /role 1,3"
ROLE_RANGE_ORDER = "⚠️ 开始时间要小于结束时间，例如 /role 1,3"
ROLE_RANGE_TOO_LONG = "⚠️ 角色片段最长 3 秒，你选了 {length} 秒。请缩短后再试，例如 /role 1,3"
ROLE_RANGE_OUTSIDE = "⚠️ 时间段超出了视频长度（视频共 {duration} 秒），请重新选择。"
ROLE_VIDEO_TOO_BIG = "⚠️ 视频太大（超过 {limit_mb} MB），无法下载。请先剪短再发送。"
ROLE_VIDEO_DOWNLOAD_FAILED = "⚠️ 视频下载失败，我拿不到这个文件。请重新发送视频后再试。"
ROLE_VIDEO_MISSING = "⚠️ 找不到这条视频的原始文件，无法创建角色。请重新生成或发送视频。"
ROLE_CREATED = (
    "✅ 角色已创建！\n角色 ID：{character_id}\n名称：@{name}\n\n"
    "在 /video 的描述里写 @{name} 即可让角色出场，例如：\n/video @{name} 在海边散步\n"
    "想改名？回复这条消息发送 /role 新名字。发送 /roles 管理全部角色。"
)
ROLE_REJECTED = (
    "🚫 角色未被接受：上传的片段只支持卡通、动物或物体角色，不支持真人。"
    "可以改用我生成的视频创建角色（回复视频发送 /role 1,3）。"
)
ROLE_CLIP_REJECTED = "❌ 服务商不接受这个片段：{detail}。请确认片段最长 3 秒且在视频范围内。"
ROLE_RENAMED = "✅ 角色已改名为 @{name}。在 /video 的描述里写 @{name} 即可使用。"
ROLE_BAD_NAME = "⚠️ 名字只能包含中文、字母、数字或下划线，最长 {limit} 个字。"
ROLE_NAME_TAKEN = "⚠️ 你已经有叫 @{name} 的角色了，请换一个名字。"
ROLE_NOT_FOUND = "这个角色已经不存在了。"
ROLES_EMPTY = "你还没有角色。回复一条视频发送 /role 1,3 即可创建。"
ROLES_TITLE = "🧑‍🎤 我的角色（在 /video 描述里写 @名称 即可使用）："
ROLES_LINE = "{index}. @{name} — {character_id}"
BUTTON_ROLE_INSERT = "➕ 使用 @{name}"
BUTTON_ROLE_DELETE = "🗑 删除"
ROLE_INSERT_PROMPT = (
    "🎬 请直接回复这条消息，写出视频描述，角色 @{name} 会自动出场。\n"
    "也可以复制命令：/video @{name} 描述"
)
ROLE_DELETED = "已删除 @{name}"

# -- access, quotas, admin ---
ACCESS_DENIED = (
    "🔒 抱歉，这个机器人目前只对受邀用户开放。\n如需使用，请把你的用户 ID 发给管理员：{user_id}"
)
ACCESS_DENIED_GROUP = (
    "🔒 抱歉，这个机器人还没有在本群开放。\n"
    "请把以下 ID 发给管理员：你的用户 ID {user_id}，本群 ID {chat_id}"
)
ACCESS_DENIED_BUTTON = "🔒 你没有使用权限，请联系管理员（你的用户 ID：{user_id}）。"
COOLDOWN_NOTICE = "🐢 发得太快了，请 {seconds} 秒后再试。"
QUOTA_KIND_NAMES = {"chat": "对话", "image": "绘图", "video": "视频", "jobs": "同时进行的任务"}
QUOTA_EXCEEDED_DAILY = "📊 你今天的{name}次数已用完（{used}/{limit}），明天 0 点（北京时间）恢复。发送 /usage 查看用量。"
QUOTA_EXCEEDED_JOBS = "⏳ 你已有 {used} 个任务在进行中（上限 {limit} 个），请等它们完成后再提交。"
USAGE_TITLE = "📊 今日用量（{day}）"
USAGE_LINE = "{name}：已用 {used} / {limit}，剩余 {left}"
USAGE_LINE_UNLIMITED = "{name}：已用 {used}（不限）"
USAGE_FOOTER = "失败的任务不计入用量。每日 0 点（北京时间）重置。"
ADMIN_USAGE_ALLOW = "用法：/allow 用户ID 或 群组ID（在群里直接发送 /allow 即开放本群）"
ADMIN_USAGE_DENY = "用法：/deny 用户ID 或 群组ID（在群里直接发送 /deny 即关闭本群）"
ADMIN_ALLOWED = "✅ 已允许 {target} 使用机器人。"
ADMIN_DENIED = "⛔ 已禁止 {target} 使用机器人。"
ADMIN_CANNOT_DENY_ADMIN = "⚠️ {target} 是管理员（BOT_ADMIN_IDS），不能禁止。"
ADMIN_TARGET_USER = "用户 {id}"
ADMIN_TARGET_GROUP = "群组 {id}"
ADMIN_USAGE_QUOTA = (
    "用法：/quota 用户ID 类型 数量\n类型：chat（每日对话）、image（每日绘图）、video（每日视频）、"
    "jobs（同时进行的任务）\n数量写 default 恢复默认值。例如：/quota 123456 image 100"
)
ADMIN_QUOTA_SET = "✅ 已把用户 {user_id} 的{name}上限设为 {value}。"
ADMIN_QUOTA_RESET = "✅ 已把用户 {user_id} 的{name}上限恢复为默认值（{value}）。"
ADMIN_QUOTA_SHOW = "用户 {user_id} 的上限：\n{lines}"
STATS_TEXT = (
    "📈 今日统计（{day}）\n"
    "用户：今日活跃 {users_today}，累计 {users_ever}，白名单 {allowed}\n"
    "用量：{usage}\n"
    "任务：{jobs}\n"
    "失败原因：{failures}\n"
    "预估花费：{spend}"
)
STATS_NONE = "无"
STATS_UNPRICED = "另有 {count} 项无公开单价"
PRICE_UNIT_NAMES = {"grsai": "GrsAI 计价", "reshi": "reshi 积分"}
JOB_STATE_NAMES = {
    "created": "排队",
    "submitting": "提交中",
    "submitted": "生成中",
    "downloading": "下载中",
    "delivering": "发送中",
    "done": "完成",
    "failed": "失败",
    "interrupted": "中断",
}
PROVIDERS_TITLE = "🔌 服务商状态"
PROVIDER_STATE_NAMES = {
    "ok": "✅ 密钥有效",
    "no_credits": "💳 密钥有效，但积分不足",
    "bad_key": "❌ 密钥无效（401）",
    "forbidden": "⛔ 密钥被禁用（403）",
    "unreachable": "🌐 连接失败或服务出错",
    "error": "⚠️ 检查失败",
}
PROVIDER_LINE = "{name}：{state}；余额：{balance}"
PROVIDER_NO_BALANCE = "该服务商未提供余额查询接口"

# -- providers, /story ---------------------------------------------------------------------
PROVIDER_NAMES = {"grsai": "GrsAI", "reshi": "reshi123", "unified": "统一任务聚合",
                  "juhe": "聚合API"}  # fmt: skip
STARTUP_UNKNOWN_PROVIDER = "配置有误：{detail} 不是可用的服务商（可选：{names}）。"
STARTUP_PROVIDER_CANNOT = "配置有误：{detail} —— 该服务商不提供这项功能（参见 docs/providers.md）。"
JUHE_NO_LINK = "服务商的回答里没有视频链接（回答：{answer}）"
JUHE_EMPTY_ANSWER = "空"
JUHE_STREAM_LOST = "机器人重启时视频仍在生成，与服务商的连接已断开，无法取回结果"
MODEL_GROUP_LINE = "· {provider}：{count} 个模型"
MODEL_GROUP_UNAVAILABLE = "· {provider}：暂时无法获取模型列表"
MODEL_SERVED_BY = "上次回答由 {provider}（{model}）提供。"
MODEL_PROVIDER_BUTTON = "{provider} · {model}"
SETTINGS_PROVIDERS = (
    "\n\n🔌 服务商（按顺序尝试，出错时自动换下一个）：\n"
    "💬 对话：{chat}\n🎨 绘图：{image}\n🎬 视频：{video}"
)
SETTINGS_LAST_SERVED = "\n最近一次{kind}由 {provider} 完成。"
STORY_HELP = (
    "🎞 /story —— 多镜头故事板视频\n"
    "第一行写 /story 和可选参数（比例 16:9/9:16、pro、高清、私密、水印），"
    "之后每行一个镜头：时长（秒）+ 画面描述。例如：\n"
    "/story 16:9\n7.5秒 清晨的城市街道，阳光洒在湿润的路面上\n7.5秒 主角推门走进咖啡馆\n\n"
    "所有镜头的总时长须为 10、15 或 25 秒（25 秒自动使用 sora-2-pro）。"
)
STORY_BAD_LINE = (
    "⚠️ 第 {number} 行看不懂：“{line}”。每行请写成“时长 画面描述”，例如：5秒 主角推门走进咖啡馆"
)
STORY_TOO_FEW = "⚠️ 故事板至少需要 2 个镜头。\n\n" + STORY_HELP
STORY_TOO_MANY = "⚠️ 镜头太多了（最多 {limit} 个），请合并一些镜头。"
STORY_BAD_TOTAL = (
    "⚠️ 所有镜头加起来是 {total} 秒，需要正好 10、15 或 25 秒（25 秒自动使用 sora-2-pro）。"
    "请调整各镜头时长。"
)
STORY_BAD_DURATION = "⚠️ 第 {number} 个镜头的时长 {seconds} 秒不合适（每个镜头 1～25 秒）。"
STORY_UNAVAILABLE = "⚠️ 当前配置的视频服务商都不支持故事板（需要统一任务聚合服务商）。请联系管理员。"

# --- chat scale ---
CHAT_QUEUED = "⏳ 上一条还在回答，这条排在后面（第 {n} 条）。"
CHAT_QUEUE_FULL = "🙏 前面还有好几条在排队，请等当前的回答结束后再发。"
CHAT_STALLED = "长时间没有收到后续内容，回答已停止。以上是已收到的部分，可以发送“继续”让我接着说。"
CHAT_TOO_LONG = "回答时间过长，已停止。以上是已收到的部分，可以发送“继续”让我接着说。"
CHAT_SHUTDOWN = "机器人正在重启，回答中断，请稍后重新提问。"
CHAT_SHUTDOWN_EMPTY = "🔄 机器人正在重启，这个问题没来得及回答，请稍后重新提问。"
