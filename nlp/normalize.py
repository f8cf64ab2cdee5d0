"""Cheap, deterministic clean-up of chat text before any matching.

Order matters: the raw text is cut to a bounded length first so that every later
step costs at most O(MAX_CHARS); NFKC then folds full-width digits, letters and
punctuation (and WeChat's U+2005 mention space) into their plain forms, so the
patterns below only need to know the plain ones.

This runs on every chat message, so each step is skipped when a cheap test shows it has
nothing to do, and the common full-width punctuation is folded with ``str.replace`` before
paying for a full NFKC pass (same result, see ``_nfkc``). ``unsettled_by`` lets a pre-check on
the raw text skip normalising altogether when that provably cannot create what it looks for.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MAX_CHARS: Final = 300
"""Only this many characters of a message are classified (after clean-up)."""

_RAW_SLACK: Final = 4
"""Raw text is cut to MAX_CHARS * _RAW_SLACK before clean-up, leaving room for stripped URLs/emoji."""
MAX_RAW_CHARS: Final = MAX_CHARS * _RAW_SLACK
"""How much of a message ``normalize`` reads (with the default ``max_chars``)."""

_URL: Final = re.compile(r"(?:https?://|www\.)[a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_LATIN_MENTION: Final = re.compile(r"@[a-z0-9_]{1,32}")
_NAME_MENTION: Final = re.compile(r"@[^\s@]{1,16}\s")
_EMOJI: Final = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, supplemental symbols
    "\U00002600-\U000027bf"  # misc symbols and dingbats
    "\U00002300-\U000023ff"  # misc technical (hourglass, watch, ...)
    "\U00002b00-\U00002bff"  # arrows and stars
    "\U0000fe00-\U0000fe0f"  # variation selectors
    "\U0000200d\U000020e3"  # zero-width joiner, keycap
    "]+"
)
_BRACKET_EMOTICON: Final = re.compile(r"\[[\u4e00-\u9fffa-z]{1,4}\]")
"""WeChat-style text emoticons such as [微笑] [强] [捂脸], pasted into chats as text."""

# Traditional -> simplified for characters that occur in the rule vocabulary and in the
# sentences around it. Deliberately small: only characters whose traditional form is never
# itself a simplified character, so the mapping cannot damage simplified text.
_T2S_PAIRS = (
    "電电 壞坏 樓楼 門门 燈灯 髒脏 臟脏 聲声 鬧闹 亂乱 車车 費费 業业 單单 積积 層层 線线 頭头 開开 關关 "
    "壓压 滲渗 縫缝 維维 護护 報报 廢废 圍围 違违 規规 築筑 佔占 擋挡 蟲虫 衛卫 處处 裡里 裏里 區区 場场 "
    "雜杂 發发 黴霉 氣气 糞粪 異异 問问 題题 謝谢 請请 時时 幾几 點点 麼么 經经 決决 為为 這这 個个 們们 "
    "來来 沒没 還还 會会 讓让 說说 話话 無无 後后 邊边 樣样 動动 響响 鄰邻 養养 貓猫 鬥斗 罵骂 熱热 斷断 "
    "滿满 運运 掃扫 衝冲 廁厕 戶户 廣广 團团 購购 龍龙 轉转 復复 裝装 陽阳 臺台 檯台 庫库 鐵铁 碼码 擾扰 "
    "濕湿 環环 綠绿 樹树 葉叶 導导 嚴严 險险 餘余 牆墙 頂顶 鎖锁 鑰钥 監监 攝摄 機机 設设 備备 間间 兩两 "
    "號号 蒼苍 蠅蝇 螞蚂 蟻蚁 煩烦 塊块 擺摆 攤摊 狀状 況况 講讲 兒儿 淨净 溝沟 總总 貼贴 傳传 將将 預预 "
    "計计 劃划 歲岁 際际 孫孙 錢钱 圖图 飛飞 麗丽 媽妈 爺爷 寶宝 紅红 藍蓝 黃黄 絲丝 網网 趕赶 緊紧 "
    "產产 閘闸 漲涨 辦办 喚唤 嗎吗 嘔呕 噁恶 惡恶 燒烧 煙烟 塵尘 揚扬 殘残 濾滤"
)
_T2S: Final = str.maketrans({pair[0]: pair[1] for pair in _T2S_PAIRS.split()})
_TRADITIONAL: Final = re.compile("[" + "".join(pair[0] for pair in _T2S_PAIRS.split()) + "]")
_EMOJI_OR_TRADITIONAL: Final = re.compile(_EMOJI.pattern.removesuffix("]+") + _TRADITIONAL.pattern[1:])
"""One scan that tells whether the emoji and traditional-character steps have anything to do."""
_ANYTHING_TO_DO: Final = re.compile("[\\s:w@\\[" + _EMOJI_OR_TRADITIONAL.pattern[1:])
"""One scan that tells whether any step after lower-casing may have something to do: whitespace
to collapse, URLs need "://" or "www.", mentions "@", emoticons "[", then emoji and traditional
characters."""

_EVERYDAY_RANGES = (
    (0x09, 0x0D),  # tab, line breaks
    (0x20, 0x7E),  # ASCII
    (0x2000, 0x206F),  # general punctuation, WeChat's mention space
    (0x2190, 0x21FF),  # arrows
    (0x2300, 0x23FF),  # misc technical (emoji)
    (0x2460, 0x24FF),  # circled numbers and letters
    (0x25A0, 0x27BF),  # shapes, misc symbols, dingbats (emoji)
    (0x2B00, 0x2BFF),  # arrows and stars (emoji)
    (0x3000, 0x303F),  # CJK punctuation
    (0x3400, 0x4DBF),  # CJK ideographs, extension A
    (0x4E00, 0x9FFF),  # CJK ideographs
    (0xFE00, 0xFE0F),  # variation selectors (emoji)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF01, 0xFF60),  # full-width ASCII
    (0xFFE0, 0xFFEE),  # full-width signs
    (0x1F300, 0x1FAFF),  # emoji
)
"""Where the characters of everyday chat text live; ``unsettled_by`` checks each one."""

_COMMON_FULL_WIDTH: Final = (("？", "?"), ("！", "!"), ("：", ":"), ("（", "("), ("）", ")"), ("；", ";"))
"""After the full-width comma, the characters that most often make chat text not NFKC-normal."""


def to_simplified(text: str) -> str:
    """Map the common traditional characters of the rule vocabulary to simplified ones."""
    return text.translate(_T2S)


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, cheaper for typical chat text.

    A full NFKC pass costs more than everything else in ``normalize`` together, and what makes
    chat text not NFKC-normal is nearly always full-width punctuation (，？！：). Replacing a
    character by its own NFKC form leaves the text compatibility-equivalent, so its NFKC form is
    unchanged; when the replacements already give NFKC-normal text, that text is the result.
    """
    is_normalized = unicodedata.is_normalized
    text = text.replace("，", ",")  # costs less than a first is_normalized
    if is_normalized("NFKC", text):
        return text
    for full_width, plain in _COMMON_FULL_WIDTH:
        text = text.replace(full_width, plain)
    return text if is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def normalize(text: str | None, max_chars: int = MAX_CHARS) -> str:
    """Return the cleaned, lower-cased, simplified form of at most `max_chars` characters of `text`.

    Each step is skipped when a cheap test shows it has nothing to do: this runs on every message.
    """
    if not text:
        return ""
    text = _nfkc(text[: max_chars * _RAW_SLACK]).lower()
    if not _ANYTHING_TO_DO.search(text):  # most chat: Chinese and punctuation without spaces
        return text[:max_chars]
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _LATIN_MENTION.sub(" ", _NAME_MENTION.sub(" ", text))
    if _EMOJI_OR_TRADITIONAL.search(text):
        text = _EMOJI.sub(" ", text)
        if "[" in text:
            text = _BRACKET_EMOTICON.sub(" ", text)
        if _TRADITIONAL.search(text):
            text = text.translate(_T2S)
    elif "[" in text:  # nothing else to do: removing emoticons cannot bring in emoji or traditional characters
        text = _BRACKET_EMOTICON.sub(" ", text)
    return " ".join(text.split())[:max_chars]


def unsettled_by(characters: frozenset[str]) -> re.Pattern[str]:
    """A pattern that finds, in raw text, every character that ``normalize`` might turn into one
    of ``characters`` (and more): everything but the everyday characters shown not to.

    An everyday character passes if its decomposition holds no combining mark and it is one of
    ``characters`` or normalises, on its own, to none of them. Without combining marks (and the
    everyday ranges hold no Hangul jamo or other composing characters) nothing composes or
    reorders, so each step of ``normalize`` maps such text character by character, and the
    stripping steps put in spaces, never join. Where the pattern finds nothing in a text, each of
    ``characters`` in ``normalize(text)`` therefore stands for itself in ``text``, between the same
    neighbours: a word made of ``characters`` occurs in the normalised text only if it occurs in
    ``text[:MAX_RAW_CHARS]``. So a pre-check for such words can skip normalising. Builds in ~25 ms.
    """
    settled: list[str] = []
    for first, last in _EVERYDAY_RANGES:
        for start in range(first, last + 1, 256):
            chunk = "".join(map(chr, range(start, min(start + 256, last + 1))))
            if _maps_to_itself(chunk):  # most of them: ideographs, emoji
                settled.append(chunk)
            else:
                settled += [char for char in chunk if char in characters or _normalises_clear_of(char, characters)]
    unsettled = {traditional for traditional, simplified in _T2S.items() if simplified in characters}
    codes = sorted(set(map(ord, "".join(settled))) - set(unsettled))
    return re.compile(f"[^{_character_class(codes)}]")


def _maps_to_itself(text: str) -> bool:
    """True if NFKD, NFKC and lower-casing leave ``text`` alone and it holds no combining mark.

    Traditional characters are not checked: ``to_simplified`` maps each to a single character.
    """
    return (
        not any(map(unicodedata.combining, text))
        and unicodedata.is_normalized("NFKD", text)
        and unicodedata.is_normalized("NFKC", text)
        and text.lower() == text
    )


def _normalises_clear_of(char: str, characters: frozenset[str]) -> bool:
    """True if ``char`` normalises, without combining marks, to text that holds none of ``characters``."""
    decomposed = unicodedata.normalize("NFKD", char)
    return (
        decomposed == unicodedata.normalize("NFKC", char)
        and not any(map(unicodedata.combining, decomposed))
        and characters.isdisjoint(to_simplified(decomposed.lower()))
    )


def _character_class(codes: list[int]) -> str:
    """Sorted code points as the inside of a regular-expression character class, in ranges."""
    parts: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            parts.append(re.escape(chr(start)) + ("" if start == previous else "-" + re.escape(chr(previous))))
            start = code
        previous = code
    return "".join(parts)
