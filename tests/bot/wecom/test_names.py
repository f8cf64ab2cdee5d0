"""WeCom names against the local fake WeCom API over HTTP: user/get with the app's token (refreshed once when
expired), 60111 for a userid not in the contacts, and MemberNames asking once per member, again only after a while
when a lookup failed, never for a person stored under a real name, and never failing a message."""

from __future__ import annotations

import aiohttp
import pytest

from bot.db import SessionFactory, unit_of_work
from bot.wecom.api import WeComApi, WeComError
from bot.wecom.mapping import message
from bot.wecom.names import RETRY_SECONDS, MemberNames
from handlers.core.types import ChatKind, ChatRef
from models.people import ensure_person
from sandbox.wecom import FakeWeCom

USER_GET = "/cgi-bin/user/get"


FAKE_WECOM = {"members": {"wangxiaoming": "王小明", "lishifu": "李师傅", "zhouxin": ""}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lookups(fake: FakeWeCom) -> list[tuple[str, int]]:
    return [(c.query.get("userid", ""), c.errcode) for c in fake.calls if c.path == USER_GET]


async def test_user_get_answers_a_members_name_60111_for_a_stranger_and_refreshes_an_expired_token_once(
    fake: FakeWeCom, api: WeComApi
) -> None:
    assert await api.member_name("wangxiaoming") == "王小明"
    assert await api.member_name("zhouxin") == ""  # a member whose name this app may not see
    with pytest.raises(WeComError) as refused:
        await api.member_name("nobody")
    assert refused.value.errcode == 60111
    fake.expire_tokens()
    assert await api.member_name("lishifu") == "李师傅"
    assert lookups(fake) == [("wangxiaoming", 0), ("zhouxin", 0), ("nobody", 60111), ("lishifu", 42001), ("lishifu", 0)]
    assert api.tokens_fetched == 2


async def test_the_fake_refuses_user_get_with_a_bad_or_missing_token_as_wecom_does(fake: FakeWeCom) -> None:
    async with aiohttp.ClientSession() as http:
        for query, errcode in (({"access_token": "made-up"}, 40014), ({}, 41001)):
            async with http.get(f"{fake.base_url}{USER_GET}", params={"userid": "wangxiaoming", **query}) as r:
                answer = await r.json()
                assert answer["errcode"] == errcode and "name" not in answer


async def test_a_member_is_looked_up_once_and_a_failed_lookup_again_only_after_a_while(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    clock = Clock()
    names = MemberNames(api, sessions, clock=clock)
    incoming = message("app:1", ChatRef("wecom", "wangxiaoming", ChatKind.PRIVATE), "wangxiaoming", "1", "你好", False)
    assert incoming.sender.display_name == ""  # the mapping stays pure: no name in a callback
    assert (await names.named(incoming)).sender.display_name == "王小明"
    assert (await names.named(incoming)).sender.display_name == "王小明"
    assert await names.name_of("nobody") == "" and await names.name_of("zhouxin") == ""
    assert await names.name_of("nobody") == ""
    assert lookups(fake) == [("wangxiaoming", 0), ("nobody", 60111), ("zhouxin", 0)]
    clock.now += RETRY_SECONDS
    fake.members["nobody"] = "新来的"  # joined the corp meanwhile
    assert await names.name_of("nobody") == "新来的"
    assert lookups(fake)[-1] == ("nobody", 0) and len(lookups(fake)) == 4


async def test_a_person_stored_under_a_real_name_keeps_it_and_a_silent_wecom_fails_no_message(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    async with unit_of_work(sessions) as session:
        for userid, name in (("lishifu", "李师傅（物业）"), ("wangxiaoming", "")):
            await ensure_person(session, platform="wecom", platform_user_id=userid, display_name=name, username=userid)
    names = MemberNames(api, sessions)
    assert await names.name_of("lishifu") == ""  # the office's name stands
    assert await names.name_of("wangxiaoming") == "王小明"  # stored only under the userid: asked
    assert lookups(fake) == [("wangxiaoming", 0)]
    await fake.stop()
    assert await names.name_of("suner") == ""
