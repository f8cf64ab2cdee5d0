"""The bot with WeCom switched on against the local fake WeCom API, and WeCom people who write to it the way WeCom
delivers their messages: encrypted and signed, POSTed to the bot's real callback routes over HTTP."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.db import unit_of_work
from bot.wecom.callbacks import APP_CALLBACK_PATH, BOT_CALLBACK_PATH
from bot.wecom.mapping import webhook_key
from bot.wecom.transport import ROUTE_ROBOT, bind_wecom_group
from models.people import Role, ensure_person, grant_role
from models.places import place_by_code
from sandbox.wecom import (
    APP_CRYPTO,
    BOT_CRYPTO,
    CORP_ID,
    FakeWeCom,
    WeComCall,
    post_callback,
    wecom_settings,
)
from tests.features.harness import BotUnderTest, ManualClock, running_bot

_msgids = itertools.count(1)


@dataclass
class WeComGroup:
    """A WeCom group with the AI bot in it (for @mentions) and a group robot (for everything the bot sends)."""

    chatid: str
    robot_url: str
    title: str

    @property
    def chat_id(self) -> str:
        return f"g:{self.chatid}"


@dataclass
class WeComUser:
    side: WeComSide
    userid: str

    async def says_in(self, group: WeComGroup, text: str, *, images: tuple[bytes, ...] = ()) -> str:
        """@mention the AI bot in a group, with images as WeCom sends them (a `mixed` message whose image items are
        encrypted links valid five minutes); returns the response_url WeCom handed over with the message."""
        response_url = self.side.api.response_url()
        content: dict[str, Any] = {"msgtype": "text", "text": {"content": f"@邻里 {text}"}}
        if images:
            links = [{"msgtype": "image", "image": {"url": self.side.api.image_link(i)}} for i in images]
            content = {"msgtype": "mixed", "mixed": {"msg_item": [{**content}, *links]}}
        payload = {
            "msgid": f"msg{next(_msgids)}",
            "aibotid": "aibLinli",
            "chatid": group.chatid,
            "chattype": "group",
            "from": {"userid": self.userid},
            "response_url": response_url,
            **content,
        }
        await self.side.post(BOT_CALLBACK_PATH, json.dumps(payload, ensure_ascii=False), xml=False)
        return response_url

    async def says_to_the_ai_bot(self, text: str, *, images: tuple[bytes, ...]) -> None:
        """Write to the AI bot in a 1:1 chat, text and images in one `mixed` message (which a self-built app's 1:1
        chat cannot carry: there a message is text or an image)."""
        links = [{"msgtype": "image", "image": {"url": self.side.api.image_link(i)}} for i in images]
        items = [{"msgtype": "text", "text": {"content": text}}, *links]
        payload = {
            "msgid": f"msg{next(_msgids)}",
            "aibotid": "aibLinli",
            "chattype": "single",
            "from": {"userid": self.userid},
            "response_url": self.side.api.response_url(),
            "msgtype": "mixed",
            "mixed": {"msg_item": items},
        }
        await self.side.post(BOT_CALLBACK_PATH, json.dumps(payload, ensure_ascii=False), xml=False)

    async def says_privately(self, text: str) -> None:
        """Write to the self-built app in a 1:1 chat."""
        xml = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{self.userid}]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
            f"<MsgId>{7000 + next(_msgids)}</MsgId><AgentID>1000002</AgentID></xml>"
        )
        await self.side.post(APP_CALLBACK_PATH, xml, xml=True)

    async def sends_image_privately(self, content: bytes) -> str:
        """Send the self-built app an image in a 1:1 chat (WeCom keeps it for media/get); returns its media_id."""
        media_id = self.side.api.image_received(content)
        xml = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{self.userid}]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[{self.side.api.base_url}/pic/{media_id}]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
            f"<MsgId>{7000 + next(_msgids)}</MsgId><AgentID>1000002</AgentID></xml>"
        )
        await self.side.post(APP_CALLBACK_PATH, xml, xml=True)
        return media_id

    async def expect_private(self, contains: str) -> WeComCall:
        """The next app message (message/send) to this person showing `contains`."""
        return await self.side.api.wait_for(
            lambda c: (
                c.path == "/cgi-bin/message/send"
                and c.ok
                and c.body.get("touser") == self.userid
                and contains in c.content
            )
        )


@dataclass
class WeComSide:
    bot: BotUnderTest
    api: FakeWeCom
    users: dict[str, WeComUser] = field(default_factory=dict)

    async def post(self, path: str, plaintext: str, *, xml: bool) -> None:
        url = f"http://127.0.0.1:{self.bot.runtime.web_port}{path}"
        response = await post_callback(url, APP_CRYPTO if xml else BOT_CRYPTO, plaintext, xml=xml)
        assert response.status == 200, response.status

    def user(self, userid: str, name: str | None = None) -> WeComUser:
        """A WeCom person; with `name`, a member of the corp's contacts under that name (what user/get answers)."""
        if name is not None:
            self.api.members[userid] = name
        return self.users.setdefault(userid, WeComUser(self, userid))

    async def group(self, place_code: str, title: str) -> WeComGroup:
        """A WeCom group bound to a place by staff, with its robot webhook (what `bot wecom bind-robot` does)."""
        group = WeComGroup(chatid=f"wr{title.encode().hex()[:12]}", robot_url=self.api.robot(), title=title)
        async with unit_of_work(self.bot.runtime.sessions) as session:
            place = await place_by_code(session, code=place_code)
            assert place is not None
            await bind_wecom_group(
                session,
                place=place,
                kind=ROUTE_ROBOT,
                address=webhook_key(group.robot_url),
                title=title,
                ai_bot_chatid=group.chatid,
                now=datetime.now(UTC),
            )
        return group

    async def grant(self, who: WeComUser, role: Role, place_code: str, *, name: str = "") -> None:
        """Give the person a role at the place; `name` is what the office calls them (kept over WeCom's contacts)."""
        async with unit_of_work(self.bot.runtime.sessions) as session:
            person = await ensure_person(
                session, platform="wecom", platform_user_id=who.userid, display_name=name, username=who.userid
            )
            place = await place_by_code(session, code=place_code)
            assert place is not None and person.id is not None
            await grant_role(session, person_id=person.id, role=role, place=place, granted_by_id=None)

    def robot_messages(self, group: WeComGroup, *, ok: bool = True) -> list[WeComCall]:
        key = webhook_key(group.robot_url)
        return [c for c in self.api.sent("/cgi-bin/webhook/send", ok=ok) if c.query.get("key") == key]

    async def expect_in(self, group: WeComGroup, contains: str, timeout: float = 8.0) -> WeComCall:
        """The next message shown in this group (the one-shot reply or the group robot) containing `contains`."""
        key = webhook_key(group.robot_url)
        return await self.api.wait_for(
            lambda c: (
                c.ok and contains in c.content and (c.path == "/cgi-bin/aibot/response" or c.query.get("key") == key)
            ),
            timeout,
        )


@asynccontextmanager
async def running_bot_with_wecom(
    database_url: str,
    *,
    robot_limit: int = 20,
    clock: ManualClock | None = None,
    wecom: FakeWeCom | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[BotUnderTest, WeComSide]]:
    """The whole bot with Telegram (local Bot API) and WeCom (local fake API) both switched on. A fake WeCom passed
    in is started and stopped by the caller (so it can outlive a restart of the bot)."""
    api = wecom or FakeWeCom(robot_limit=robot_limit)
    if wecom is None:
        await api.start()
    try:
        settings = wecom_settings(api, wecom_robot_per_minute=api.robot_limit, **overrides)
        async with running_bot(database_url, clock=clock, **settings) as bot:
            yield bot, WeComSide(bot, api)
    finally:
        if wecom is None:
            await api.stop()
