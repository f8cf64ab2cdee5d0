"""The groups feature's sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.texts import CORE, Catalogue, Texts

ZH: dict[str, str] = {
    "cmd.bind": "把本群绑定到楼栋（楼栋长/社区）",
    "group.greeting": "大家好，我是「邻里」小助手 👋\n请楼栋长或社区工作人员在群里发送 /bind（或「绑定」），选择本群对应的楼栋。绑定后，我会帮大家登记报修、转达社区通知。",
    "group.privacy": "⚠️ 我现在只能看到命令和@我的消息，无法识别大家说的报修。请任选其一：\n1. 把我设为本群管理员（不需要任何管理权限）；或\n2. 机器人管理员在 @BotFather 发送 /setprivacy，选择本机器人并设为 Disable，然后把我移出群再重新拉进来。",
    "group.promoted": "谢谢！我现在可以看到群里的消息了。",
    "bind.only_group": "请在需要绑定的楼栋群里发送 /bind。",
    "bind.refused": "抱歉，只有本楼的楼栋长、网格员或社区工作人员可以绑定群。如需帮助请联系社区。",
    "bind.choose": "请选择本群对应的楼栋：",
    "bind.no_buildings": "您管辖的范围里还没有楼栋，请先由社区导入楼栋信息。",
    "bind.done": "✅ 本群已绑定到「{place}」。\n从现在起我会：\n• 识别群里的报修、纠纷和环境卫生问题，请楼栋长确认后登记；\n• 转达社区通知和活动；\n• 记录志愿服务积分（爱心存折）。\n发送 /help 查看全部功能。",
    "bind.rebound": "本群原绑定「{old}」，现已改为「{place}」。",
    "bind.rebind_refused": "本群已绑定到「{place}」。只有管辖这栋楼的楼栋长、网格员或社区工作人员可以更改绑定。",
    "bind.confirm_rebind": "本群现在绑定的是「{old}」。确定改为「{place}」吗？改后群里的新报修都会归到新楼栋。",
    "bind.rebind_kept": "好的，本群仍绑定在原来的楼栋，没有更改。",
    "bind.moved_notice": "提醒：群「{group}」原绑定「{old}」，已由{who}改为「{place}」。如有疑问请联系社区。",
    "button.rebind_yes": "✅ 确定更改",
    "button.rebind_no": "取消",
    "cmd.livein": "我住在哪栋楼：/livein 2号楼（楼栋长确认）",
    "residency.usage": "请写上楼栋，例如：我住在2号楼",
    "residency.only_private": "请私聊我说您住在哪栋楼，例如：我住在2号楼",
    "residency.not_found": "没有找到「{where}」这栋楼。请写楼栋的名字，例如：我住在2号楼",
    "residency.which": "有几栋楼叫这个名字，您住在哪一栋？",
    "residency.already": "您已经登记为「{place}」的居民了。",
    "residency.nobody": "「{place}」还没有楼栋长、网格员或社区工作人员可以确认，请联系社区。",
    "residency.ask": "🏠 {name} 说自己住在「{place}」。是本楼居民吗？确认后，{name}的积分公告和通知都以这栋楼为准。",
    "residency.asked": "好的，已请「{place}」的{role}确认；确认后会告诉您。",
    "residency.confirmed": "✅ 已确认：您是「{place}」的居民了。积分公告和楼里的通知都会在这栋楼的群里。",
    "residency.declined": "「{place}」没有确认您住在这栋楼。如有误会，请直接联系楼栋长或网格员。",
    "residency.confirmed_here": "✅ 已登记 {name} 为「{place}」的居民。",
    "residency.declined_here": "好的，没有登记 {name} 为「{place}」的居民。",
    "button.residency_yes": "✅ 是，登记",
    "button.residency_no": "不是",
}

EN: dict[str, str] = {
    "cmd.bind": "Bind this group to a building (building head/staff)",
    "group.greeting": "Hello everyone, I am Linli 👋\nThe building head or community staff: send /bind in this group and pick the building it belongs to. Once bound I help with repair requests and community notices.",
    "group.privacy": "⚠️ I can only see commands and messages that mention me, so I cannot notice repair requests. Either:\n1. make me an administrator of this group (no admin rights needed), or\n2. the bot owner sends /setprivacy to @BotFather, picks this bot, chooses Disable, then removes me and adds me again.",
    "group.promoted": "Thank you! I can now read the messages in this group.",
    "bind.only_group": "Please send /bind inside the building group you want to bind.",
    "bind.refused": "Sorry, only this building's head, the grid worker or community staff can bind a group.",
    "bind.choose": "Which building is this group for?",
    "bind.no_buildings": "There are no buildings in your area yet; the community office has to import them first.",
    "bind.done": "✅ This group is now bound to {place}.\nFrom now on I will:\n• notice repair, dispute and sanitation requests for the building head to confirm;\n• pass on community notices and events;\n• record volunteer points (love passbook).\nSend /help to see everything.",
    "bind.rebound": "This group was bound to {old}; it is now bound to {place}.",
    "bind.rebind_refused": "This group is bound to {place}. Only that building's head, its grid worker or community staff can change it.",
    "bind.confirm_rebind": "This group is bound to {old}. Change it to {place}? New reports from the group will go to the new building.",
    "bind.rebind_kept": "OK, the group stays bound to its building; nothing changed.",
    "bind.moved_notice": "Note: the group “{group}” was bound to {old}; {who} changed it to {place}. Please contact the community office if this looks wrong.",
    "button.rebind_yes": "✅ Change it",
    "button.rebind_no": "Cancel",
    "cmd.livein": "Which building I live in: /livein Building 2 (the building head confirms)",
    "residency.usage": "Please name the building, for example: /livein 2号楼",
    "residency.only_private": "Please tell me privately which building you live in, for example: /livein 2号楼",
    "residency.not_found": "I found no building called “{where}”. Please write its name, for example: /livein 2号楼",
    "residency.which": "Several buildings have that name. Which one do you live in?",
    "residency.already": "You are already registered as a resident of {place}.",
    "residency.nobody": "{place} has no building head or grid worker to confirm this yet; please ask the community office.",
    "residency.ask": "🏠 {name} says they live in {place}. Are they a resident? Once confirmed, their points lines and notices follow this building.",
    "residency.asked": "Thank you; I asked the {role} of {place} to confirm and will let you know.",
    "residency.confirmed": "✅ Confirmed: you are a resident of {place}. Points lines and the building's notices go to its group.",
    "residency.declined": "{place} did not confirm that you live there. If this is a mistake, please talk to the building head or grid worker.",
    "residency.confirmed_here": "✅ {name} is registered as a resident of {place}.",
    "residency.declined_here": "{name} was not registered as a resident of {place}.",
    "button.residency_yes": "✅ Yes, register",
    "button.residency_no": "No",
}

CATALOGUE = Catalogue("groups", ZH, EN, families=())
translate = Texts((CORE, CATALOGUE)).translate
"""This feature's sentences and the core's, for code with no unit of work at hand (cards, files, ledger reasons)."""
