"""The linking feature's sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.texts import CORE, Catalogue, Family, Texts
from models.people import LinkProblem

ZH: dict[str, str] = {
    "cmd.link": "关联账号：微信和 Telegram 用同一个身份",
    "link.private_only": "为保护您的账号，请私聊我发送「关联账号」。",
    "link.code": "您的关联码：{code}（{minutes} 分钟内有效，只能用一次）。\n请在另一个平台（企业微信 / Telegram）私聊我发送：关联 {code}\n关联后，两边的报修、积分和身份都合为一个。请勿把关联码告诉别人。",
    "link.unknown": "没有找到这个关联码，请在另一个平台重新发送「关联账号」获取。",
    "link.used": "这个关联码已经用过了，请重新获取。",
    "link.expired": "这个关联码已过期，请在另一个平台重新发送「关联账号」获取。",
    "link.same_platform": "请在另一个平台（企业微信 / Telegram）发送这个关联码，而不是在生成它的平台。",
    "link.already": "这两个账号已经是同一个身份了。",
    "link.done": "✅ 关联成功！{name}，您在企业微信和 Telegram 上的报修、积分和身份现在是同一个了。",
}

EN: dict[str, str] = {
    "cmd.link": "Link accounts: one identity on WeChat and Telegram",
    "link.private_only": "To protect your account, please send 关联账号 to me in a private chat.",
    "link.code": "Your link code: {code} (valid for {minutes} {minutes:minute|minutes}, once).\nOn the other platform (WeCom / Telegram), send me privately: 关联 {code}\nAfterwards your reports, points and roles on both are one. Do not share this code.",
    "link.unknown": "No such link code. Send 关联账号 on the other platform to get a new one.",
    "link.used": "This link code has already been used; please get a new one.",
    "link.expired": "This link code has expired. Send 关联账号 on the other platform to get a new one.",
    "link.same_platform": "Please send this code on the other platform (WeCom / Telegram), not where it was shown.",
    "link.already": "These two accounts are already one identity.",
    "link.done": "✅ Linked! {name}, your reports, points and roles on WeCom and Telegram are now one.",
}

CATALOGUE = Catalogue("linking", ZH, EN, families=(Family("link.{}", tuple(LinkProblem)),))
translate = Texts((CORE, CATALOGUE)).translate
"""This feature's sentences and the core's, for code with no unit of work at hand (cards, files, ledger reasons)."""
