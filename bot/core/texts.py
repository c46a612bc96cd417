"""Every user-facing string, in Simplified Chinese, in one place to read and edit.

Wording rules, so every message reads like one product:
- The companies behind the models are "服务商" (never 上游/网关/AI 服务); money is "余额".
- What the user writes for a picture or video is "描述".
- A space between a number and its unit: "10 秒", "20 MB", "第 1～3 秒"; none before "%".
- A selected option is marked "✅ " (with a space).
- Users read what happened and what to do; HTTP codes, billing and the provider's own wording
  stay in the logs and in the admin commands.
"""

from __future__ import annotations

# -- commands, /start, /help -----------------------------------------------------------------

# (command, menu description) — shown by set_my_commands in private chats and groups, each
# only when a configured provider can do it (bot/tg/handlers/commands.py: available_commands).
COMMANDS: list[tuple[str, str]] = [
    ("start", "开始使用"),
    ("help", "帮助与示例"),
    ("ask", "向 AI 提问（群组中使用）"),
    ("new", "开始新对话（清空上下文）"),
    ("model", "切换对话模型"),
    ("draw", "AI 绘图：/draw 描述"),
    ("video", "生成视频：/video 描述"),
    ("remix", "回复视频，继续创作"),
    ("role", "回复视频，创建角色"),
    ("roles", "我的角色"),
    ("story", "多镜头故事板视频"),
    ("settings", "绘图与视频默认设置"),
    ("usage", "今日用量与剩余次数"),
]

USER_FALLBACK_NAME = "朋友"
# Each line names the command it needs ("" = always shown); /help and /start show a line only
# when that command is available, and a heading only when a line under it is.
WELCOME_LINES: list[tuple[str, str]] = [
    ("", "你好，{name}！我是你的 AI 创作助手 🤖\n"),
    ("", "💬 直接发消息就能和 Gemini 聊天（也可以发图片提问）"),
    ("draw", "🎨 /draw 描述 —— 用 Nano Banana 画图"),
    ("video", "🎬 /video 描述 —— 用 Sora 2 生成视频"),
    ("", "\n发送 /help 查看全部命令和示例。"),
]
HELP_TITLE = "📖 使用帮助"
HELP_SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    ("💬 对话", [
        ("", "直接发送文字即可聊天，我会记住上下文。"),
        ("", "发送图片并附上文字说明，可以就图片提问（支持相册）。"),
        ("new", "/new —— 开始新对话，清空上下文"),
        ("model", "/model —— 选择对话模型（gemini-3-pro、gemini-2.5-pro 等）"),
        ("ask", "/ask 问题 —— 在群组里向我提问，例如：/ask 帮我写一首关于秋天的诗"),
    ]),
    ("🎨 绘图（Nano Banana）", [
        ("draw", "/draw 描述 —— 例如：/draw 一只在草地上玩耍的橘猫"),
        ("draw", "/draw 16:9 4K 描述 —— 指定比例和清晰度"),
        ("draw", "发送图片并以 /draw 作为说明，或回复一张图片发送 /draw，可按参考图修改"),
        ("settings", "/settings —— 设置默认比例、清晰度和模型"),
    ]),
    ("🎬 视频（Sora 2）", [
        ("video", "/video 描述 —— 例如：/video 16:9 15s 海边日落，镜头缓慢推进"),
        ("remix", "/remix 描述 —— 回复我生成的视频，在它的基础上继续创作"),
        ("role", "/role 1,3 —— 回复视频，截取第 1～3 秒创建角色"),
        ("roles", "/roles —— 查看和使用我的角色"),
        ("story", "/story —— 多镜头故事板视频，每行一个镜头（发送 /story 查看格式）"),
    ]),
    ("📊 用量", [
        ("usage", "/usage —— 查看今天已用和剩余的次数"),
    ]),
    ("👥 群组", [
        ("ask", "在群组中用 /ask、@我 或回复我的消息来对话。"),
    ]),
]  # fmt: skip

NEW_CONVERSATION = "🆕 已开始新对话，之前的上下文已清空。"
NEW_CONVERSATION_EMPTY = "🆕 已开始新对话。"

# -- chat ------------------------------------------------------------------------------------
SELECTED_MARK = "✅ "  # before the chosen option on every button
MODEL_CHOOSE = "请选择对话模型（当前：{current}）："
MODEL_SET = "✅ 对话模型已切换为 {model}。"
MODEL_UNKNOWN = "⚠️ 没有这个模型，请从按钮中选择。"
MODEL_MARK = SELECTED_MARK

ASK_EMPTY = "请在命令后面写上问题，例如：/ask 今天适合做什么运动？"
PROMPT_TOO_LONG = "⚠️ 消息太长了（{length} 字），请控制在 {limit} 字以内后重新发送。"
PHOTO_NO_CAPTION = "🖼 收到图片。请在图片说明里写上你的问题，例如：“这张图里有什么？”"
IMAGE_TOO_BIG = "⚠️ 图片太大（超过 {limit_mb} MB），请压缩后再发。"
IMAGE_DOWNLOAD_FAILED = "⚠️ 图片下载失败，请重新发送。"
UNSUPPORTED_MESSAGE = "🤔 暂时只支持文字和图片消息。发送 /help 查看我能做什么。"

STREAM_INTERRUPTED = "\n\n⚠️ 回答中断：{reason}"
EMPTY_ANSWER = "🤔 模型没有返回内容，请换个说法再试一次。"

BUTTON_FORBIDDEN = "这个按钮只属于发起请求的用户。"
UNKNOWN_BUTTON = "这个按钮已失效。"

# -- failures: what happened + what to do (bot/core/error_text.py picks one) ----------------------
ERR_AUTH = "❌ 服务商拒绝了机器人的访问，暂时无法使用。请联系管理员处理。"
ERR_CREDITS = "💳 机器人在服务商的余额不足，暂时无法使用。请联系管理员处理后再试。"
ERR_FORBIDDEN = "⛔ 服务商暂时不允许使用这个模型。请用 /model 换一个模型，或联系管理员。"
ERR_RATE_LIMITED = "🚦 服务商现在太忙，请求被限流了。请等一分钟再试。"
ERR_SERVER = "🛠 服务商暂时出错了。请稍后再试。"
ERR_UNREACHABLE = "🌐 暂时连不上服务商（备用线路也试过了）。请稍后再试。"
ERR_TIMEOUT = "⏱ 服务商响应超时。请稍后再试，或把问题说得简短一些。"
ERR_STREAM_DROPPED = "连接中途断开，以上是已收到的部分。请重新发送以获取完整回答。"
ERR_STREAM_DROPPED_EMPTY = "📡 连接中途断开，没有收到回答。请重新发送。"
ERR_BAD_REQUEST = "⚠️ 服务商没有接受这个请求。请修改描述或选项后再试。"
ERR_MODERATION_INPUT = "🚫 内容未通过审核。请修改描述或参考图后再试。"
ERR_MODERATION_OUTPUT = "🚫 生成的结果未通过审核。请换一种描述方式再试。"
ERR_TASK_FAILED = "❌ 这次没有生成成功。请稍后重试，或换一种描述。"
ERR_TASK_NOT_FOUND = "❌ 服务商找不到这个任务了（可能已过期）。请重新生成。"
ERR_RESULT_EXPIRED = "⌛ 结果链接已失效，无法下载（服务商的结果通常只保留 2 小时）。请重新生成。"
ERR_NO_RESULT = "❌ 服务商说已完成，但没有给出结果。请重新生成。"
ERR_RESULT_LOST = "⚠️ 机器人重启时视频仍在生成，结果没能取回。请重新生成。"
ERR_REFERENCE_UNREADABLE = "⚠️ 参考图读取失败。请重新发送图片后再试。"
ERR_REFERENCE_UNSUPPORTED = "⚠️ 参考图的格式不支持（支持 JPG/PNG/WebP/GIF）。请换一张图片再试。"
ERR_BAD_DURATION = "⚠️ 服务商不支持这个时长。请换一个时长（例如 10 秒）再试。"
ERR_UPLOAD_REFUSED = "⚠️ 服务商没有接受上传的文件。请换一个文件再试。"
ERR_INTERNAL = "😵 出了点问题，已记录下来。请稍后再试。"
ERR_UNDELIVERABLE = (
    "⚠️ 结果已经生成，但聊天平台拒收了这个文件，换了几种方式也没能发出。"
    "文件已保存，请联系管理员重新发送（不会再次扣费）。"
)
DELIVERY_GAVE_UP = "重试 {tries} 次仍未发出（{reason}），已停止重试；可用 /resend 任务编号 重新发送。"
# NapCat's wordings (lower case) for a chat the account cannot reach any more: not in the
# group, group gone, not a friend (bot/onebot/outbound/job_events.py chat_gone); matched, never shown
ONEBOT_GONE_WORDINGS = ("群不存在", "群组不存在", "不在群", "不在该群", "未加入", "已被移出",
                        "不是好友", "非好友", "好友不存在", "用户不存在", "group not found",
                        "not in group", "not a member", "not friend", "not your friend",
                        "user not found", "no such group", "no such user")  # fmt: skip
QQ_MAYBE_SENT_NOTE = (
    "发送任务 {job_id} 的结果时 QQ 迟迟没有回应，结果可能已经发出。为避免重复发送，没有再发；"
    "确认用户没有收到后，可用 /resend {job_id} 重新发送。"
)
QQ_MAYBE_SENT = (
    "⚠️ 结果已经生成，但发送时 QQ 没有确认是否送达。如果没有收到，"
    "请联系管理员重新发送（不会再次扣费）。"
)
ERR_JOB_TIMEOUT = "⏱ 等了很久仍未完成，已停止等待。请稍后重新生成。"
ERR_RESULT_TOO_LARGE = "⚠️ 生成结果太大，无法下载。请降低清晰度或缩短时长后再试。"

STARTUP_MISSING_SETTING = "缺少配置 {name}：请在 .env 或环境变量中设置它（参见 .env.example）。"
STARTUP_BAD_SETTING = "配置有误：{detail}（参见 .env.example）。"

# -- options: Chinese names for what users may type as short codes --------------------------
RATIO_AUTO = "自动"
IMAGE_MODEL_NAMES = {
    "nano-banana-pro": "专业版",
    "nano-banana-pro-vt": "专业版·二号线路",
    "nano-banana-pro-cl": "专业版·三号线路",
    "nano-banana-pro-vip": "会员版",
    "nano-banana-pro-4k-vip": "4K 会员版",
    "nano-banana-fast": "极速版",
}
OPTION_WITH_CODE = "{name}（{code}）"  # how /draw help shows a name with the code to type
VIDEO_QUALITY_NAMES = {"small": "标清", "large": "高清"}
SECONDS = "{seconds} 秒"
MINUTES_SECONDS = "{minutes} 分 {seconds:02d} 秒"
CLIP_SECONDS = "第 {start}～{end} 秒"
SUMMARY_AUTO_RATIO = "自动比例"
STORY_SHOT_LINE = "镜头 {number}（{seconds} 秒）：{scene}"

# -- generation jobs: the status message -----------------------------------------------------
JOB_KIND_NAMES = {"image": "🎨 绘图", "video": "🎬 视频", "character": "🧑‍🎤 角色"}
JOB_STATE_CREATED = "⏳ 排队中…"
JOB_STATE_QUEUED_AT = "⏳ 排队中，前面还有 {ahead} 个任务…"
JOB_STATE_SUBMITTING = "📤 正在提交…"
JOB_STATE_RUNNING = "{bar} {percent}%"
JOB_STATE_RUNNING_NO_PERCENT = "⚙️ 生成中…"
JOB_STATE_RETRYING = "🔁 服务商出错，已自动重新提交（第 {attempt} 次）…"
# The provider refused the connection (nothing was sent): the bot tries again for a while.
JOB_STATE_CONNECTING = "🔌 正在连接服务商，第 {attempt} 次重试…"
JOB_STATE_DOWNLOADING = "📥 生成完成，正在下载结果…"
JOB_STATE_DELIVERING = "📨 正在发送…"
JOB_STATE_DONE = "✅ 完成！用时 {elapsed}"
JOB_SOME_PICTURES_MISSING = "⌛ 另有 {missing} 张图片的链接已失效，未能取回；需要的话请重新生成。"
JOB_ELAPSED = "已用时 {elapsed}"
JOB_ESTIMATE = "预计还需约 {minutes} 分钟（视频通常需要 1～10 分钟）"
JOB_ESTIMATE_SOON = "马上就好…"
JOB_INTERRUPTED = (
    "⚠️ 机器人重启时这个任务正在提交，无法确认服务商是否已收到。"
    "为避免重复生成，没有自动重试；如需继续，请点击下方“重新生成”。"
)
BUTTON_RETRY = "🔁 重新生成"
BUTTON_AGAIN = "🎲 再来一张"
BUTTON_USE_AS_REFERENCE = "🖼 以此为参考图"
BUTTON_VIDEO_AGAIN = "🎲 再生成一次"
BUTTON_REMIX = "✂️ 基于此视频继续"
BUTTON_MAKE_CHARACTER = "🧑‍🎤 创建角色"

# -- /draw ---------------------------------------------------------------------------------
DRAW_EMPTY = (
    "请在 /draw 后面写上描述，例如：\n/draw 一只戴墨镜的柴犬，赛博朋克风格\n"
    "/draw 16:9 2K 雪山下的湖泊\n"
    "可选项（写在描述前）：\n· 比例：{ratios}\n· 清晰度：1K/2K/4K\n· 模型：{models}\n"
    "（会员版只支持 1K/2K，4K 会员版只支持 4K）"
)
DRAW_BAD_COMBINATION_VIP = "⚠️ 会员版只支持 1K 和 2K，请改用 1K/2K，或换用 4K 会员版（4kvip）画 4K。"
DRAW_BAD_COMBINATION_4KVIP = "⚠️ 4K 会员版只支持 4K，请加上 4K，或换用其他模型。"
DRAW_TOO_MANY_REFERENCES = "⚠️ 参考图最多 {limit} 张，请减少后再试。"
DRAW_REFERENCE_NOT_IMAGE = "⚠️ 这个文件不是图片（支持 JPG/PNG/WebP/GIF），请发送图片作为参考图。"
DRAW_REFERENCE_TOO_BIG = "⚠️ 参考图太大（超过 {limit_mb} MB），请压缩后再发。"
DRAW_SIZE_MISMATCH = "ℹ️ 服务商返回的图片为 {width}×{height}，与要求的{asked}不一致。"
DRAW_ASKED_RATIO = "比例 {ratio}"
DRAW_ASKED_SIZE = "清晰度 {size}"
DRAW_CAPTION = "🎨 {prompt}"
DRAW_ORIGINAL_FILE = "📎 原图文件（{width}×{height}，未压缩）"
DRAW_REFERENCE_PROMPT = "✏️ 请直接回复这条消息，写出想对这张图做的修改，例如：把背景换成海边日落"
# A picture the bot could not fetch: the platform's own download limit where it has one
# (bot/core/platform.py download_failed_text), otherwise just what to do.
REFERENCE_DOWNLOAD_FAILED = "⚠️ 参考图下载失败，我拿不到这张图片。请重新发送图片后再试。"
REFERENCE_DOWNLOAD_FAILED_LIMIT = (
    "⚠️ 参考图下载失败（{platform}只能下载 {limit_mb} MB 以内的文件），请换一张再试。"
)
PLATFORM_BOT_NAMES = {"telegram": "Telegram 机器人", "qq": "QQ 机器人"}
JOB_NOT_FOUND = "这个任务已经不存在了。"
JOB_RETRY_STARTED = "已重新提交"
JOB_AGAIN_STARTED = "已开始生成"
REFERENCE_ORIGINAL_MISSING = "原图文件已不存在，请重新发送图片。"

# -- /settings -------------------------------------------------------------------------------
SETTINGS_HEAD = "⚙️ 我的默认设置（直接发送 /draw、/video 时使用）\n"
SETTINGS_DRAW = "🎨 绘图：比例 {ratio} · 清晰度 {size} · 模型 {model}"
SETTINGS_VIDEO = "🎬 视频：比例 {ratio} · 时长 {duration} · {quality}"
SETTINGS_CHAT = "💬 对话模型：{chat_model}"
SETTINGS_FOOT = "\n点击下方按钮修改："
SETTINGS_SAVED = "已保存"
SETTINGS_ADJUSTED = "已保存（{model}只支持 {sizes}，清晰度已自动调整）"
SETTINGS_SECTION_RATIO = "— 绘图比例 —"
SETTINGS_SECTION_SIZE = "— 绘图清晰度 —"
SETTINGS_SECTION_MODEL = "— 绘图模型 —"
SETTINGS_SECTION_VIDEO = "— 视频比例与时长 —"
SETTINGS_SECTION_VIDEO_QUALITY = "— 视频清晰度 —"
SETTINGS_SECTION_HINT = "点击这一栏下面的按钮修改"

# -- /video, /remix, /role, /roles ---------------------------------------------------------
VIDEO_EMPTY = (
    "请在 /video 后面写上描述，例如：\n/video 海边日落，镜头缓慢推进\n"
    "/video 16:9 15s 高清 城市夜景延时摄影\n"
    "可选项（写在描述前）：比例 9:16（默认）或 16:9；时长 10s（默认）或 15s；高清\n"
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
    "🔗 下载链接（服务商提供，{expires}）：\n{url}\n\n"
    "文件已保存在机器人服务器上，链接过期后可请管理员取回。"
)
VIDEO_LINK_EXPIRES = "约 {minutes} 分钟内有效"  # relative: no time zone to name
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
ROLE_BAD_RANGE = "⚠️ 时间段格式不对，请写成 开始秒,结束秒，例如 {command} 1,3"
ROLE_RANGE_ORDER = "⚠️ 开始时间要小于结束时间，例如 {command} 1,3"
ROLE_RANGE_TOO_LONG = "⚠️ 角色片段最长 3 秒，你选了 {length} 秒。请缩短后再试，例如 {command} 1,3"
ROLE_RANGE_OUTSIDE = "⚠️ 时间段超出了视频长度（视频共 {duration} 秒），请重新选择。"
ROLE_VIDEO_TOO_BIG = "⚠️ 视频太大（超过 {limit_mb} MB），无法下载。请先剪短再发送。"
ROLE_VIDEO_DOWNLOAD_FAILED = "⚠️ 视频下载失败，我拿不到这个文件。请重新发送视频后再试。"
ROLE_VIDEO_NOT_VIDEO = "⚠️ 这个文件不是视频，请发送 MP4 视频后再试。"
ROLE_VIDEO_MISSING = "⚠️ 找不到这条视频的原始文件，无法创建角色。请重新生成或发送视频。"
ROLE_DEFAULT_NAME = "角色{number}"
ROLE_CREATED = (
    "✅ 角色已创建！\n角色 ID：{character_id}\n名称：@{name}\n\n"
    "在 /video 的描述里写 @{name} 即可让角色出场，例如：\n/video @{name} 在海边散步\n"
    "想改名？回复这条消息发送 /role 新名字。发送 /roles 管理全部角色。"
)
ROLE_REJECTED = (
    "🚫 角色未被接受：上传的片段只支持卡通、动物或物体角色，不支持真人。"
    "可以改用我生成的视频创建角色（回复视频发送 /role 1,3）。"
)
ROLE_CLIP_REJECTED = "❌ 服务商不接受这个片段。请确认片段最长 3 秒且在视频范围内。"
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
    "🎬 请直接回复这条消息，写出描述，角色 @{name} 会自动出场。\n"
    "也可以复制命令：/video @{name} 描述"
)
ROLE_DELETED = "已删除 @{name}"

# -- time zones: how QUOTA_TIMEZONE is named to users (bot/core/zone_names.py) --------------------
ZONE_NAMES = {
    "Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Harbin": "北京时间",
    "Asia/Urumqi": "北京时间", "PRC": "北京时间", "Asia/Hong_Kong": "香港时间",
    "Asia/Macau": "澳门时间", "Asia/Taipei": "台北时间", "Asia/Tokyo": "东京时间",
    "Asia/Singapore": "新加坡时间",
}  # fmt: skip
ZONE_OFFSET = "UTC{sign}{hours}{minutes}"  # any other zone: its offset, e.g. UTC+9, UTC-3:30

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
QUOTA_EXCEEDED_DAILY = (
    "📊 你今天的{name}次数已用完（{used}/{limit}），明天 0 点（{zone}）恢复。发送 /usage 查看用量。"
)
QUOTA_EXCEEDED_JOBS = "⏳ 你已有 {used} 个任务在进行中（上限 {limit} 个），请等它们完成后再提交。"
USAGE_TITLE = "📊 今日用量（{day}）"
USAGE_LINE = "{name}：已用 {used} / {limit}，剩余 {left}"
USAGE_LINE_UNLIMITED = "{name}：已用 {used}（不限）"
USAGE_FOOTER = "失败的任务不计入用量。每日 0 点（{zone}）重置。"
ADMIN_USAGE_ALLOW = "用法：/allow 用户ID 或 群组ID（在群里直接发送 /allow 即开放本群）"
ADMIN_USAGE_DENY = "用法：/deny 用户ID 或 群组ID（在群里直接发送 /deny 即关闭本群）"
ADMIN_ALLOWED = "✅ 已允许 {target} 使用机器人。"
ADMIN_DENIED = "⛔ 已禁止 {target} 使用机器人。"
ADMIN_CANNOT_DENY_ADMIN = "⚠️ {target} 是管理员（BOT_ADMIN_IDS），不能禁止。"
ADMIN_TARGET_USER = "用户 {id}"
ADMIN_TARGET_GROUP = "群组 {id}"
ADMIN_USAGE_QUOTA = (
    "用法：/quota 用户ID 类型 数量\n类型：chat（每日对话）、image（每日绘图）、video（每日视频）、"
    "jobs（同时进行的任务）\n数量写 default 或 默认 恢复默认值。例如：/quota 123456 image 100"
)
ADMIN_QUOTA_DEFAULT_WORDS = ("default", "默认")
ADMIN_USAGE_RESEND = "用法：/resend 任务编号（重新发送一个生成好了但没能发出的结果）"
ADMIN_RESEND_STARTED = "📤 正在重新发送任务 {job_id} 的结果。"
ADMIN_RESEND_NOT_PARKED = "⚠️ 任务 {job_id} 不是“已生成但未能发出”的任务，无需重新发送。"
ADMIN_QUOTA_SET = "✅ 已把用户 {user_id} 的{name}上限设为 {value}。"
ADMIN_QUOTA_RESET = "✅ 已把用户 {user_id} 的{name}上限恢复为默认值（{value}）。"
ADMIN_QUOTA_SHOW = "用户 {user_id} 的上限：\n{lines}"
STATS_TEXT = (
    "📈 今日统计（{day}）\n"
    "用户：今日活跃 {users_today}，累计 {users_ever}，白名单 {allowed}\n"
    "用量：{usage}\n"
    "任务：{jobs}\n"
    "失败原因：{failures}\n"
    "预估花费：{spend}\n"
    "（服务商返回的原始错误见日志）"
)
STATS_UNDELIVERABLE = "⚠️ 已生成但未能发出的任务（文件已保存，/resend 任务编号 重新发送）：{ids}"
STATS_NONE = "无"
STATS_UNPRICED = "另有 {count} 项无公开单价"
PRICE_UNIT_NAMES = {"grsai": "GrsAI 计价", "reshi": "reshi123 计价"}
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
# The reason codes stored with failed jobs (bot/core/error_text.py), named for /stats.
FAILURE_NAMES = {
    "auth": "密钥无效",
    "credits": "余额不足",
    "forbidden": "密钥被禁用",
    "rate_limited": "被限流",
    "upstream": "服务商出错",
    "unreachable": "连不上服务商",
    "timeout": "响应超时",
    "dropped": "连接中断",
    "not_found": "任务丢失",
    "expired": "结果过期",
    "error": "生成失败",
    "bad_request": "请求被拒",
    "input_moderation": "描述未过审核",
    "output_moderation": "结果未过审核",
    "job_timeout": "等待超时",
    "interrupted": "重启时中断",
    "too_large": "结果太大",
    "internal": "机器人内部错误",
    "undeliverable": "结果无法发出",
    "submit_unclear": "提交结果不明",
}
PROVIDERS_TITLE = "🔌 服务商状态"
PROVIDER_STATE_NAMES = {
    "ok": "✅ 密钥有效",
    "no_credits": "💳 密钥有效，但余额不足",
    "bad_key": "❌ 密钥无效",
    "forbidden": "⛔ 密钥被禁用",
    "unreachable": "🌐 连接失败或服务出错",
    "error": "⚠️ 检查失败",
}
PROVIDER_LINE = "{name}：{state}；余额：{balance}"
PROVIDER_NO_BALANCE = "该服务商不提供余额查询"

# -- providers, /story ---------------------------------------------------------------------
PROVIDER_NAMES = {"grsai": "GrsAI", "reshi": "reshi123", "unified": "统一任务聚合",
                  "juhe": "聚合API"}  # fmt: skip
STARTUP_UNKNOWN_PROVIDER = "配置有误：{detail} 不是可用的服务商（可选：{names}）。"
STARTUP_PROVIDER_CANNOT = "配置有误：{detail} —— 该服务商不提供这项功能（参见 docs/providers.md）。"
# Failure details for the logs (never shown to users: bot/core/error_text.py).
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
SERVED_KIND_NAMES = {"chat": "对话", "image": "绘图", "video": "视频"}
STORY_HELP = (
    "🎞 /story —— 多镜头故事板视频\n"
    "第一行写 /story 和可选项（比例 16:9/9:16、pro（专业版 sora-2-pro）、高清、私密、水印），"
    "之后每行一个镜头：时长（秒）+ 描述。例如：\n"
    "/story 16:9\n7.5 秒 清晨的城市街道，阳光洒在湿润的路面上\n7.5 秒 主角推门走进咖啡馆\n\n"
    "所有镜头的总时长须为 10、15 或 25 秒（25 秒自动使用 sora-2-pro）。"
)
STORY_BAD_LINE = (
    "⚠️ 第 {number} 行看不懂：“{line}”。每行请写成“时长 描述”，例如：5 秒 主角推门走进咖啡馆"
)
STORY_TOO_FEW = "⚠️ 故事板至少需要 2 个镜头。\n\n" + STORY_HELP
STORY_TOO_MANY = "⚠️ 镜头太多了（最多 {limit} 个），请合并一些镜头。"
STORY_BAD_TOTAL = (
    "⚠️ 所有镜头加起来是 {total} 秒，需要正好 10、15 或 25 秒（25 秒自动使用 sora-2-pro）。"
    "请调整各镜头时长。"
)
STORY_BAD_DURATION = "⚠️ 第 {number} 个镜头的时长 {seconds} 秒不合适（每个镜头 1～25 秒）。"
STORY_UNAVAILABLE = "⚠️ 当前配置的视频服务商都不支持故事板（需要统一任务聚合服务商）。请联系管理员。"

# --- jobs ---
JOB_SUBMIT_UNCLEAR = (
    "⚠️ 提交时服务商没有给出明确答复（服务器出错、响应超时或连接中断），"
    "无法确认任务是否已被接收。为避免重复扣费，没有自动重试；"
    "如需继续，请点击下方“重新生成”（若服务商其实已收到，可能会再扣一次费用）。"
)
JOB_STATE_RESULT_SENDING = "📨 结果已生成，正在发送…"
JOB_STATE_DELIVERY_RETRY = "📨 结果已生成，但暂时发送失败（网络问题），稍后自动重试…"

# --- startup ---
# What `python -m bot` tells the operator (console, journal): one line each, never a secret.
STARTUP_BAD_VALUE = "{name}={value}，应为{allowed}"  # inside STARTUP_BAD_SETTING
STARTUP_BAD_HIDDEN = "{name} 的格式不对（密钥内容不显示），应为{allowed}"
ALLOWED_INT_MIN = "不小于 {min} 的整数"
ALLOWED_NUMBER_MIN = "不小于 {min} 的数字"
ALLOWED_NUMBER_POSITIVE = "大于 0 的数字"
ALLOWED_CHOICES = "以下之一：{choices}"
ALLOWED_BOOL = " true 或 false"
ALLOWED_URL = "以 http:// 或 https:// 开头的完整网址"
ALLOWED_PROXY = "以 http://、https://、socks5:// 或 socks5h:// 开头的代理地址，例如 socks5h://127.0.0.1:1080"
ALLOWED_PORT = " 1–65535 之间的端口号"
ALLOWED_PORT_OR_OFF = " 1–65535 之间的端口号，或 0（关闭）"
ALLOWED_IDS = (
    "用逗号分隔的 ID：Telegram 用户或群的数字 ID，QQ 用户写 qq:<QQ号>，QQ 群写 qqgroup:<群号>，"
    "例如 123456789,-1001234567890,qq:10001,qqgroup:20002"
)
ALLOWED_TIMEZONE = " IANA 时区名，例如 Asia/Shanghai、Asia/Hong_Kong、UTC"
ALLOWED_TOKEN = " @BotFather 给出的令牌，形如 123456789:AAH…（数字、冒号、30 位以上字母数字）"
ALLOWED_MODEL = "已配置服务商的对话模型之一：{models}"
ALLOWED_WEBHOOK_SECRET = " 1～256 位字母、数字、_ 或 -"
ALLOWED_NOT_EMPTY = "非空的值"
ALLOWED_PATH = "一个目录路径"
ALLOWED_PASSWORD_HASH = (
    " python -m bot console-password 生成的整行（scrypt$…，请原样复制，包括两边的单引号）"
)
STARTUP_ENV_FILE_MISSING = (
    "找不到配置文件 {path}（BOT_ENV_FILE 指定）。请检查路径，或删除 BOT_ENV_FILE 以使用仓库根目录的 .env。"
)
STARTUP_ROUTE_PROXY = "经代理 {proxy} 访问 {base}"
STARTUP_ROUTE_DIRECT = "直连 {base}，未设置代理"
STARTUP_TELEGRAM_UNREACHABLE = (
    "无法连接 Telegram（{route}；{reason}）。请检查 TELEGRAM_PROXY（代理）和 TELEGRAM_BASE_URL"
    "（Bot API 地址）；机器人会自动重试，连上后即开始工作。"
)
STARTUP_TELEGRAM_RETRY = "第 {attempt} 次连接 Telegram 仍失败（{reason}），{delay} 秒后重试。"
STARTUP_TELEGRAM_CONNECTED = "已连接 Telegram：@{username}（{route}）。"
STARTUP_REASON_TIMEOUT = "连接超时"
STARTUP_REASON_NETWORK = "网络不通，或代理无法使用"
STARTUP_REASON_FLOOD = "Telegram 要求稍后再试"
STARTUP_REASON_OTHER = "Telegram 返回了错误"
STARTUP_TOKEN_INVALID = (
    "令牌无效：Telegram（{base}）拒绝了 TELEGRAM_BOT_TOKEN。请在 @BotFather 的 /mybots → API Token "
    "中复制完整令牌，填入 .env 的 TELEGRAM_BOT_TOKEN；如果改过 TELEGRAM_BASE_URL，也请确认它指向 Bot API。"
)
STARTUP_HOLDING = "机器人未启动，正在等待停止信号：修正上面的配置后重新启动（docker compose up -d）。"
CLI_DESCRIPTION = (
    "香蕉创作助手：Gemini 对话、Nano Banana 绘图、Sora 2 视频，在 Telegram 和 QQ（OneBot v11，"
    "如 NapCat）上使用。不带参数即启动机器人。"
)
CLI_EPILOG = (
    "配置写在仓库根目录的 .env（参见 .env.example），或用 BOT_ENV_FILE 指定文件。"
    "check 检查配置、Telegram、QQ、服务商密钥和数据目录；console-password 生成网页控制台密码的"
    " CONSOLE_PASSWORD_HASH 一行。"
)
CLI_HELP_HELP = "显示本帮助并退出"
CLI_HELP_VERSION = "显示版本号并退出"
CLI_HELP_COMMAND = "run：启动机器人（默认）；check：检查配置和连接；console-password：设置控制台密码"
CLI_HELP_OFFLINE = "check 时只检查配置和数据目录，不联网"
CLI_HELP_HOLD = "配置有误时不退出、等待停止信号（容器用，避免无休止地重启）"
CLI_USAGE = "用法："
CLI_ARGUMENTS = "参数"
CLI_OPTIONS = "选项"
CLI_ERROR = (
    "{prog}：参数有误：{message}。可用的命令：run（启动机器人，默认）、check（检查配置）、"
    "console-password（设置控制台密码）；"
    "--help 查看全部选项"
)
PASSWORD_PROMPT = "网页控制台的新密码（输入时不显示）："
PASSWORD_PROMPT_AGAIN = "再输入一次："
PASSWORD_MISMATCH = "两次输入的密码不一致，没有生成。请重新运行 python -m bot console-password。"
PASSWORD_TOO_SHORT = "密码太短：至少 {min} 个字符。没有生成，请重新运行。"
PASSWORD_NONE = "没有读到密码（输入为空）。没有生成，请重新运行。"
PASSWORD_RESULT = (
    "把下面这一行写进 .env（已有 CONSOLE_PASSWORD_HASH 就替换它），然后重启机器人；"
    "之后在控制台登录页输入密码即可以所有者身份（BOT_ADMIN_IDS 的第一个）登录：\n{line}"
)
CHECK_TITLE = "🔎 启动前检查"
CHECK_OK = "✅ {what}"
CHECK_FAIL = "❌ {what} —— {fix}"
CHECK_SETTINGS_OK = "配置：{source}"
CHECK_SETTINGS_FILE = "已读取 {path}"
CHECK_SETTINGS_ENV_ONLY = "未找到 .env，只使用环境变量"
CHECK_SETTINGS_BAD = "配置"
CHECK_TELEGRAM_OK = "Telegram：已连接 @{username}（{route}）"
CHECK_TELEGRAM_UNREACHABLE = "Telegram：无法连接（{route}；{reason}）"
CHECK_TELEGRAM_UNREACHABLE_FIX = "检查 TELEGRAM_PROXY（代理）和 TELEGRAM_BASE_URL（Bot API 地址）"
CHECK_TOKEN_INVALID = "Telegram：令牌无效"
CHECK_TOKEN_INVALID_FIX = "在 @BotFather 的 /mybots → API Token 中复制完整令牌，填入 TELEGRAM_BOT_TOKEN"
CHECK_PROVIDER_OK = "{name}：密钥有效"
CHECK_PROVIDER_BAD = "{name}：{state}"
CHECK_PROVIDER_FIX = {
    "bad_key": "检查 {key}（从服务商后台复制完整密钥）",
    "no_credits": "到服务商后台充值",
    "forbidden": "该密钥被禁用或无权使用此接口，请在服务商后台检查或更换 {key}",
    "unreachable": "检查服务器的网络，以及服务商地址 {base}",
    "error": "稍后再试；仍失败请查看日志",
}
CHECK_NOTE = "⚠️ {what} —— {fix}"
CHECK_CONSOLE = "网页控制台：{url}（监听 {host}:{port}）"
# QQ (OneBot): the port, the token, and whether NapCat has connected (bot/onebot/protocol/checkup.py)
CHECK_QQ_PORT_FREE = "QQ：端口 {host}:{port} 可用"
CHECK_QQ_PORT_RUNNING = "QQ：正在运行的机器人已在 {host}:{port} 监听"
CHECK_QQ_PORT_IN_USE = "QQ：端口 {port} 已被其他程序占用"
CHECK_QQ_PORT_IN_USE_FIX = (
    "停止占用它的程序，或把 ONEBOT_WS_PORT 改成别的端口（NapCat 里的反向 WebSocket 地址也要一起改）"
)
CHECK_QQ_PORT_BAD_HOST = "QQ：无法在 {host}:{port} 上监听（{reason}）"
CHECK_QQ_PORT_BAD_HOST_FIX = (
    "ONEBOT_WS_HOST 应为本机的地址：127.0.0.1（NapCat 在同一台机器上）或 0.0.0.0（NapCat 在容器或别的机器上）"
)
CHECK_QQ_TOKEN_SET = "QQ：已设置访问令牌 ONEBOT_ACCESS_TOKEN（NapCat 里要填同一个 token）"
CHECK_QQ_CONNECTED = "QQ：账号 {account} 已连接（{role} 客户端，{when} 起）"
CHECK_QQ_LAST_SEEN = "QQ：账号 {account} 上次连接于 {when}，机器人现在没有运行"
CHECK_QQ_NEVER = "QQ：还没有 NapCat（OneBot 客户端）连接过"
CHECK_QQ_NOT_CONNECTED = "QQ：机器人正在运行，但 NapCat 没有连接"
CHECK_QQ_NOT_CONNECTED_LAST = "QQ：机器人正在运行，但 NapCat 没有连接（账号 {account} 上次连接于 {when}）"
CHECK_QQ_NAPCAT_FIX = (
    "在 NapCat 的「网络配置」里新建「WebSocket 客户端」（反向 WebSocket）并启用："
    "URL 填 {url}，Token 填 {token}；改完后看机器人日志里是否出现“已通过 OneBot 连接”"
)
CHECK_QQ_TOKEN_VALUE = "ONEBOT_ACCESS_TOKEN 的值"
CHECK_QQ_TOKEN_EMPTY = "留空（未设置 ONEBOT_ACCESS_TOKEN）"
CHECK_QQ_ANY_HOST = "本机 IP"  # in the address NapCat dials when the bot listens on 0.0.0.0
CHECK_DATA_OK = "数据目录 {path}：可写，剩余 {free} GB"
CHECK_DATA_NOT_WRITABLE = "数据目录 {path}：无法写入"
CHECK_DATA_NOT_WRITABLE_FIX = "把 BOT_DATA_DIR 设为运行机器人的用户可写的目录，或修改该目录的权限"
CHECK_DATA_LOW_SPACE = "数据目录 {path}：剩余空间只有 {free} MB"
CHECK_DATA_LOW_SPACE_FIX = "清理磁盘，或把 BOT_DATA_DIR 换到空间更大的磁盘（至少 {need} MB）"
CHECK_OFFLINE = "（--offline：未检查 Telegram 和服务商密钥）"
CHECK_PASSED = "全部通过，可以启动：python -m bot"
CHECK_FAILED = "有 {count} 项未通过，按提示修改后再运行 python -m bot check"
# The same end lines when scripts/start.sh ran the check (it sets BOT_LAUNCHER=start.sh): the
# system Python has none of the bot's packages, so `python -m bot` would not work for them.
CHECK_PASSED_START_SH = "全部通过，可以启动：./scripts/start.sh"
CHECK_FAILED_START_SH = "有 {count} 项未通过，按提示修改后再运行 ./scripts/start.sh check"

# --- limits ---
BUTTON_ALREADY_HANDLED = "已处理"
ADMIN_PROVIDER_PROBLEM = (
    "⚠️ 服务商 {provider}：{state}。用户的请求可能因此失败；"
    "请检查配置里它的密钥和账户余额（/providers，QQ 上 /服务商，可随时查看）。恢复后会再通知你。"
)
ADMIN_PROVIDER_WELL_AGAIN = "✅ 服务商 {provider} 已恢复正常。"
ADMIN_DISK_FULL = (
    "⚠️ 机器人的数据盘已满，保存文件失败。进行中的任务会暂停并自动重试，不会丢失；"
    "请尽快清理磁盘或调小 MEDIA_RETENTION_DAYS。"
)

# --- chat images ---
# /draw through the chat format (unified aggregator, 聚合API): asked for in the prompt, and the
# reasons an answer brought no picture (our own words; the provider's text is never quoted).
CHAT_IMAGE_ASK_RATIO = "画面比例 {ratio}"
CHAT_IMAGE_ASK_SIZE = {"2K": "高清，长边约 2048 像素", "4K": "超高清，长边约 4096 像素"}
CHAT_IMAGE_REFUSED_POLICY = "服务商拒绝了这个请求：内容可能不符合规范，请修改描述或参考图"
CHAT_IMAGE_REFUSED = "服务商拒绝了这个请求，没有生成图片，请换个说法再试"
CHAT_IMAGE_PROVIDER_FAILED = "服务商报告生成失败（可能繁忙），没有给出图片"
CHAT_IMAGE_TEXT_ONLY = "服务商只回复了文字，没有给出图片，请把画面描述写得更具体些"
CHAT_IMAGE_EMPTY = "服务商的回答是空的，没有给出图片"
CHAT_IMAGE_CUT_OFF = "图片生成到一半时与服务商的连接断开了，没有收到图片"
CHAT_IMAGE_STREAM_LOST = (
    "机器人重启时图片仍在生成，与服务商的连接已断开，无法取回结果（对话格式没有任务编号可以续查）；"
    "为避免重复扣费没有自动重新提交"
)
# The reasons above are the bot's own words: shown whole, after this prefix.
CHAT_IMAGE_REASONS = (
    CHAT_IMAGE_REFUSED_POLICY, CHAT_IMAGE_REFUSED, CHAT_IMAGE_PROVIDER_FAILED,
    CHAT_IMAGE_TEXT_ONLY, CHAT_IMAGE_EMPTY, CHAT_IMAGE_CUT_OFF, CHAT_IMAGE_STREAM_LOST,
)
ERR_NO_PICTURE = "❌ 没有生成图片：{reason}。"

# --- chat scale ---
CHAT_QUEUED = "⏳ 上一条还在回答，这条排在后面（第 {n} 条）。"
CHAT_QUEUE_FULL = "🙏 前面还有好几条在排队，请等当前的回答结束后再发。"
CHAT_STALLED = "长时间没有收到后续内容，回答已停止。以上是已收到的部分，可以发送“继续”让我接着说。"
CHAT_TOO_LONG = "回答时间过长，已停止。以上是已收到的部分，可以发送“继续”让我接着说。"
CHAT_SHUTDOWN = "机器人正在重启，回答中断，请稍后重新提问。"
CHAT_SHUTDOWN_EMPTY = "🔄 机器人正在重启，这个问题没来得及回答，请稍后重新提问。"

# --- qq ---
STARTUP_NO_PLATFORM = (
    "缺少配置：请设置 TELEGRAM_BOT_TOKEN（Telegram 机器人），或设置 ONEBOT_WS_PORT（通过 NapCat "
    "接入 QQ），也可以两者都设置（参见 .env.example）。"
)
ONEBOT_NEEDS_TOKEN = (
    "ONEBOT_WS_HOST 不是本机回环地址（{host}），必须同时设置 ONEBOT_ACCESS_TOKEN，"
    "否则任何人都能冒充 QQ 机器人连接。请设置访问令牌，并在 NapCat 的 WebSocket 客户端里填写同一个 token。"
)
QQ_ACCESS_DENIED = "🔒 抱歉，这个机器人目前只对受邀用户开放。\n如需使用，请把你的 ID 发给管理员：{user}"
QQ_ACCESS_DENIED_GROUP = (
    "🔒 抱歉，这个机器人还没有在本群开放。\n请把以下 ID 发给管理员：你的 ID {user}，本群 ID {group}"
)
QQ_HELP = (
    "📖 使用帮助（QQ）\n"
    "私聊：直接发消息就是对话；群里：@我、回复我的消息或使用命令。\n"
    "/新对话 —— 清空上下文，开始新对话\n"
    "/画图 描述 —— 画图（可附图或回复图片作为参考图）\n"
    "/视频 描述 —— 生成视频\n"
    "/模型 —— 查看并切换对话模型（回复序号选择）\n"
    "/设置 —— 查看并修改画图、视频的默认选项（例如 /设置 比例 16:9）\n"
    "/用量 —— 今天的用量和剩余额度\n"
    "/帮助 —— 显示本帮助"
)
QQ_NOT_YET = "🚧 QQ 上暂时还不能使用这个命令，请在 Telegram 上使用，或稍后再试。"

# --- QQ operator lines (the log; %s placeholders, filled by logging) ---
LOG_ONEBOT_LISTENING = (
    "QQ（OneBot v11）反向 WebSocket 已在 %s:%s%s 监听，等待 NapCat 连接"
)
LOG_QQ_REFUSAL_DROPPED = "给陌生人 %s 的拒绝提示已略过（提示额度用完，优先回答和发送结果）"
LOG_ONEBOT_EVENT_DROPPED = "QQ 账号 %s 的消息太多，已有 %s 条在处理，这条已丢弃"
LOG_ONEBOT_BAD_FRAME = "QQ 账号 %s 发来一条无法解析的数据，已跳过（连接保持）"
LOG_ONEBOT_CONNECTED = "QQ 账号 %s 已通过 OneBot 连接（%s 客户端）"
LOG_ONEBOT_DISCONNECTED = "QQ 账号 %s 的 OneBot 连接已断开（%s 客户端），等待重新连接"
LOG_ONEBOT_REPLACED = "QQ 账号 %s 重新连接，旧连接已关闭"
LOG_ONEBOT_WRONG_PATH = (
    "拒绝了一个 OneBot 连接（404）：路径 %s 不对。请在 NapCat 的反向 WebSocket 地址里使用路径 %s，"
    "例如 ws://主机:端口/onebot/v11/ws"
)
LOG_ONEBOT_NO_TOKEN = (
    "拒绝了一个 OneBot 连接（401）：没有带访问令牌。请在 NapCat 的反向 WebSocket 设置里填写 token，"
    "与 ONEBOT_ACCESS_TOKEN 相同"
)
LOG_ONEBOT_WRONG_TOKEN = (
    "拒绝了一个 OneBot 连接（403）：访问令牌不对。请让 NapCat 里的 token 与 ONEBOT_ACCESS_TOKEN 一致"
)
LOG_ONEBOT_NO_SELF_ID = (
    "拒绝了一个 OneBot 连接（400）：缺少 X-Self-ID 请求头，对方不像 OneBot v11 实现（NapCat 会自动带上）"
)
LOG_ONEBOT_BAD_ROLE = "拒绝了一个 OneBot 连接（400）：X-Client-Role 应为 Universal、API 或 Event"
LOG_ONEBOT_NOT_JSON = "QQ 账号 %s 发来了一条不是 JSON 的消息，已忽略"
LOG_ONEBOT_HANDLER_FAILED = "处理 QQ 事件时出错"
# Libraries' INFO lines an operator sees, said in Chinese (bot/core/logging_setup.py drops the others).
LIBRARY_LOG_LINES = {
    "Application started": "Telegram：开始接收消息",
    "Application is stopping. This might take a moment.": "Telegram：正在停止…",
    "Application.stop() complete": "Telegram：已停止",
}
LOG_JOB_CONNECT_RETRY = "任务 %s：连不上服务商 %s，第 %s 次重试（请求没有发出，重试不会重复扣费；%s）"
ONEBOT_PORT_IN_USE = (
    "QQ 端口 {port} 已被占用（ONEBOT_WS_HOST={host}）：可能已有一个机器人在运行，或其他程序占用了它。"
    "请停止那个程序，或把 ONEBOT_WS_PORT 改成别的端口（NapCat 里的反向 WebSocket 地址也要一起改）。"
)
QQ_ANSWER_TITLE = "回答"
QQ_JOB_RECEIVED = "收到，正在生成…"
QQ_CHOICE_LINE = "{number}. {mark}{name}"
QQ_CHOICE_HOW = "回复序号（例如 2），或发送 /模型 2 进行选择。"
QQ_CHOICE_OUT_OF_RANGE = "⚠️ 没有这个序号，请输入 1 到 {count} 之间的数字。"
QQ_MODEL_UNKNOWN = "⚠️ 没有这个模型，请发送 /模型 查看可选的模型和序号。"
QQ_PHOTO_NO_TEXT = "🖼 收到图片。请在同一条消息里写上你的问题（例如：这张图里有什么？），或发送 /画图 描述 用它作参考图。"

# --- QQ settings and retry ---
# /设置 on QQ (bot/onebot/handlers/settings.py): no buttons, so items and options are numbered.
QQ_SETTINGS_HEAD = "⚙️ 我的默认设置（直接发送 /画图、/视频 时使用）\n"
QQ_SETTINGS_ITEMS = "\n要修改哪一项？回复序号（例如 1）："
QQ_SETTINGS_ITEM_LINE = "{number}. {name}（当前：{value}）"
QQ_SETTINGS_EXAMPLES = "也可以直接发送，例如：/设置 比例 16:9、/设置 清晰度 2K、/设置 时长 15"
QQ_SETTINGS_NONE = "当前配置下没有可以修改的绘图或视频设置。"
# Item key → the name users read; the order is the numbering of /设置.
QQ_SETTING_NAMES = {
    "image_ratio": "绘图比例",
    "image_size": "绘图清晰度",
    "image_model": "绘图模型",
    "video_ratio": "视频比例",
    "video_duration": "视频时长",
    "video_quality": "视频清晰度",
}
# Words users may write for an item after /设置 (the codes in bot/onebot/handlers/settings.py work too).
QQ_SETTING_ALIASES = {
    "image_ratio": ("比例", "绘图比例", "画图比例", "图片比例"),
    "image_size": ("清晰度", "绘图清晰度", "画图清晰度", "图片清晰度", "尺寸"),
    "image_model": ("模型", "绘图模型", "画图模型", "图片模型"),
    "video_ratio": ("视频比例",),
    "video_duration": ("时长", "视频时长"),
    "video_quality": ("视频清晰度", "画质", "视频画质"),
}
QQ_SETTING_OPTIONS = "{name}（当前：{current}），回复序号选择："
QQ_SETTING_OPTIONS_HOW = "也可以发送 /设置 {name} {example}"
QQ_SETTING_SAVED = "✅ 已保存：{name}改为 {value}。"
QQ_SETTING_SIZE_ADJUSTED = "✅ 已保存：{name}改为 {value}（{model}只支持 {sizes}，绘图清晰度已改为 {size}）。"
QQ_SETTING_MODEL_RESET = "✅ 已保存：{name}改为 {value}（原来的模型不支持这个清晰度，绘图模型已改为{model}）。"
QQ_SETTING_UNKNOWN = "⚠️ 没有“{name}”这一项。可以修改：{names}。发送 /设置 查看当前设置和序号。"
QQ_SETTING_BAD_VALUE = "⚠️ {name}不能设为“{value}”。可选：{choices}。"
QQ_SETTING_UNAVAILABLE = "⚠️ 当前配置下不能生成{kind}，{name}暂时不能修改。"
QQ_SETTING_KIND_NAMES = {"image": "图片", "video": "视频"}
# Retry and "再来一张" by number (bot/onebot/handlers/actions.py, bot/onebot/outbound/job_events.py).
QQ_JOB_INTERRUPTED = (
    "⚠️ 机器人重启时这个任务正在提交，无法确认服务商是否已收到。为避免重复生成，没有自动重试。"
)
QQ_JOB_SUBMIT_UNCLEAR = (
    "⚠️ 提交时服务商没有给出明确答复（服务器出错、响应超时或连接中断），"
    "无法确认任务是否已被接收。为避免重复扣费，没有自动重试。"
)
QQ_RETRY_OFFER = "回复 1 重新提交。"
QQ_RETRY_OFFER_UNCLEAR = "回复 1 重新提交（若服务商其实已收到，可能会再扣一次费用）。"
QQ_RESULT_ACTIONS = (
    "回复这条消息：发送 1 或 /画图 再来一张，发送 /画图 描述 以它为参考图继续画。"
)
QQ_ALREADY_HANDLED = "✅ 已经处理过了，不会重复提交。"
QQ_CHOICE_NOT_YOURS = "⚠️ 这是别人发起的任务，只有发起的人可以重新提交。"

# --- QQ video commands ---
QQ_HELP_VIDEO_TITLE = "🎬 视频与角色："
QQ_HELP_REMIX = "/续写 内容 —— 回复我生成的视频，让它接着往下发展"
QQ_HELP_ROLE = "/角色 1,3 —— 回复一条视频，截取最长 3 秒的片段创建角色"
QQ_HELP_ROLES = "/角色列表 —— 查看、使用或删除你的角色（回复序号选择）"
QQ_HELP_STORY = "/故事 —— 多镜头故事板视频（发送 /故事 查看写法）"
QQ_REMIX_USAGE = (
    "✂️ 用法：回复一条我生成的视频，发送 /续写 接下来的内容，例如：\n"
    "/续写 镜头拉远，主角转身走向远方\n"
    "只能续写我生成的视频（需要服务商返回的视频编号）。"
)
QQ_REMIX_EMPTY = "请在 /续写 后面写上接下来的内容，例如：/续写 镜头拉远，主角转身离开"
QQ_ROLE_USAGE = (
    "🧑‍🎤 用法：回复一条视频，发送 /角色 开始秒,结束秒，例如 /角色 1,3\n"
    "· 回复我生成的视频：从该视频创建角色\n"
    "· 回复你发送的视频，或在发视频的同一条消息里写 /角色 1,3：上传片段创建角色"
    "（仅支持卡通、动物、物体角色，不支持真人）\n"
    "截取的片段最长 3 秒。"
)
QQ_ROLE_CREATED = (
    "✅ 角色已创建！\n角色 ID：{character_id}\n名称：@{name}\n\n"
    "在 /视频 的描述里写 @{name} 即可让角色出场，例如：\n/视频 @{name} 在海边散步\n"
    "想改名？回复这条消息发送 /角色 新名字。发送 /角色列表 管理全部角色。"
)
QQ_ROLE_RENAMED = "✅ 角色已改名为 @{name}。在 /视频 的描述里写 @{name} 即可使用。"
QQ_ROLES_EMPTY = "你还没有角色。回复一条视频发送 /角色 1,3 即可创建。"
QQ_ROLES_TITLE = "🧑‍🎤 我的角色（在 /视频 描述里写 @名称 即可使用）："
QQ_ROLES_HOW = (
    "回复序号使用该角色（例如 2），回复“删除 2”删除；"
    "也可以发送 /角色列表 使用 2 描述，或 /角色列表 删除 2。"
)
QQ_ROLES_USE_WORDS = ("使用", "用")  # what users write before a number: /角色列表 使用 2
QQ_ROLES_DELETE_WORDS = ("删除", "删")
QQ_ROLES_BAD_ARGUMENT = "⚠️ 请写成 /角色列表 使用 序号 或 /角色列表 删除 序号，例如 /角色列表 删除 2。"
QQ_ROLE_INSERT_PROMPT = (
    "🎬 请直接回复这条消息，写出描述，角色 @{name} 会自动出场。\n也可以发送：/视频 @{name} 描述"
)
QQ_JOB_STILL_RUNNING = "仍在生成…"
QQ_VIDEO_SENT_AS_FILE = "🎬 {prompt}\n\n📁 视频有 {size_mb} MB，超过 QQ 视频消息的大小，已作为文件发送。"
QQ_VIDEO_TOO_BIG_LINK = (
    "🎬 {prompt}\n\n"
    "⚠️ 视频有 {size_mb} MB，超过 QQ 视频消息的大小，作为文件发送也没有成功。\n"
    "🔗 下载链接（服务商提供，{expires}）：\n{url}\n\n"
    "文件已保存在机器人服务器上，链接过期后可请管理员取回。"
)
QQ_VIDEO_TOO_BIG_NO_LINK = (
    "🎬 {prompt}\n\n"
    "⚠️ 视频有 {size_mb} MB，超过 QQ 视频消息的大小，作为文件发送也没有成功，"
    "服务商的下载链接也已过期。文件已保存在机器人服务器上，可请管理员取回。"
)

# --- console --- (网页控制台; bot/core/console_auth.py, bot/console/)
CONSOLE_PLAIN_HTTP_WARNING = (
    "⚠️ 网页控制台监听在 {host}:{port}，不是本机地址，而且没有 HTTPS："
    "登录链接和会话可能在网络上被人截获。请改回 CONSOLE_HOST=127.0.0.1 并用 SSH 隧道访问，"
    "或在前面放一个带 HTTPS 的反向代理，并把 CONSOLE_PUBLIC_URL 设为 https 地址（参见 deploy/）。"
)
CONSOLE_LINK = (
    "🔐 网页控制台登录链接（10 分钟内有效，只能使用一次）：\n{url}\n\n"
    "请勿转发给他人。控制台默认只在服务器本机可以打开，从自己的电脑访问的方法见项目说明的“网页控制台”一节。"
)
CONSOLE_LINK_PRIVATE_ONLY = "🔐 登录链接只能在私聊中获取：请私聊机器人发送 {command}。"
CONSOLE_OFF = "网页控制台未开启（CONSOLE_PORT=0）。在 .env 中设置端口并重启机器人后即可使用。"
CONSOLE_NO_ROLE = "你没有网页控制台的权限。"
# Names of the console's failure reasons that /stats and the console show too.
FAILURE_NAMES["chat_gone"] = "聊天已无法送达"
FAILURE_NAMES["cancelled"] = "管理员已取消"
ERR_JOB_CANCELLED = "🚫 这个任务在排队时被管理员取消了，没有提交给服务商，不会扣费。"
CONSOLE_PLATFORM_NAMES = {"telegram": "Telegram", "qq": "QQ"}
CONSOLE_ROLE_NAMES = {"owner": "所有者", "admin": "管理员", "readonly": "只读"}
CONSOLE_KIND_NAMES = {"image": "图片", "video": "视频", "character": "角色"}
CONSOLE_ACTION_NAMES = {
    "login": "登录",
    "logout": "退出登录",
    "revoke": "注销会话",
    "allow": "允许使用",
    "deny": "禁止使用",
    "quota": "修改配额",
    "role": "修改角色",
    "cancel": "取消任务",
    "resend": "重新发送结果",
    "submit_again": "确认重新提交（可能重复扣费）",
    "link": "生成登录链接",
    "provider_check": "检查服务商密钥",
    "public": "修改开放范围",
    "provider_order": "修改服务商顺序",
    "daily_quota": "修改每日配额",
}
CONSOLE_CHECK_SUMMARY = "检查 {total} 个服务商，{bad} 个有问题"  # the audit line of a key check
# Every word the console's pages show (templates hold no Chinese of their own).
CONSOLE_UI = {
    "title": "机器人控制台",
    "nav_overview": "概览",
    "nav_jobs": "任务",
    "nav_gallery": "画廊",
    "nav_users": "用户与群组",
    "nav_settings": "设置",
    "nav_logs": "日志",
    "nav_sessions": "会话",
    "nav_providers": "服务商",
    "password_title": "用密码登录",
    "password_label": "控制台密码",
    "password_failed": "密码不对。",
    "by_password": "密码登录",
    "runtime_settings": "运行中可改的设置",
    "public_title": "谁能使用机器人",
    "public_open": "开放：所有人都能使用（受配额限制）",
    "public_closed": "不开放：只有管理员和白名单",
    "public_env": "恢复为配置文件的设置",
    "public_source_console": "在控制台修改过，优先于配置文件：",
    "public_source_env": "来自配置文件：",
    "open_bot": "开放给所有人",
    "close_bot": "只允许白名单",
    "reset_public": "恢复为配置文件的设置",
    "public_note": "立即生效于 Telegram 和 QQ；被禁止（/deny）的用户和群仍然不能使用。",
    "in_force": "生效中：",
    "source_console": "在控制台修改过，优先于配置文件",
    "source_env": "来自配置文件",
    "env_default": "配置文件的值：",
    "env_overridden": "（运行中已在上方修改，当前不生效）",
    "reset_env": "恢复为配置文件的设置",
    "save": "保存",
    "orders_title": "服务商顺序",
    "orders_note": "只列出已配置密钥、提供这项功能的服务商。勾选“启用”并填写顺序（1 最先），出错时按顺序换下一个；至少启用一个。新请求立即生效，进行中的任务留在原服务商。",
    "enabled": "启用",
    "position": "顺序",
    "order_none_able": "没有已配置密钥的服务商提供这项功能。",
    "quotas_title": "每日配额",
    "quotas_note": "每个用户每天可用的次数（管理员不受限制）。新请求立即生效；用 /quota 或在「用户与群组」里给单个用户设置的配额优先于这里。",
    "quota_per_day": "每人每天",
    "logout": "退出",
    "role": "角色",
    "login_title": "登录网页控制台",
    "login_button": "登录",
    "login_intro": "点击下面的按钮登录。链接只能使用一次，10 分钟内有效。",
    "login_failed": "登录链接无效、已过期或已被使用过。请在机器人私聊中重新发送 /console（QQ：/控制台）获取新链接。",
    "login_limited": "登录尝试太频繁，请过几分钟再试。",
    "login_help_title": "请先登录",
    "login_help": "网页控制台需要登录。请在 Telegram 私聊机器人发送 /console，或在 QQ 私聊发送 /控制台，然后打开收到的一次性链接（10 分钟内有效）。只有管理员可以获取链接。",
    "login_help_tunnel": "控制台默认只监听服务器本机。在自己的电脑上运行下面的命令，再打开链接：",
    "logged_out": "已退出登录。",
    "today": "今天",
    "this_month": "本月",
    "platform": "平台",
    "chats": "对话",
    "images": "图片",
    "videos": "视频",
    "total": "合计",
    "jobs_now": "当前任务",
    "running": "生成中",
    "queued": "排队中",
    "delivering": "发送中",
    "failed_today": "今天失败",
    "failures_by_reason": "今天的失败原因",
    "no_failures": "今天没有失败的任务。",
    "chart_title": "最近 30 天每日用量",
    "chart_label": "最近 30 天每日对话、图片、视频数量的柱状图",
    "failure_chart_title": "最近 30 天各服务商的失败（按原因）",
    "failure_chart_label": "最近 30 天每个服务商失败的任务数，按失败原因分段的条形图",
    "no_failures_month": "最近 30 天没有失败的任务。",
    "filter": "筛选",
    "all": "全部",
    "state": "状态",
    "kind": "类型",
    "user": "用户",
    "user_hint": "如 123 或 qq:123",
    "id": "编号",
    "created": "创建时间",
    "provider": "服务商",
    "task_id": "任务号",
    "prompt": "描述",
    "options": "参数",
    "references": "参考图",
    "failure": "失败原因",
    "result": "结果",
    "progress": "进度",
    "attempts": "提交次数",
    "delivery_failures": "发送失败次数",
    "finished": "结束时间",
    "chat": "会话",
    "no_jobs": "没有符合条件的任务。",
    "newer": "← 较新",
    "older": "较早 →",
    "job": "任务",
    "cancel_job": "取消排队中的任务",
    "cancel_hint": "任务还没有提交给服务商，取消后不会扣费。",
    "resend": "重新发送结果",
    "resend_hint": "结果文件还在服务器上：再发一次给用户（不会重新生成，也不会再次扣费）。",
    "no_resubmit": "除“提交结果不明”的任务经管理员确认外，控制台不会把任务重新提交给服务商（避免重复扣费）。",
    "submit_again": "重新提交…",
    "submit_again_hint": "上次提交时服务商没有给出明确答复，可能已经收到任务并扣费。只有确认服务商那边没有这个任务时才应重新提交。",
    "submit_again_title": "确认重新提交任务",
    "submit_again_warning": "⚠️ 服务商可能已经收到了上次的提交：重新提交后，服务商可能会收取两次费用。",
    "submit_again_once": "每个任务只能重新提交一次（用户自己点过“重新生成”的也不行），提交后不能撤回。结果会照常发给用户。",
    "submit_again_yes": "我已了解可能重复扣费，确认重新提交",
    "submit_again_no": "不提交，返回任务",
    "history": "状态变化",
    "history_from": "原状态",
    "history_to": "新状态",
    "history_bot": "机器人",
    "history_inferred": "推断（此任务早于状态记录，只知道创建和结束时间）",
    "history_created": "创建",
    "date_from": "从",
    "date_to": "到",
    "reference_removed": "参考图已按保留期删除",
    "reference_outside": "不在数据目录中，不显示",
    "reference_file": "参考文件",
    "open_file": "打开",
    "file_removed": "文件已按保留期删除",
    "video_tile": "视频",
    "no_results": "还没有生成的图片或视频。",
    "changes": "修改记录",
    "no_changes": "还没有修改记录。",
    "who": "操作人",
    "what": "操作",
    "when": "时间",
    "identity": "身份",
    "group": "群组",
    "usage_today": "今天用量",
    "usage_total": "累计",
    "access": "访问",
    "allowed": "允许",
    "denied": "禁止",
    "not_listed": "未设置",
    "quota": "配额",
    "allow": "允许",
    "deny": "禁止",
    "set_quota": "设置配额",
    "quota_default": "默认",
    "quota_value_hint": "数字，或留空恢复默认",
    "search": "查找",
    "no_identities": "还没有见过任何用户或群组。",
    "admin_badge": "管理员",
    "setting": "设置项",
    "env_name": "配置名",
    "value": "当前值",
    "settings_note": "这些设置来自配置文件或环境变量，修改后需重启机器人。密钥不会显示。",
    "secret_set": "已设置（隐藏）",
    "not_set": "未设置",
    "logs_intro": "最近的警告和错误（已去除密钥），新记录会自动出现。",
    "no_logs": "暂无警告或错误。",
    "sessions_title": "登录会话",
    "sessions_intro": "每个会话有效期 7 天。注销后该浏览器需要重新获取登录链接。",
    "last_seen": "最近访问",
    "expires": "过期时间",
    "address": "地址",
    "this_session": "当前会话",
    "revoke": "注销",
    "readonly_note": "你的角色是只读：可以查看，不能修改。",
    "done": "已完成",
    "error_title": "出错了",
    "not_found": "找不到这个页面或记录。",
    "forbidden": "没有权限执行这个操作。",
    "csrf_failed": "页面已过期，请刷新后重试。",
    "bad_input": "输入有误，请检查后重试。",
    "back": "返回",
    "thumb": "缩略图",
    "download": "下载",
    "none": "无",
    "unknown": "未知",
    "console_role": "控制台角色",
    "source_listed_allow": "命令或控制台允许",
    "source_listed_deny": "命令或控制台禁止",
    "source_config": "配置里的白名单",
    "source_public": "公开模式",
    "source_admin": "管理员",
    "no_role": "无",
    "set_role": "设置角色",
    "make_link": "生成登录链接",
    "new_link": "一次性登录链接（10 分钟内有效，只能用一次；请私下发给对方，此页不会再次显示）：",
    "no_role_no_link": "先给这个用户设置控制台角色，才能生成登录链接。",
    "provider_order": "使用顺序",
    "provider_order_note": "按顺序尝试，出错时自动换下一个；未配置密钥的服务商会被跳过。可以在「设置」里修改顺序，立即生效。",
    "provider_order_console": "（在控制台修改过）",
    "capability": "功能",
    "provider_no_key": "未配置密钥，跳过",
    "provider_check": "密钥检查",
    "provider_check_note": "与启动前检查相同：向每个服务商发一次免费的验证请求，不生成内容、不扣费。只在点击按钮时检查。",
    "provider_check_button": "检查",
    "provider_checked_at": "上次检查：",
    "provider_not_checked": "本次启动后还没有检查过。",
    "last_day": "近 24 小时",
    "last_month": "近 30 天",
    "month_cached": "近 30 天的统计每分钟更新一次。",
    "model": "模型",
    "model_default": "默认",
    "succeeded": "成功",
    "failed": "失败",
    "success_rate": "成功率",
    "time_to_result": "平均出结果用时",
    "slowest": "最慢",
    "seconds": "秒",
    "no_finished_jobs": "这段时间没有已结束的图片或视频任务。",
    "answers": "回答次数",
    "no_chats": "这段时间没有对话。",
    "first_token_p50": "首字用时（中位数）",
    "first_token_p95": "首字用时（95%）",
    "first_token_note": "首字用时：从向服务商提问到收到第一段文字。回答次数包括失败的对话；出错时自动换用的服务商按最后一个回答或尝试的计算。",
    "provider_errors": "最近的失败",
    "reason": "原因",
    "detail": "详情（仅管理员可见）",
}
CONSOLE_FLASH = {
    "allowed": "已允许 {target} 使用机器人。",
    "denied": "已禁止 {target} 使用机器人。",
    "cannot_deny_admin": "不能禁止管理员 {target}。",
    "quota_set": "已把 {target} 的{name}配额设为 {value}。",
    "quota_reset": "已把 {target} 的{name}配额恢复为默认（{value}）。",
    "cancelled": "任务 #{job} 已取消，没有提交给服务商。",
    "not_cancellable": "任务 #{job} 已经开始或已结束，不能再取消。",
    "resent": "任务 #{job} 的结果正在重新发送。",
    "not_resendable": "任务 #{job} 现在不能重新发送（只有发送失败且文件还在的任务可以）。",
    "submitted_again": "任务 #{job} 已重新提交给服务商（你已确认可能重复扣费），结果会照常发给用户。",
    "not_resubmittable": "任务 #{job} 不能重新提交：只有提交结果不明、且还没有重新提交过的任务可以，每个任务只能一次。",
    "revoked": "会话已注销。",
    "logged_out": "已退出登录。",
    "role_set": "已把 {target} 的控制台角色设为：{role}。",
    "role_admin": "{target} 是管理员（BOT_ADMIN_IDS），本来就是所有者。",
    "checked": "已检查服务商密钥，结果见下方。",
    "public": "已修改：{state}。",
    "order_set": "已修改{name}的服务商顺序：{order}。",
    "order_reset": "{name}的服务商顺序已恢复为配置文件的设置：{order}。",
    "quota_default_set": "已把每人每天的{name}配额设为 {value}。",
    "quota_default_reset": "每人每天的{name}配额已恢复为配置文件的设置：{value}。",
}
# Why an order or quota typed in the console's 设置 cannot be used (shown on the error page).
ORDER_PROBLEMS = {
    "empty": "至少要启用一个服务商。",
    "not_configured": "{provider} 没有配置密钥，或不提供这项功能，不能启用。",
    "twice": "同一个服务商只能出现一次。",
    "position": "顺序要填 1 到 {count} 之间的整数。",
}
QUOTA_PROBLEM = "配额要填 0 到 {max} 之间的整数（0 表示普通用户不能使用）。"

# --- operator lines (the log, INFO and above; %-placeholders filled by logging) ---
LOG_ADMIN_ACCESS = "管理员 %s 执行 %s id=%s"
LOG_ADMIN_SET_QUOTA = "管理员 %s 设置额度 user=%s kind=%s value=%s"
LOG_BACKGROUND_TASKS_AT_SHUTDOWN = "停止时还有 %d 个后台任务在运行"
LOG_BACKGROUND_TASK_FAILED = "后台任务 %s 出错"
LOG_CANNOT_TOUCH = "无法更新 %s：%s"
LOG_CHAT_ANSWERED = "对话已回答 chat=%s user=%s model=%s chars=%d updates=%d error=%s"
LOG_CONSOLE_FIGURES_FAILED = "控制台“服务商”页近 30 天的统计未能更新（沿用上一次的）"
LOG_CHAT_TURN_NOT_RECORDED = "对话用时未能记录（不影响回答）"
LOG_CHAT_VIA_FAILED_TRYING = "对话经 %s 失败（%s），改用 %s"
LOG_CLIP_DOWNLOAD_FAILED = "视频片段下载失败"
LOG_COOLDOWN = "群内冷却中 user=%s chat=%s"
LOG_COULD_NOT_ALERT_ADMIN_ABOUT = "无法通知管理员 %s 磁盘已满"
LOG_COULD_NOT_REMOVE_PRESSED_BUTTON = "无法移除已按下的按钮"
LOG_COULD_NOT_SEND_ERROR_NOTICE = "错误提示发送失败"
LOG_COULD_NOT_SEND_REFUSAL = "拒绝提示发送失败"
LOG_COULD_NOT_SET_COMMAND_MENU = "无法设置命令菜单"
LOG_DISK_FULL_ALERTING_ADMINS = "磁盘已满：正在通知 %d 位管理员"
LOG_DISK_FULL_WHILE_STAGING_WAITING = "暂存 %s 时磁盘已满，等待空间"
LOG_GRSAI_RESULTS_ARE_CALLED_BACK = "GrsAI 的结果将回调到 %s/…"
LOG_HANDLER_FAILED = "处理消息时出错"
LOG_IMAGE_ANSWER_COULD_NOT_BE = "%s 图片回答 %s 无法暂存"
LOG_IMAGE_ANSWER_TOO_LONG_READING = "%s 图片回答 %s 太长，已停止读取"
LOG_IMAGE_ANSWER_WITHOUT_PICTURE_CHARS = "%s 图片回答 %s 里没有图片（%d 个字符）"
LOG_IMAGE_STREAM_CRASHED = "%s 图片流 %s 出错"
LOG_IMAGE_STREAM_ENDED_EARLY = "%s 图片流 %s 提前结束：%s"
LOG_INTERMEDIATE_UPDATE_CRASHED = "中间更新出错"
LOG_INTERMEDIATE_UPDATE_FAILED = "中间更新失败：%s"
LOG_JOB_CHAT_CANNOT_RECEIVE_ANY = "任务 %s：对方已无法接收（%s）"
LOG_JOB_CHAT_MOVED = "任务 %s：群 %s 已迁移到 %s"
LOG_JOB_CONNECTING_NOTICE_NOT_SENT = "任务 %s：“正在连接”提示没有发出"
LOG_JOB_CRASHED = "任务 %s 出错"
LOG_JOB_UNDELIVERABLE = "任务 %s：结果换了几种方式都被拒收，已保留文件，等管理员重新发送（%s）"
LOG_JOB_PHOTO_REFUSED_SENDING_FILE = "任务 %s：照片被拒（%s），改为发送文件"
LOG_JOB_VIDEO_REFUSED_SENDING_FILE = "任务 %s：视频被拒（%s），改为发送文件"
LOG_JOB_PLACE_REFUSED_SENDING_TO_CHAT = "任务 %s：话题或被回复的消息已不可用（%s），改为直接发到聊天里"
LOG_ADMIN_RESENDS_JOB = "管理员 %s 重新发送任务 %s 的结果"
LOG_JOB_DATABASE_FULL_STATE_WRITE = "任务 %s：数据库磁盘已满，状态写入等待空间"
LOG_QQ_MEDIA_MAYBE_SENT = "任务 %s：QQ 在 %.0f 秒内没有回应媒体发送，结果可能已发出，等待 NapCat 的迟到回应"
LOG_JOB_DELIVERY_RETRY = "任务 %s：发送失败（%s），第 %d 次重试在 %.1f 秒后"
LOG_JOB_DISK_FULL_WHILE_SAVING = "任务 %s：保存时磁盘已满，等待空间"
LOG_JOB_FAILED = "任务 %s 失败：%s：%s"
LOG_JOB_FAILED_MOVING = "任务 %s：%s 失败（%s），改用 %s"
LOG_JOB_FAILURE_NOTICE_NOT_SENT = "任务 %s：失败通知没有发出"
LOG_JOB_FILE_UPLOAD_REFUSED_SENDING = "任务 %s：文件上传被拒，改发链接"
LOG_JOB_MILESTONE_NOT_SENT = "任务 %s：进度提示没有发出"
LOG_JOB_NOTICE_UPLOADED_VIDEO_NOT = "任务 %s：已上传视频的提示没有发出"
LOG_JOB_POLL_FAILED_RETRYING = "任务 %s 查询进度失败（%s），稍后重试"
LOG_JOB_PROVIDER_ERROR_RESUBMITTING_ATTEMPT = "任务 %s：服务商出错，自动重新提交（第 %d 次）"
LOG_JOB_RESULT_GONE = "任务 %s：第 %d 个结果已失效：%s"
LOG_JOB_STARTED = "任务 %s 已开始 kind=%s user=%s chat=%s"
LOG_JOB_STATUS_MESSAGE_NOT_SENT = "任务 %s：状态消息没有发出，任务照常进行"
LOG_JOB_SUBMITTED = "任务 %s 已提交到 %s，任务号 %s"
LOG_JOB_SUBMIT_ENDED_AMBIGUOUSLY_NOT = "任务 %s：提交到 %s 的结果不明（%s），不自动重发"
LOG_JOB_TEXT_NOT_SENT = "任务 %s：文字没有发出"
LOG_JOB_VIDEO_DELIVERED = "任务 %s 的视频已发送（%s）"
LOG_JOB_VIDEO_REFUSED_TOO_LARGE = "任务 %s：视频太大被拒，改发链接"
LOG_JOB_VIDEO_SEGMENT_REFUSED_UPLOADING = "任务 %s：视频消息被拒，改为上传文件"
LOG_JUHE_VIDEO_STREAM_CRASHED = "聚合API 视频流 %s 出错"
LOG_JUHE_VIDEO_STREAM_ENDED_EARLY = "聚合API 视频流 %s 提前结束：%s"
LOG_LISTING_MODELS_FAILED = "获取 %s 的模型列表失败：%s"
LOG_MARKDOWN_RENDERING_FAILED_SENDING_PLAIN = "Markdown 排版失败，改发纯文本"
LOG_MERGED_FORWARD_REFUSED_SENDING_ANSWER = "合并转发被拒，改为逐条发送回答"
LOG_NO_GRSAI_CALLBACK = "连续 %d 个任务都没有收到 GrsAI 回调：先按常规查询进度，直到回调恢复（%s/… 是否转发到了机器人？）"
LOG_ONEBOT_MESSAGE_EVENT_WITHOUT_TYPE = "OneBot 消息事件缺少类型或 ID，已忽略"
LOG_ONEBOT_MESSAGE_UNREADABLE = "OneBot 消息 %s 的内容字段无法读取，已忽略"
LOG_PHOTO_DOWNLOAD_FAILED = "图片下载失败"
LOG_PLAIN_TEXT_RENDERING_FAILED_SENDING = "纯文本转换失败，按原文发送回答"
LOG_PROVIDER_ERROR = "服务商请求失败：%s%s：%s"
LOG_MEDIA_KIND_NAMES = {"image": "图片", "video": "视频"}
LOG_QQ_MEDIA_REFUSED = "QQ 用户发来的%s被拒绝下载：%s"
LOG_QQ_MEDIA_DOWNLOAD_FAILED = "QQ 用户发来的%s下载失败：%s"
LOG_QQ_MEDIA_NOWHERE = "QQ 用户发来的%s既没有可用的链接也没有本地路径"
LOG_QQ_GET_IMAGE_FAILED = "向 QQ 查询图片位置失败"
LOG_QQ_JOB_FROM = "QQ 任务 %s：%s（来自任务 %s）"
LOG_QQ_MESSAGE_HANDLER_FAILED = "处理 QQ 消息时出错"
LOG_REFERENCE_DOWNLOAD_FAILED = "参考图下载失败"
LOG_REFUSED = "已拒绝用户（不在白名单）user=%s chat=%s"
LOG_RESUMED_UNFINISHED_JOBS = "已恢复 %d 个未完成的任务"
LOG_HTTP_LISTENING = "HTTP 服务监听 %s:%s"
LOG_CONSOLE_AT = "网页控制台：%s（管理员向机器人发送 /console 或 /控制台 获取登录链接）"
HTTP_PORT_IN_USE = "端口 {host}:{port} 已被其他程序占用：请修改 .env 的 {setting}，或停止占用它的程序。"
HTTP_PORT_SHARED = "网页控制台和 Webhook 不能用同一个地址 {host}:{port}：请修改 CONSOLE_PORT。"
LOG_STOP_STEP_TIMED_OUT = "停止时有一步超时，已跳过"
LOG_STOP_STEP_FAILED = "停止时有一步出错，已跳过"
LOG_TELEGRAM_WEBHOOK_SET = "已设置 Telegram Webhook（%s）"
LOG_RETENTION_DELETED_MEDIA_FILES_OLDER = "清理：删除了 %d 个超过 %g 天的媒体文件"
LOG_RETENTION_SWEEP_FAILED = "清理旧文件出错"
LOG_PROVIDER_STATE_CHANGED = "服务商 %s 的定期检查结果变为 %s（%s），已通知管理员"
LOG_NO_DRAFTS = "这里不支持 sendMessageDraft：改为编辑消息来流式显示"
LOG_STATUS_JOB_NOT_SHOWN_RETRY = "任务 %s 的状态没有显示（%s），%.1f 秒后重试"
LOG_STATUS_UPDATE_JOB_FAILED = "任务 %s 的状态更新出错"
LOG_TELEGRAM_429_PAUSE = "Telegram 限流（429）chat=%s：暂停 %.1f 秒"
