"""The texts machinery (a catalogue per feature, all joined into one table by the composition root) and the core's
own sentences: what the runtime and the shared helpers say. Chinese first, English second."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from string import Formatter

from models.people import Role
from models.tickets import Category

SUPPORTED_LOCALES = ("zh", "en")
FALLBACK = "zh"
QUOTE_LIMIT = 24  # characters of what someone typed that a reply quotes back


def quoted(typed: str, limit: int = QUOTE_LIMIT) -> str:
    """What someone typed, as a reply may quote it: one line, cut to `limit` characters with … (a reply that
    echoes a 5,000-character code would be refused by Telegram and lost)."""
    line = " ".join(typed.split())
    return line if len(line) <= limit else line[:limit] + "…"


@dataclass(frozen=True)
class Family:
    """Keys put together at run time (`category.{}` for each category): the template and every value filled in,
    declared so a test can check that each key exists and is used."""

    template: str
    members: tuple[str | tuple[str, ...], ...]

    def expand(self) -> list[str]:
        return [self.template.format(*m) if isinstance(m, tuple) else self.template.format(m) for m in self.members]


@dataclass(frozen=True)
class Catalogue:
    """The sentences of one part of the bot, by locale, and the families of its keys built at run time."""

    name: str
    zh: Mapping[str, str]
    en: Mapping[str, str]
    families: tuple[Family, ...] = field(default=())

    def by_locale(self) -> dict[str, Mapping[str, str]]:
        return {"zh": self.zh, "en": self.en}


class Texts:
    """Several catalogues as one table; a key belongs to exactly one of them."""

    def __init__(self, catalogues: Iterable[Catalogue]) -> None:
        self._tables: dict[str, dict[str, str]] = {locale: {} for locale in SUPPORTED_LOCALES}
        for catalogue in catalogues:
            for locale, table in catalogue.by_locale().items():
                clash = self._tables[locale].keys() & table.keys()
                if clash:
                    raise ValueError(f"{catalogue.name}: text keys already taken: {sorted(clash)}")
                self._tables[locale].update(table)

    def translate(self, locale: str, key: str, **values: object) -> str:
        """The sentence for `key` in `locale`, falling back to Chinese; a missing key is a bug."""
        table = self._tables.get(locale, self._tables[FALLBACK])
        template = table.get(key) or self._tables[FALLBACK][key]
        return PLURALS.vformat(template, (), values) if values else template


class PluralFormatter(Formatter):
    """`{count:minute|minutes}` is the word for that count: the first form for 1 (or −1), the second otherwise —
    English texts say 「due in 1 minute」 and 「2 minutes」 from one template; Chinese ones need no such field."""

    def format_field(self, value: object, format_spec: str) -> str:
        if "|" not in format_spec:
            return str(super().format_field(value, format_spec))
        one, _, other = format_spec.partition("|")
        return one if str(value).lstrip("+-−") == "1" else other


PLURALS = PluralFormatter()


ZH: dict[str, str] = {
    "desk.wrong_state": "工单当前状态不能这样操作，请刷新页面看看最新进展。",
    "error.generic": "抱歉，刚才处理您的消息时出了点问题，已记录下来，请稍后再试。",
    "photo.not_kept": "抱歉，您刚发的 {count} 张图片没能保存下来（链接已过期、图片太大或不是图片）；消息里的文字照常处理。需要的话请再发一次图片。",
    "reach.open_private": "私聊机器人查看",
    "reach.not_yours": "这个链接是给另一位邻居的，您可以在群里直接和我说话。",
    "reach.knock": "{name}，有一条给您的消息，我没法先私信您：请点下面的按钮打开和我的私聊查看。",
    "reach.knock_no_link": "{name}，有一条给您的消息，我没法私信您：请在这里 @ 我，或请社区工作人员把您加入企业微信。",
    "button.refused": "抱歉，您没有权限进行这个操作。",
    "button.stale": "这个按钮已失效。",
    "flood.pause": "{name}，您发命令太快了，我先歇 {minutes} 分钟，之后再回答您。",
    "number.unknown": "没有这个编号：{value}",
    "number.too_large": "数量太大：{value}（最多 {maximum}）",
    "button.private_only": "这个按钮只能在和我的私聊中使用。",
    "button.group_only": "这个按钮只能在群里使用。",
    "button.next": "下一页 ▶",
    "button.prev": "◀ 上一页",
    "role.resident": "居民",
    "role.volunteer": "志愿者",
    "role.building_head": "楼栋长",
    "role.grid_worker": "网格员",
    "role.staff": "社区工作人员",
    "role.admin": "管理员",
    "role.org_member": "单位成员",
    "category.repair": "报修",
    "category.dispute": "邻里纠纷",
    "category.sanitation": "环境卫生",
    "scope.need_one": "请至少选择一个范围。",
    "scope.bad_time": "没看懂这个时间。可以这样写：明天上午9点、周六 9:00、11月30日 9:00、2026-11-30 09:00",
    "scope.past_time": "这个时间已经过去了，请发送一个将来的时间。",
    "common.cancelled": "已取消，不会发送。",
    "button.next_step": "下一步 ▶",
    "button.cancel_send": "取消",
    "choices.hint": "回复编号即可选择（在群里请先 @我）：",
    "wecom.truncated": "……（消息过长，已截断）",
    "wecom.part": "\n（{n}/{total}）",
    "time.today": "今天 {time}",
    "time.tomorrow": "明天 {time}",
    "time.day": "{weekday} {month}{day}日 {time}",
    "time.weekdays": "周一,周二,周三,周四,周五,周六,周日",
    "time.months": "1月,2月,3月,4月,5月,6月,7月,8月,9月,10月,11月,12月",
    "time.date": "{month}{day:02}日 {time}",
    "time.date_months": "01月,02月,03月,04月,05月,06月,07月,08月,09月,10月,11月,12月",
    "time.weekday_date": "{weekday} {date}",
    "time.span": "{start}–{end}",
}

EN: dict[str, str] = {
    "desk.wrong_state": "The ticket's status does not allow that now; reload the page to see where it stands.",
    "error.generic": "Sorry, something went wrong while handling your message. It has been logged; please try again later.",
    "photo.not_kept": "Sorry, {count} {count:image|images} you just sent could not be kept (the link expired, it was too big or not an image); the text of your message is handled as usual. Please send the image again if it is needed.",
    "reach.open_private": "Open in a private chat",
    "reach.not_yours": "This link is meant for another neighbour; you can talk to me in the group.",
    "reach.knock": "{name}, there is a message for you, and I cannot write to you first: press the button below to open a private chat with me and read it.",
    "reach.knock_no_link": "{name}, there is a message for you, and I cannot write to you privately: mention me here, or ask the community staff to add you to WeCom.",
    "button.refused": "Sorry, you are not allowed to do that.",
    "button.stale": "This button is no longer valid.",
    "flood.pause": "{name}, you are sending commands too fast; I will pause for {minutes} {minutes:minute|minutes} before answering you again.",
    "number.unknown": "There is no such number: {value}",
    "number.too_large": "That number is too large: {value} (at most {maximum})",
    "button.private_only": "This button only works in a private chat with me.",
    "button.group_only": "This button only works in a group.",
    "button.next": "Next ▶",
    "button.prev": "◀ Previous",
    "role.resident": "resident",
    "role.volunteer": "volunteer",
    "role.building_head": "building head",
    "role.grid_worker": "grid worker",
    "role.staff": "community staff",
    "role.admin": "administrator",
    "role.org_member": "organisation member",
    "category.repair": "repair",
    "category.dispute": "neighbour dispute",
    "category.sanitation": "sanitation",
    "scope.need_one": "Please choose at least one scope.",
    "scope.bad_time": "I could not read that time. Try: 明天上午9点, 周六 9:00, 11月30日 9:00, 2026-11-30 09:00",
    "scope.past_time": "That time has passed; please send a time in the future.",
    "common.cancelled": "Cancelled; nothing will be sent.",
    "button.next_step": "Next ▶",
    "button.cancel_send": "Cancel",
    "choices.hint": "Reply with a number to choose (in a group, @mention me first):",
    "wecom.truncated": "… (message too long, cut here)",
    "wecom.part": "\n({n}/{total})",
    "time.today": "today {time}",
    "time.tomorrow": "tomorrow {time}",
    "time.day": "{weekday} {day} {month} {time}",
    "time.weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    "time.months": "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec",
    "time.date": "{day} {month} {time}",
    "time.date_months": "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec",
    "time.weekday_date": "{weekday} {date}",
    "time.span": "{start}–{end}",
}

CORE = Catalogue("core", ZH, EN, families=(Family("role.{}", tuple(Role)), Family("category.{}", tuple(Category))))
translate = Texts((CORE,)).translate
"""The core's sentences alone: what the runtime itself says (the apology, typed choices, roles, categories)."""
