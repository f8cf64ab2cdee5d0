"""Every sentence the bot says, Chinese first, English second."""

from __future__ import annotations

SUPPORTED_LOCALES = ("zh", "en")

ZH: dict[str, str] = {
    "error.generic": "抱歉，刚才处理您的消息时出了点问题，已记录下来，请稍后再试。",
    "start.hello": "您好，{name}！我是「邻里」小助手，帮楼里登记报修、转达社区通知、记录志愿服务积分。\n发送 /help 或「帮助」查看能做什么。",
    "start.invite_ok": "欢迎！您已成为「{place}」的{role}。\n发送 /help 查看您现在可以使用的功能。",
    "start.invite_unknown": "这个邀请链接无效，请向社区工作人员重新索取。",
    "start.invite_used": "这个邀请链接已经被使用过了，每个链接只能用一次。请向社区工作人员重新索取。",
    "start.invite_expired": "这个邀请链接已过期，请向社区工作人员重新索取。",
    "help.header": "「邻里」可以帮您：",
    "help.plain_words": "不方便输入命令时，直接发中文也可以，例如：{words}",
    "help.roles": "您的身份：{roles}",
    "help.no_roles": "您还没有登记身份；在已绑定的楼栋群里发言后会自动登记为居民。",
    "cmd.start": "开始使用",
    "cmd.help": "帮助：我能做什么",
    "cmd.me": "我的身份",
    "cmd.bind": "把本群绑定到楼栋（楼栋长/社区）",
    "me.none": "您还没有任何身份。",
    "me.list": "{name}，您的身份：\n{roles}",
    "group.greeting": "大家好，我是「邻里」小助手 👋\n请楼栋长或社区工作人员在群里发送 /bind（或「绑定」），选择本群对应的楼栋。绑定后，我会帮大家登记报修、转达社区通知。",
    "group.privacy": "⚠️ 我现在只能看到命令和@我的消息，无法识别大家说的报修。请任选其一：\n1. 把我设为本群管理员（不需要任何管理权限）；或\n2. 机器人管理员在 @BotFather 发送 /setprivacy，选择本机器人并设为 Disable，然后把我移出群再重新拉进来。",
    "group.promoted": "谢谢！我现在可以看到群里的消息了。",
    "bind.only_group": "请在需要绑定的楼栋群里发送 /bind。",
    "bind.refused": "抱歉，只有本楼的楼栋长、网格员或社区工作人员可以绑定群。如需帮助请联系社区。",
    "bind.choose": "请选择本群对应的楼栋：",
    "bind.no_buildings": "您管辖的范围里还没有楼栋，请先由社区导入楼栋信息。",
    "bind.done": "✅ 本群已绑定到「{place}」。\n从现在起我会：\n• 识别群里的报修、纠纷和环境卫生问题，请楼栋长确认后登记；\n• 转达社区通知和活动；\n• 记录志愿服务积分（爱心存折）。\n发送 /help 查看全部功能。",
    "bind.rebound": "本群原绑定「{old}」，现已改为「{place}」。",
    "button.refused": "抱歉，您没有权限进行这个操作。",
    "button.stale": "这个按钮已失效。",
    "button.next": "下一页 ▶",
    "button.prev": "◀ 上一页",
    "role.resident": "居民",
    "role.volunteer": "志愿者",
    "role.building_head": "楼栋长",
    "role.grid_worker": "网格员",
    "role.staff": "社区工作人员",
    "role.admin": "管理员",
}

EN: dict[str, str] = {
    "error.generic": "Sorry, something went wrong while handling your message. It has been logged; please try again later.",
    "start.hello": "Hello, {name}! I am Linli, the neighbourhood helper: repair requests, community notices and volunteer points.\nSend /help to see what I can do.",
    "start.invite_ok": "Welcome! You are now {role} of {place}.\nSend /help to see what you can do.",
    "start.invite_unknown": "This invite link is not valid. Please ask the community office for a new one.",
    "start.invite_used": "This invite link has already been used; each link works once. Please ask the community office for a new one.",
    "start.invite_expired": "This invite link has expired. Please ask the community office for a new one.",
    "help.header": "Linli can help you with:",
    "help.plain_words": "You can also type plain words, for example: {words}",
    "help.roles": "Your roles: {roles}",
    "help.no_roles": "You have no role yet; speaking in a bound building group registers you as a resident.",
    "cmd.start": "Get started",
    "cmd.help": "Help: what I can do",
    "cmd.me": "My roles",
    "cmd.bind": "Bind this group to a building (building head/staff)",
    "me.none": "You have no roles yet.",
    "me.list": "{name}, your roles:\n{roles}",
    "group.greeting": "Hello everyone, I am Linli 👋\nThe building head or community staff: send /bind in this group and pick the building it belongs to. Once bound I help with repair requests and community notices.",
    "group.privacy": "⚠️ I can only see commands and messages that mention me, so I cannot notice repair requests. Either:\n1. make me an administrator of this group (no admin rights needed), or\n2. the bot owner sends /setprivacy to @BotFather, picks this bot, chooses Disable, then removes me and adds me again.",
    "group.promoted": "Thank you! I can now read the messages in this group.",
    "bind.only_group": "Please send /bind inside the building group you want to bind.",
    "bind.refused": "Sorry, only this building's head, the grid worker or community staff can bind a group.",
    "bind.choose": "Which building is this group for?",
    "bind.no_buildings": "There are no buildings in your area yet; the community office has to import them first.",
    "bind.done": "✅ This group is now bound to {place}.\nFrom now on I will:\n• notice repair, dispute and sanitation requests for the building head to confirm;\n• pass on community notices and events;\n• record volunteer points (love passbook).\nSend /help to see everything.",
    "bind.rebound": "This group was bound to {old}; it is now bound to {place}.",
    "button.refused": "Sorry, you are not allowed to do that.",
    "button.stale": "This button is no longer valid.",
    "button.next": "Next ▶",
    "button.prev": "◀ Previous",
    "role.resident": "resident",
    "role.volunteer": "volunteer",
    "role.building_head": "building head",
    "role.grid_worker": "grid worker",
    "role.staff": "community staff",
    "role.admin": "administrator",
}

CATALOG = {"zh": ZH, "en": EN}


def translate(locale: str, key: str, **values: object) -> str:
    """The sentence for `key` in `locale`, falling back to Chinese; a missing key is a bug."""
    table = CATALOG.get(locale, ZH)
    template = table.get(key) or ZH[key]
    return template.format(**values) if values else template
