"""The households' sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.texts import Catalogue, Family

COLUMNS = ("rank", "home", "members", "points", "stars")

ZH: dict[str, str] = {
    "cmd.door": "登记我家：门牌 3单元302",
    "cmd.joinhome": "加入家里的户：加入户 加入码",
    "cmd.home": "我的户：成员、积分、星级",
    "cmd.homestars": "星级文明户（按户统计并导出）",
    "home.private_only": "门牌和加入码请在与我的私聊里发送，别让群里的人看到。",
    "home.door_usage": "请这样写：门牌 3单元302",
    "home.no_building": "请先在您所在楼栋的群里说句话（登记为居民），再登记门牌。",
    "home.yours": "您已经在「{home}」这一户了。发送「我的户」查看。",
    "home.taken": "「{home}」已经登记过了，请向家人要加入码，私聊我发送：加入户 加入码。",
    "home.created": "🏠 已登记「{home}」。加入码：{code}\n请家人私聊我发送：加入户 {code}\n家人获得的积分也会计入这一户，个人积分不变。",
    "home.bad_code": "这个加入码不对，请向家人再确认一下。",
    "home.joined": "🏠 已加入「{home}」，您之后获得的积分也会计入这一户。",
    "home.none": "您还没有登记户。发送「门牌 3单元302」登记，或用家人的加入码「加入户 加入码」。",
    "home.card": "🏠 {home}\n成员：{members}\n户积分：{points}（{stars}）\n加入码：{code}",
    "home.staff_only": "只有社区工作人员可以查看星级文明户。",
    "home.none_in": "{community}还没有登记的户。",
    "home.ranking": "🏅 {community}星级文明户（共 {count} 户）：\n{lines}\n完整名单见附件。",
    "home.rank_line": "{rank}. {home} — {points} 分 {stars}",
    "home.filename": "{community}-星级文明户.csv",
    "home.caption": "{community}星级文明户",
    "home.col_rank": "名次",
    "home.col_home": "户",
    "home.col_members": "成员",
    "home.col_points": "户积分",
    "home.col_stars": "星级",
}

EN: dict[str, str] = {
    "cmd.door": "Register my household: /door ROOM, e.g. /door 302",
    "cmd.joinhome": "Join my family's household: /joinhome CODE",
    "cmd.home": "My household: members, points, stars",
    "cmd.homestars": "Star households (ranking and export)",
    "home.private_only": "Please send your door and join code in a private chat with me, not in a group.",
    "home.door_usage": "Please write: /door 3单元302",
    "home.no_building": "Please say something in your building's group first (to register as a resident), then register your door.",
    "home.yours": "You are already in the household {home}. Send /home to see it.",
    "home.taken": "{home} is registered already; ask your family for the join code and send me privately: /joinhome CODE.",
    "home.created": "🏠 {home} registered. Join code: {code}\nFamily members send me privately: /joinhome {code}\nTheir points count for the household too; personal points stay as they are.",
    "home.bad_code": "That join code is not right; please check it with your family.",
    "home.joined": "🏠 You joined {home}; the points you earn from now on count for it too.",
    "home.none": "You have no household yet. Send /door 3单元302 to register one, or /joinhome CODE with your family's code.",
    "home.card": "🏠 {home}\nMembers: {members}\nHousehold points: {points} ({stars})\nJoin code: {code}",
    "home.staff_only": "Only community staff can see the star households.",
    "home.none_in": "{community} has no registered households yet.",
    "home.ranking": "🏅 Star households of {community} ({count}):\n{lines}\nThe full list is attached.",
    "home.rank_line": "{rank}. {home} — {points} {points:point|points} {stars}",
    "home.filename": "{community}-star-households.csv",
    "home.caption": "Star households of {community}",
    "home.col_rank": "Rank",
    "home.col_home": "Household",
    "home.col_members": "Members",
    "home.col_points": "Household points",
    "home.col_stars": "Stars",
}

CATALOGUE = Catalogue("households", ZH, EN, families=(Family("home.col_{}", COLUMNS),))
