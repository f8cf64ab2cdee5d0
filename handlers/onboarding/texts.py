"""The onboarding feature's sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.feature import HELP_TOPICS
from handlers.core.texts import CORE, Catalogue, Family, Texts
from models.people import InviteProblem
from models.role_audit import RoleChange

ZH: dict[str, str] = {
    "start.hello": "您好，{name}！我是「邻里」小助手，帮楼里登记报修、转达社区通知、记录志愿服务积分。\n发送 /help 或「帮助」查看能做什么。",
    "start.invite_ok": "欢迎！您已成为「{place}」的{role}。\n发送 /help 查看您现在可以使用的功能。",
    "start.invite_unknown": "这个邀请链接无效，请向社区工作人员重新索取。",
    "start.invite_used": "这个邀请链接已经被使用过了，每个链接只能用一次。请向社区工作人员重新索取。",
    "start.invite_expired": "这个邀请链接已过期，请向社区工作人员重新索取。",
    "help.header": "「邻里」可以帮您：",
    "help.plain_words": "不方便输入命令时，直接发中文也可以，例如：{words}",
    "help.roles": "您的身份：{roles}",
    "help.no_roles": "您还没有登记身份；在已绑定的楼栋群里发言后会自动登记为居民。",
    "help.more": "更多功能按类查看：",
    "help.hint": "发送 帮助 查看可以做什么。",
    "help.home": "◀ 常用",
    "help.topic_colon": "：",
    "help.topic_tickets": "工单",
    "help.topic_notices": "通知活动",
    "help.topic_points": "积分",
    "help.topic_volunteers": "志愿服务",
    "help.topic_account": "我的账号",
    "help.topic_admin": "管理",
    "cmd.start": "开始使用",
    "cmd.help": "帮助：我能做什么",
    "cmd.me": "我的身份",
    "me.none": "您还没有任何身份。",
    "me.list": "{name}，您的身份：\n{roles}",
    "me.history": "身份变动记录：",
    "me.change_granted": "{when} 获得 {role} · {place}（{by} 授予）",
    "me.change_revoked": "{when} 撤销 {role} · {place}（{by} 撤销）",
    "me.change_handed_over": "{when} 移交 {role} · {place}（{by} 安排交接）",
    "me.by_system": "系统",
}

EN: dict[str, str] = {
    "start.hello": "Hello, {name}! I am Linli, the neighbourhood helper: repair requests, community notices and volunteer points.\nSend /help to see what I can do.",
    "start.invite_ok": "Welcome! You are now {role} of {place}.\nSend /help to see what you can do.",
    "start.invite_unknown": "This invite link is not valid. Please ask the community office for a new one.",
    "start.invite_used": "This invite link has already been used; each link works once. Please ask the community office for a new one.",
    "start.invite_expired": "This invite link has expired. Please ask the community office for a new one.",
    "help.header": "Linli can help you with:",
    "help.plain_words": "You can also type plain words, for example: {words}",
    "help.roles": "Your roles: {roles}",
    "help.no_roles": "You have no role yet; speaking in a bound building group registers you as a resident.",
    "help.more": "More, by topic:",
    "help.hint": "Send /help to see what I can do.",
    "help.home": "◀ Everyday",
    "help.topic_colon": ":",
    "help.topic_tickets": "Tickets",
    "help.topic_notices": "Notices & events",
    "help.topic_points": "Points",
    "help.topic_volunteers": "Volunteering",
    "help.topic_account": "My account",
    "help.topic_admin": "Admin",
    "cmd.start": "Get started",
    "cmd.help": "Help: what I can do",
    "cmd.me": "My roles",
    "me.none": "You have no roles yet.",
    "me.list": "{name}, your roles:\n{roles}",
    "me.history": "Changes to your roles:",
    "me.change_granted": "{when} became {role} · {place} (granted by {by})",
    "me.change_revoked": "{when} no longer {role} · {place} (revoked by {by})",
    "me.change_handed_over": "{when} handed over {role} · {place} (arranged by {by})",
    "me.by_system": "the system",
}

CATALOGUE = Catalogue(
    "onboarding",
    ZH,
    EN,
    families=(
        Family("start.invite_{}", tuple(InviteProblem)),
        Family("me.change_{}", tuple(RoleChange)),
        Family("help.topic_{}", HELP_TOPICS[1:]),
    ),
)
translate = Texts((CORE, CATALOGUE)).translate
"""This feature's sentences and the core's, for code with no unit of work at hand (cards, files, ledger reasons)."""
