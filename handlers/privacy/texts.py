"""The data-rights sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.texts import Catalogue

ZH: dict[str, str] = {
    "cmd.mydata": "我的数据：把机器人保存的您的个人信息发给您",
    "cmd.forget": "注销：删除您的个人信息（工单和积分记录匿名保留）",
    "privacy.private_only": "为保护您的隐私，请私聊我发送这个命令。",
    "privacy.mydata_caption": "这是邻里保存的与您有关的全部记录（{tables} 类），请妥善保管。",
    "privacy.forget_ask": "确定要注销吗？\n· 您的名字、账号和身份授权将被删除；\n· 您反映过的工单和积分流水会保留，但显示为「已注销居民」；\n· 未使用的积分将清零，无法恢复。",
    "privacy.forget_yes": "确认注销",
    "privacy.forget_no": "取消",
    "privacy.forget_kept": "已取消，您的信息保持不变。",
    "privacy.forgotten": "已注销。您的个人信息已匿名化，{points} 分未用积分已清零。以后再发消息将作为新用户。",
    "privacy.forgotten_name": "已注销居民",
    "privacy.settle_reason": "居民注销，未用积分清零",
}

EN: dict[str, str] = {
    "cmd.mydata": "My data: get everything the bot keeps about you",
    "cmd.forget": "Forget me: delete your personal data (tickets and points kept anonymously)",
    "privacy.private_only": "To protect your privacy, please send this command to me in a private chat.",
    "privacy.mydata_caption": "Everything Linli keeps about you ({tables} kinds of record). Keep it safe.",
    "privacy.forget_ask": "Do you really want to be forgotten?\n· Your name, accounts and roles will be deleted;\n· tickets you reported and your points history stay, shown as 「已注销居民」;\n· unused points are settled to zero for good.",
    "privacy.forget_yes": "Forget me",
    "privacy.forget_no": "Cancel",
    "privacy.forget_kept": "Cancelled; nothing changed.",
    "privacy.forgotten": "Done. Your personal data is anonymised and {points} unused points were settled to zero. A later message starts afresh.",
    "privacy.forgotten_name": "已注销居民",
    "privacy.settle_reason": "Resident forgotten: unused points settled to zero",
}

CATALOGUE = Catalogue("privacy", ZH, EN)
