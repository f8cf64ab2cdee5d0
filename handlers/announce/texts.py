"""The announce feature's sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.texts import CORE, Catalogue, Texts

ZH: dict[str, str] = {
    "cmd.announce": "发布社区通知（社区/网格）",
    "announce.private_only": "请在和我的私聊中发送 /announce（发通知），以免打扰群里的邻居。",
    "announce.refused": "抱歉，只有社区工作人员和网格员可以发布通知。",
    "announce.choose": "📢 发布通知\n第 1 步：选择发送范围（可多选），然后点「下一步」：",
    "announce.write": "第 2 步：请发送通知内容（文字；也可以发一张图片并附上文字说明）。",
    "announce.preview": "第 3 步：预览\n────────\n{text}\n────────\n将发送到 {count} 个群：{scope}",
    "announce.no_groups": "所选范围内还没有已绑定的群，请先在楼栋群里 /bind。",
    "announce.too_long": "这条通知有 {count} 个字，超过了 {limit} 字的上限（纯文字最多 {text_limit} 字，带图片最多 {caption_limit} 字）。请删减后重新发送，或分成几条通知发。",
    "announce.when": "请发送发送时间，例如：明天上午9点、周六 9:00、11月30日 9:00、2026-11-30 09:00",
    "announce.scheduled": "⏰ 已定时：{time} 发送到 {count} 个群。",
    "announce.sending": "✅ 正在发送到 {count} 个群，送达情况稍后告诉您。",
    "announce.header": "📢 社区通知",
    "announce.report": "📬 通知 #{number}「{text}」的送达报告：{delivered}/{total} 个群已送达。",
    "announce.report_failure": "• {chat}：{reason}",
    "button.send_now": "立即发送",
    "button.send_later": "定时发送",
}

EN: dict[str, str] = {
    "cmd.announce": "Publish a community notice (staff/grid)",
    "announce.private_only": "Please send /announce in your private chat with me, so the group is not disturbed.",
    "announce.refused": "Sorry, only community staff and grid workers can publish notices.",
    "announce.choose": "📢 New notice\nStep 1: choose where it goes (several allowed), then press Next:",
    "announce.write": "Step 2: send the text of the notice (a photo with a caption works too).",
    "announce.preview": "Step 3: preview\n────────\n{text}\n────────\nIt will go to {count} {count:group|groups}: {scope}",
    "announce.no_groups": "No bound groups in that scope yet; bind the building groups with /bind first.",
    "announce.too_long": "This notice has {count} characters, more than the {limit} allowed (text alone up to {text_limit}, with a photo up to {caption_limit}). Please shorten it and send it again, or split it into several notices.",
    "announce.when": "When should it go out? e.g. 明天上午9点, 周六 9:00, 11月30日 9:00, 2026-11-30 09:00",
    "announce.scheduled": "⏰ Scheduled: {time}, to {count} {count:group|groups}.",
    "announce.sending": "✅ Sending to {count} {count:group|groups}; I will report the delivery.",
    "announce.header": "📢 Community notice",
    "announce.report": "📬 Notice #{number} “{text}”, delivery: {delivered} of {total} {total:group|groups} reached.",
    "announce.report_failure": "• {chat}: {reason}",
    "button.send_now": "Send now",
    "button.send_later": "Schedule",
}

CATALOGUE = Catalogue("announce", ZH, EN, families=())
translate = Texts((CORE, CATALOGUE)).translate
"""This feature's sentences and the core's, for code with no unit of work at hand (cards, files, ledger reasons)."""
