"""The inbox processor: a batch of updates is processed and marked done in one transaction, each chat in its order;
a failing update sends its batch one by one, and only its own chat waits for the retry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.db import create_engine, session_factory
from bot.dispatcher import Dispatcher
from bot.inbox import InboxProcessor
from bot.intake import arrival
from bot.locks import ChatTurns
from handlers.core.context import Context, FeatureConfig
from handlers.core.feature import TextStep
from handlers.core.router import Router
from handlers.core.types import ChatKind, ChatRef, IncomingMessage, Sender
from models.inbox import InboxStatus, InboxUpdate
from models.updates import ProcessedUpdate

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    message = {
        "message_id": update_id,
        "date": 1764640000,
        "chat": {"id": chat_id, "type": "supergroup", "title": "1号楼"},
        "from": {"id": 42, "is_bot": False, "first_name": "王"},
        "text": text,
    }
    return {"update_id": update_id, "message": message}


def read(data: dict[str, Any]) -> IncomingMessage:
    message = data["message"]
    return IncomingMessage(
        update_key=f"1:{message['chat']['id']}:{message['message_id']}",
        chat=ChatRef(platform="telegram", platform_chat_id=str(message["chat"]["id"]), kind=ChatKind.GROUP),
        sender=Sender(platform_user_id=str(message["from"]["id"]), display_name="王"),
        text=message["text"],
        message_id=str(message["message_id"]),
    )


class Seen:
    """A text step that remembers what it was given, and raises for texts starting with "fail"."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def step(self, _ctx: Context, message: IncomingMessage) -> bool:
        if message.text.startswith("fail"):
            raise RuntimeError("a bug")
        self.texts.append(message.text)
        return True


@pytest.fixture
async def inbox(database_url: str) -> AsyncIterator[tuple[InboxProcessor, Seen, list[str]]]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    seen, commits = Seen(), []
    event.listen(engine.sync_engine, "commit", lambda _conn: commits.append("commit"))
    router = Router()
    router.add_text_steps([TextStep(0, seen.step)])
    dispatcher = Dispatcher(
        sessions=sessions, router=router, config=FeatureConfig(bot_username="b"), clock=lambda: NOW, on_outbox=list
    )
    processor = InboxProcessor(
        sessions=sessions,
        dispatcher=dispatcher,
        read=read,
        clock=lambda: NOW,
        turns=ChatTurns(engine) if engine.dialect.name == "postgresql" else None,
    )
    yield processor, seen, commits
    await processor.stop()  # lets go of its chat-turn connection (PostgreSQL) before the engine goes
    await engine.dispose()


async def statuses(processor: InboxProcessor) -> dict[str, tuple[str, int]]:
    async with processor._sessions() as session:
        rows = (await session.exec(select(InboxUpdate))).all()
    return {row.delivery_key: (row.status, row.attempts) for row in rows}


async def processed(processor: InboxProcessor) -> int:
    async with processor._sessions() as session:
        return len((await session.exec(select(ProcessedUpdate))).all())


async def test_a_batch_is_processed_and_marked_done_in_one_commit(
    inbox: tuple[InboxProcessor, Seen, list[str]],
) -> None:
    processor, seen, commits = inbox
    await processor.store([arrival(1, update(n, -100 - n % 3, f"第{n}条"), NOW) for n in range(1, 31)])
    commits.clear()
    assert await processor.run_once() == 30
    assert len(commits) == 1  # the batch's (the chat turns are taken on a connection of their own, outside it)
    assert seen.texts == [f"第{n}条" for n in range(1, 31)]
    assert set((await statuses(processor)).values()) == {(InboxStatus.DONE, 0)}
    assert await processed(processor) == 30


async def test_a_failing_update_holds_up_only_its_own_chat(inbox: tuple[InboxProcessor, Seen, list[str]]) -> None:
    processor, seen, _ = inbox
    updates = [update(1, -101, "a1"), update(2, -102, "fail"), update(3, -101, "a2"), update(4, -102, "b2")]
    await processor.store([arrival(1, u, NOW) for u in updates])
    assert await processor.run_once() == 2
    assert seen.texts[-2:] == ["a1", "a2"]  # after the batch's attempt, rolled back, one by one
    assert await statuses(processor) == {
        "1:1": (InboxStatus.DONE, 0),
        "1:2": (InboxStatus.PENDING, 1),
        "1:3": (InboxStatus.DONE, 0),
        "1:4": (InboxStatus.PENDING, 0),
    }
    assert await processed(processor) == 2
