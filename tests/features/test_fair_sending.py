"""Fairness: a group throttled at 20 messages a minute holds back no other chat, a private answer goes before a
broadcast, and the limits hold across senders (two sender processes on PostgreSQL, the local Bot API enforcing
Telegram's limits with 429s)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from benchmarks.processes import free_port, start_bot_process, stop_processes, wait_ready
from bot.db import SessionFactory, unit_of_work
from bot.telegram import ANSWER_EXPIRES_SECONDS
from handlers.core.outbox import enqueue
from handlers.core.types import Edit, Send
from models.base import utcnow
from models.outbox import OutboxMessage, OutboxStatus
from models.payloads import AnswerPayload
from models.people import ensure_person
from sandbox.server import LocalBotApi
from tests.conftest import ON_POSTGRES
from tests.features.harness import TOKEN, running_bot

FLOOD_GROUP = -1003000000001


async def test_a_flooded_group_and_a_broadcast_delay_no_private_answer(database_url: str) -> None:
    async with LocalBotApi(token=TOKEN, enforce_limits=True) as api, running_bot(database_url, api=api) as bot:
        api.group(FLOOD_GROUP, "刷屏的群")
        groups = [api.group(-1003000000100 - n, f"{n}号楼业主群").id for n in range(60)]
        person = api.user(8200000001, "居民")
        private = api.start_bot(person).id
        flood = [Send(platform="telegram", chat_id=str(FLOOD_GROUP), text=f"帮助 #{n}") for n in range(60)]
        notice = [Send(platform="telegram", chat_id=str(g), text="📢 社区通知", bulk=True) for g in groups]
        async with unit_of_work(bot.runtime.sessions) as session:
            await enqueue(session, [*flood, *notice])
        await asyncio.sleep(0.5)  # the flood's first minute is used up, the broadcast under way
        async with unit_of_work(bot.runtime.sessions) as session:
            await enqueue(session, [Send(platform="telegram", chat_id=str(private), text="这是帮助")])
        asked = time.monotonic()
        call = await api.wait_for_call(lambda c: c.ok and c.params.get("text") == "这是帮助", timeout=5)
        assert call.at - asked < 5.0
        await api.wait_for_call(lambda c: c.ok and c.params.get("chat_id") == groups[-1], timeout=60)  # 3 s idle
        assert 0 < len(api.sent_texts(FLOOD_GROUP)) <= 20, "the flooded group goes on within its minute"
        assert api.throttled == 0, [(c.params.get("chat_id"), c.at) for c in api.calls if c.error_code == 429]


async def test_a_429_for_one_chat_holds_every_row_of_that_chat_and_no_other_chat(database_url: str) -> None:
    """Telegram's flood control answers per chat (decision 0024): after a 429 on an edit of a card, neither that
    edit nor a later message to the same group leaves before retry_after, while another group is served at once."""
    async with running_bot(database_url) as bot:
        held, other = bot.api.group(-1003000000201, "1号楼业主群"), bot.api.group(-1003000000202, "2号楼业主群")
        async with unit_of_work(bot.runtime.sessions) as session:
            await enqueue(session, [Send(platform="telegram", chat_id=str(held.id), text="📋 工单 #1", ref_key="c1")])
        await bot.api.wait_for_call(lambda c: c.ok and c.params.get("chat_id") == held.id, timeout=5)
        bot.api.fail_next("editMessageText", 429, retry_after=3, chat_id=held.id)
        async with unit_of_work(bot.runtime.sessions) as session:
            await enqueue(session, [Edit(text="📋 工单 #1 已派单", ref_key="c1")])
        refused = await bot.api.wait_for_call(lambda c: c.error_code == 429, timeout=5)
        async with unit_of_work(bot.runtime.sessions) as session:
            await enqueue(
                session,
                [
                    Send(platform="telegram", chat_id=str(held.id), text="又一条"),
                    Send(platform="telegram", chat_id=str(other.id), text="别的群"),
                ],
            )
        served = await bot.api.wait_for_call(lambda c: c.ok and c.params.get("text") == "别的群", timeout=5)
        later = await bot.api.wait_for_call(lambda c: c.ok and c.params.get("text") == "又一条", timeout=10)
        edited = await bot.api.wait_for_call(lambda c: c.ok and c.method == "editMessageText", timeout=10)
        assert served.at - refused.at < 2.0, "another group does not wait for the held one"
        assert later.at - refused.at >= 2.9 and edited.at - refused.at >= 2.9, "the held group waits out retry_after"


async def test_chats_take_turns_a_fresh_answer_goes_in_the_first_round_behind_a_backlog(database_url: str) -> None:
    """A backlog of 8 messages in each of 24 private chats (more chats than the sender has deliveries in flight)
    waits for itself (decision 0022): a fresh chat's answer leaves within one round of those chats (served oldest
    first, it waited for nearly the whole backlog), and each chat still gets its messages in order."""
    async with running_bot(database_url) as bot:
        busy = [bot.api.start_bot(bot.api.user(8200000100 + n, f"居民{n}")).id for n in range(24)]
        backlog = [Send(platform="telegram", chat_id=str(c), text=f"第{n}条") for n in range(8) for c in busy]
        async with unit_of_work(bot.runtime.sessions) as session:
            await enqueue(session, backlog)
        await bot.api.wait_for_call(lambda c: c.ok and c.params.get("chat_id") == busy[-1], timeout=30)
        fresh = bot.api.start_bot(bot.api.user(8200000199, "新来的")).id
        async with unit_of_work(bot.runtime.sessions) as session:
            already = len(bot.api.sent_texts())
            await enqueue(session, [Send(platform="telegram", chat_id=str(fresh), text="这是帮助")])
        await bot.api.wait_for_call(lambda c: c.ok and c.params.get("text") == "这是帮助", timeout=30)
        ahead = bot.api.sent_texts()[already:].index("这是帮助")
        assert ahead < 2 * len(busy), f"{ahead} backlog messages went first"
        for chat in busy:  # the last round is the whole backlog's end: 6.4 s at 30 a second, far more under load
            await bot.api.wait_for_call(
                lambda c, chat=chat: c.ok and c.params == {"chat_id": chat, "text": "第7条"}, 90
            )
        assert [bot.api.sent_texts(c) for c in busy] == [[f"第{n}条" for n in range(8)]] * len(busy)


async def test_after_a_refusal_the_rest_of_that_private_chat_goes_to_its_group_lines_without_a_request(
    database_url: str,
) -> None:
    """Telegram refuses a private message to someone who never started the bot: the first refusal closes the chat,
    and the 14 messages queued behind it become their group lines at once, in order, without 14 more refused
    requests eating the bot's 30 a second."""
    async with running_bot(database_url) as bot:
        group = bot.api.group(-1003000000301, "1号楼业主群")
        private = str(bot.person("孙大爷", started_bot=False).user.id)
        async with unit_of_work(bot.runtime.sessions) as session:
            await ensure_person(
                session, platform="telegram", platform_user_id=private, display_name="孙大爷", username=None
            )
        notes = [
            Send(
                platform="telegram",
                chat_id=private,
                text=f"私信 {n}",
                fallback=Send(platform="telegram", chat_id=str(group.id), text=f"群里 {n}"),
            )
            for n in range(15)
        ]
        async with unit_of_work(bot.runtime.sessions) as session:
            await enqueue(session, notes)
        await bot.api.wait_for_call(lambda c: c.ok and c.params.get("text") == "群里 14", timeout=10)
        await bot.settle()
        refused = [c for c in bot.api.calls if c.method == "sendMessage" and c.params.get("chat_id") == int(private)]
        assert [c.error_code for c in refused] == [403]
        assert bot.api.sent_texts(group.id) == [f"群里 {n}" for n in range(15)]


async def test_an_answer_to_a_press_older_than_telegram_answers_fails_without_a_request(database_url: str) -> None:
    """Telegram refuses to answer a press older than about 15 s: after a flood of presses their answers fail at once
    instead of keeping every reply waiting behind refused requests; a fresh press is still answered."""
    async with running_bot(database_url) as bot:
        group = bot.api.group(-1003000000401, "1号楼业主群")
        old = OutboxMessage.of(platform="telegram", chat_id=str(group.id), content=AnswerPayload(callback_id="old"))
        old.created_at = utcnow() - timedelta(seconds=ANSWER_EXPIRES_SECONDS + 1)
        fresh = OutboxMessage.of(platform="telegram", chat_id=str(group.id), content=AnswerPayload(callback_id="new"))
        async with unit_of_work(bot.runtime.sessions) as session:
            session.add_all([old, fresh])
        await bot.api.wait_for_call(lambda c: c.params.get("callback_query_id") == "new", timeout=5)
        await bot.settle()
        assert not [c for c in bot.api.calls if c.params.get("callback_query_id") == "old"]
        async with bot.runtime.sessions() as session:
            stored = await session.get(OutboxMessage, old.id)
        assert stored is not None and stored.status == OutboxStatus.FAILED


def start_role(role: str, api: LocalBotApi, database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    settings = {"SWEEP_SECONDS": "1", "LOG_LEVEL": "INFO"}
    return start_bot_process(api, database_url, cwd=log.parent, port=port, log=log, role=role, settings=settings)


async def health(port: int, path: str = "/healthz") -> httpx.Response | None:
    try:
        async with httpx.AsyncClient() as http:
            return await http.get(f"http://127.0.0.1:{port}{path}", timeout=2)
    except httpx.HTTPError:
        return None


@pytest.mark.skipif(not ON_POSTGRES, reason="separate roles need PostgreSQL (SQLite serves one process)")
async def test_two_sender_processes_share_the_limits_no_429_and_no_row_twice(
    database_url: str, sessions: SessionFactory, tmp_path: Path
) -> None:
    async with LocalBotApi(token=TOKEN, enforce_limits=True) as api:
        groups = [api.group(-1004000000000 - n, f"{n}号楼业主群").id for n in range(80)]
        ports = [free_port(), free_port()]
        senders = [start_role("sender", api, database_url, p, tmp_path / f"s{p}.log") for p in ports]
        try:
            await asyncio.gather(*(wait_ready(p) for p in ports))
            notice = [Send(platform="telegram", chat_id=str(g), text="📢 停水通知", bulk=True) for g in groups]
            flood = [Send(platform="telegram", chat_id=str(groups[0]), text=f"帮助 #{n}") for n in range(25)]
            async with unit_of_work(sessions) as session:
                await enqueue(session, [*notice, *flood])
            deadline = time.monotonic() + 90
            while len({c.params["chat_id"] for c in api.calls_of("sendMessage") if c.ok}) < len(groups):
                assert time.monotonic() < deadline, "the broadcast did not arrive"
                await asyncio.sleep(0.2)
            await api.wait_idle(quiet=1.0)
        finally:
            stop_processes(senders)
    delivered = Counter(str(c.params["text"]) + str(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c.ok)
    assert api.throttled == 0
    assert max(delivered.values()) == 1, "a row was sent twice"
    assert len(api.sent_texts(groups[0])) <= 20, "the two senders together kept the group's 20 a minute"


@pytest.mark.skipif(not ON_POSTGRES, reason="separate roles need PostgreSQL (SQLite serves one process)")
async def test_when_the_sweeper_leader_dies_the_other_takes_over(database_url: str, tmp_path: Path) -> None:
    async with LocalBotApi(token=TOKEN) as api:
        ports = [free_port(), free_port()]
        sweepers = {p: start_role("sweeper", api, database_url, p, tmp_path / f"w{p}.log") for p in ports}
        try:
            await asyncio.gather(*(wait_ready(p) for p in ports))
            leaders = await wait_for_leaders(ports)
            assert len(leaders) == 1, f"exactly one sweeper leads: {leaders}"
            (leader,) = leaders
            sweepers[leader].send_signal(signal.SIGKILL)
            sweepers[leader].wait(10)
            (standby,) = [p for p in ports if p != leader]
            assert await wait_for_leaders([standby], timeout=20) == [standby]
        finally:
            stop_processes(list(sweepers.values()))


async def wait_for_leaders(ports: list[int], timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        leading = []
        for port in ports:
            response = await health(port)
            if response is not None and response.json().get("sweeper_leading"):
                leading.append(port)
        if leading or time.monotonic() > deadline:
            return leading
        await asyncio.sleep(0.3)
