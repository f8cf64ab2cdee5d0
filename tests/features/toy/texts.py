"""The toy feature's sentences: Chinese first, English second."""

from __future__ import annotations

from handlers.core.texts import Catalogue

ZH: dict[str, str] = {
    "toy.cmd": "乒乓：试试看机器人在不在",
    "toy.pong": "乒！（{who}）",
    "toy.refused": "只有社区工作人员可以打乒乓。",
    "toy.echo": "玩具收到：{text}",
}

EN: dict[str, str] = {
    "toy.cmd": "Ping: see whether the bot is there",
    "toy.pong": "Pong! ({who})",
    "toy.refused": "Only community staff can play ping-pong.",
    "toy.echo": "The toy got: {text}",
}

CATALOGUE = Catalogue("toy", ZH, EN)
