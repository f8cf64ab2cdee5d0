"""The roles feature's sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.texts import Catalogue, Family
from handlers.roles_admin.rules import GRANTABLE

ZH: dict[str, str] = {
    "cmd.grant": "授权：生成一次性邀请链接",
    "cmd.roles": "身份管理：查看、撤销、移交",
    "roles.refused": "只有社区工作人员可以管理身份。",
    "roles.private_only": "身份管理请在与我的私聊里进行。",
    "roles.grant_usage": "请这样写：授权 楼栋长 1号楼（或 网格员 第一网格、志愿者）。",
    "roles.no_place": "在{community}里没有找到「{name}」，请写楼栋或网格的名称，例如 1号楼。",
    "roles.needs_place_building_head": "楼栋长要授予在某一栋楼上，例如：授权 楼栋长 1号楼。",
    "roles.needs_place_grid_worker": "网格员要授予在某个网格上，例如：授权 网格员 第一网格。",
    "roles.needs_place_volunteer": "志愿者可以授予在社区、网格或楼栋上。",
    "roles.grant_link": "「{role} · {place}」的邀请链接（只能一个人用一次，{hours} 小时内有效）：\n{link}\n请只发给这一个人。在企业微信里，请对方私聊我发送：/start {code}",
    "roles.handover_link": "交接「{role} · {place}」（现任：{name}）的链接（一次有效，{hours} 小时内）：\n{link}\n接任的人打开后，{name}的身份自动撤销，未完成的工单交给接任人。在企业微信里，请对方私聊我发送：/start {code}",
    "roles.none": "{community}目前没有楼栋长、网格员或志愿者。",
    "roles.list": "{community}的身份（共 {count} 个）：\n{lines}",
    "roles.line": "{number}. {name} — {role} · {place}",
    "button.revoke_role": "撤销 {number}. {name}",
    "button.hand_over": "移交 {number}",
    "roles.revoked": "已撤销{role}身份。",
    "roles.already_revoked": "这个身份已经撤销了。",
    "roles.revoked_private": "您的「{role} · {place}」身份已由 {by} 撤销。谢谢您一直以来的付出！",
    "roles.handed_over_private": "您的「{role} · {place}」已交接给 {name}，您手上未完成的工单也一并移交。谢谢您的付出！",
    "roles.accepted_told": "{name} 已接受邀请，成为「{role} · {place}」。",
    "roles.handed_over_told": "{name} 已接任「{role} · {place}」，{previous}的身份已撤销，未完成的工单已移交。",
}

EN: dict[str, str] = {
    "cmd.grant": "Grant: make a one-time invite link",
    "cmd.roles": "Roles: list, revoke, hand over",
    "roles.refused": "Only community staff can manage roles.",
    "roles.private_only": "Please manage roles in a private chat with me.",
    "roles.grant_usage": "Please write: /grant building_head 1号楼 (or grid_worker 第一网格, volunteer).",
    "roles.no_place": "No place called {name} in {community}; please write a building or grid name, e.g. 1号楼.",
    "roles.needs_place_building_head": "A building head is granted on a building, e.g. /grant building_head 1号楼.",
    "roles.needs_place_grid_worker": "A grid worker is granted on a grid, e.g. /grant grid_worker 第一网格.",
    "roles.needs_place_volunteer": "A volunteer is granted on the community, a grid or a building.",
    "roles.grant_link": "Invite link for {role} · {place} (one person, once, valid {hours} {hours:hour|hours}):\n{link}\nSend it to that one person only. On WeCom, they send me privately: /start {code}",
    "roles.handover_link": "Handover link for {role} · {place} (now: {name}), once, valid {hours} {hours:hour|hours}:\n{link}\nWhen the successor opens it, {name}'s role ends and their open tickets move over. On WeCom, they send me privately: /start {code}",
    "roles.none": "{community} has no building heads, grid workers or volunteers yet.",
    "roles.list": "Roles in {community} ({count}):\n{lines}",
    "roles.line": "{number}. {name} — {role} · {place}",
    "button.revoke_role": "Revoke {number}. {name}",
    "button.hand_over": "Hand over {number}",
    "roles.revoked": "The {role} role is revoked.",
    "roles.already_revoked": "That role was already revoked.",
    "roles.revoked_private": "Your role {role} · {place} was revoked by {by}. Thank you for all you did!",
    "roles.handed_over_private": "Your role {role} · {place} was handed over to {name}, with your open tickets. Thank you!",
    "roles.accepted_told": "{name} accepted the invite and is now {role} · {place}.",
    "roles.handed_over_told": "{name} took over {role} · {place}; {previous}'s role ended and the open tickets moved over.",
}

CATALOGUE = Catalogue("roles_admin", ZH, EN, families=(Family("roles.needs_place_{}", GRANTABLE),))
