"""Reading pictures, progress and refusals out of chat-format image answers (pure functions)."""

from __future__ import annotations

import base64

import pytest

from bot.core import texts
from bot.core.providers.chat_answer import (
    MAX_PICTURES,
    decode_data_url,
    find_pictures,
    no_picture_reason,
    progress_of,
    prompt_with_options,
)
from tests.media import make_png

PNG = make_png(4, 4, "x")
DATA = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.mark.parametrize(
    "answer, pictures",
    [
        ("![gen](https://a.cn/x.png)", ["https://a.cn/x.png"]),
        ('![gen](<https://a.cn/x.png> "title")', ["https://a.cn/x.png"]),
        # The download link beside a shown picture is the same picture: not fetched twice.
        ("![gen](https://a.cn/cdn/x.png)\n[下载⏬](https://a.cn/download/x.png)",
         ["https://a.cn/cdn/x.png"]),
        ("[点击查看图片](https://a.cn/x)", ["https://a.cn/x"]),
        ("[100](https://chat.example/s/1)\n[image](https://a.cn/y.webp?sig=1)",
         ["https://a.cn/y.webp?sig=1"]),
        ("图片地址：https://a.cn/x.jpeg ，两小时内有效。", ["https://a.cn/x.jpeg"]),
        ("见 https://a.cn/x.JPG。", ["https://a.cn/x.JPG"]),
        (f"![img]({DATA})", [DATA]),
        (f"结果：{DATA}", [DATA]),
        ("![1](https://a.cn/1.png) ![2](https://a.cn/2.png) ![1](https://a.cn/1.png)",
         ["https://a.cn/1.png", "https://a.cn/2.png"]),
        ("进度 46....[100](https://chat.example/s/1)", []),
        ("视频 https://a.cn/v.mp4 和网页 https://a.cn/page", []),
        ("", []),
    ],
)  # fmt: skip
def test_pictures_are_found_in_every_answer_shape(answer: str, pictures: list[str]) -> None:
    assert find_pictures(answer) == pictures


def test_a_url_at_the_end_of_a_cut_answer_is_not_trusted() -> None:
    cut = "图片：https://a.cn/x.png"
    assert find_pictures(cut) == ["https://a.cn/x.png"]
    assert find_pictures(cut, complete=False) == []
    assert find_pictures(cut + " 好了", complete=False) == ["https://a.cn/x.png"]
    assert find_pictures("![a](https://a.cn/x.pn", complete=False) == []
    assert find_pictures(f"![a]({DATA[:40]}", complete=False) == []


def test_at_most_one_album_of_pictures() -> None:
    answer = "".join(f"![{i}](https://a.cn/{i}.png)" for i in range(MAX_PICTURES + 5))
    assert len(find_pictures(answer)) == MAX_PICTURES


def test_data_urls_decode_or_are_refused() -> None:
    assert decode_data_url(DATA) == PNG
    assert decode_data_url("data:image/png;base64,@@@") is None


@pytest.mark.parametrize(
    "answer, progress",
    [
        ("> 🏃 进度 11....27....46", 46),
        ("进度：45%\n> 生成中", 45),
        ("> 🕐 排队中.\n> ⚡ 生成中...", None),
        ("progress 12%\n进度 30....[100](https://chat.example/s/1)", 100),
        ("![a](https://a.cn/200.png)", None),
        ('{"ratio": "16:9"}', None),
    ],
)
def test_progress_is_the_latest_the_answer_reports(answer: str, progress: int | None) -> None:
    assert progress_of(answer) == progress


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("I'm sorry, but this request violates our content policy.",
         texts.CHAT_IMAGE_REFUSED_POLICY),
        ("生成失败：内容可能违反了使用政策", texts.CHAT_IMAGE_REFUSED_POLICY),
        ("抱歉，我无法完成这个请求。", texts.CHAT_IMAGE_REFUSED),
        ("当前生成队列繁忙，请稍后再试 https://status.example", texts.CHAT_IMAGE_PROVIDER_FAILED),
        ("请问您想要什么风格的画面？", texts.CHAT_IMAGE_TEXT_ONLY),
        ("   ", texts.CHAT_IMAGE_EMPTY),
    ],
)  # fmt: skip
def test_an_answer_without_a_picture_is_explained_in_chinese(answer: str, reason: str) -> None:
    assert no_picture_reason(answer) == reason


def test_a_cut_answer_without_a_picture_says_the_connection_broke() -> None:
    assert no_picture_reason("> 进度 11....", cut_off=True) == texts.CHAT_IMAGE_CUT_OFF


def test_ratio_and_size_are_asked_for_in_the_prompt() -> None:
    assert prompt_with_options("一只猫", {"aspect_ratio": "auto", "image_size": "1K"}) == "一只猫"
    asked = prompt_with_options("一只猫", {"aspect_ratio": "16:9", "image_size": "2K"})
    assert asked.startswith("一只猫\n\n") and "画面比例 16:9" in asked and "2048" in asked
