"""The durable outbox: every message the bot sends, edits or answers, written with the state change."""

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint, bindparam, func, insert, literal, or_, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from models.base import UTCDateTime, utcnow
from models.payloads import EditPayload, Payload, SendPayload, StoredKeyboard, action_of, decode, encode

OUTBOX_CHANNEL = "linli_outbox"  # PostgreSQL's NOTIFY channel on which committed rows are announced to the senders


async def announce_rows(connection: AsyncConnection) -> None:
    """Tell every sender listening, in any process, that rows were committed (PostgreSQL; inside a transaction the
    notification goes out at its commit)."""
    await connection.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # taken by a sender, waiting for its turn under the rate limits; not on the wire
    SENDING = "sending"  # the request is on the wire
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.SENDING)
SHOWN = (OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.UNCERTAIN)  # may be on the user's screen


class OutboxAction(StrEnum):
    SEND = "send"
    EDIT = "edit"
    ANSWER = "answer"


class Lane(IntEnum):
    """Which rows a sender takes first: what a person waits for before what the bot sends to many."""

    ANSWER = 0  # a button's acknowledgement (answerCallbackQuery): no rate limit, nothing waits behind it
    REPLY = 1  # a reply, a card, a reminder: someone is waiting for it
    BULK = 2  # one of many copies (a notice to every group in scope)


QUEUED = "status IN ('pending', 'claimed', 'sending')"  # the unfinished rows (UNFINISHED), as an index condition


class OutboxMessage(SQLModel, table=True):
    """One delivery; `ref_key` names a sent message so later rows can edit it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_shown", "platform", "chat_id", "platform_message_id"),
        Index("ix_outbox_queue", "platform", "chat_id", "id", postgresql_where=text(QUEUED), sqlite_where=text(QUEUED)),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    action: str = Field(max_length=8)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ref_key: str | None = Field(default=None, max_length=80, index=True)
    dedupe_key: str | None = Field(default=None, max_length=120)
    status: str = Field(default=OutboxStatus.PENDING, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: as soon as possible
    last_error: str | None = Field(default=None, max_length=500)
    platform_message_id: str | None = Field(default=None, max_length=64)
    """The message the row put on the screen: the one it sent, or (an edit) the one it changed."""
    lane: int = Lane.REPLY
    turn: int | None = None
    """Its place in line within its lane (None: its id): when its chat was served, the chat's next rows are moved
    behind every row queued by then (`pass_the_turn`), so the chats take turns and a backlog waits only for itself."""
    claimed_by: int | None = None  # the sender that claimed the row (its liveness lock on PostgreSQL)
    parts_sent: int = 0  # how many parts of the row the platform already has (WeCom splits long texts, files)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @classmethod
    def of(
        cls,
        *,
        platform: str,
        chat_id: str,
        content: Payload,
        ref_key: str | None = None,
        dedupe_key: str | None = None,
        bulk: bool = False,
    ) -> "OutboxMessage":
        """The row that delivers `content` (its action follows from the payload's kind, its lane from that and
        `bulk`)."""
        values = outbox_values(
            platform=platform, chat_id=chat_id, content=content, ref_key=ref_key, dedupe_key=dedupe_key, bulk=bulk
        )
        return cls(**values)

    @property
    def content(self) -> Payload:
        """The typed payload (the one reading of the stored JSON)."""
        return decode(self.action, self.payload)


def outbox_values(
    *,
    platform: str,
    chat_id: str,
    content: Payload,
    ref_key: str | None = None,
    dedupe_key: str | None = None,
    bulk: bool = False,
) -> dict[str, Any]:
    """Every column but the id of the row that delivers `content` (`OutboxMessage.of`), as plain values: rows with
    the same columns go in one statement (`add_outbox_rows`)."""
    action = action_of(content)
    lane = Lane.ANSWER if action == OutboxAction.ANSWER else Lane.BULK if bulk else Lane.REPLY
    return {
        "platform": platform,
        "chat_id": chat_id,
        "action": action,
        "payload": encode(content),
        "ref_key": ref_key,
        "dedupe_key": dedupe_key,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": None,
        "platform_message_id": None,
        "lane": lane,
        "turn": None,
        "claimed_by": None,
        "parts_sent": 0,
        "created_at": utcnow(),
        "sent_at": None,
    }


async def add_outbox_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add these rows (`outbox_values`) in one statement, in their order: their ids ascend as listed, and a chat's
    rows are sent in id order. What the unit of work holds unwritten is flushed first, so it keeps its place before
    them (an ORM insert of each row was one statement a row on SQLite, whose driver cannot return the ids of a
    multi-row insert in order)."""
    if rows:
        await session.flush()
        await (await session.connection()).execute(insert(OutboxMessage), list(rows))  # one statement, many rows


def queued(status: Any) -> Any:
    """`status` is one of the unfinished ones (UNFINISHED), the statuses written into the query, not bound: only then
    do both databases see that ix_outbox_queue, the index of queued rows, answers it."""
    return col(status).in_([literal(str(value), String(), literal_execute=True) for value in UNFINISHED])


async def next_in_line(session: AsyncSession, *, now: datetime, limit: int, lock: bool) -> list[OutboxMessage]:
    """The rows a sender may take now: every due answer, and of each chat the row no earlier unfinished send of that
    chat waits before (so a chat's messages keep their order across senders, and a chat whose next row waits — a 429,
    a full minute — holds back only itself); answers first, then replies, then bulk copies, each lane in turns (a
    chat just served goes behind the rows queued meanwhile, `pass_the_turn`), then oldest first. Locked SKIP LOCKED
    on PostgreSQL."""
    earlier = aliased(OutboxMessage)
    waits_behind = (
        select(earlier.id)
        .where(
            earlier.platform == OutboxMessage.platform,
            earlier.chat_id == OutboxMessage.chat_id,
            col(earlier.id) < col(OutboxMessage.id),
            earlier.action == OutboxAction.SEND,
            queued(earlier.status),
        )
        .exists()
    )
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now),
            or_(col(OutboxMessage.action) == OutboxAction.ANSWER, ~waits_behind),
        )
        .order_by(
            col(OutboxMessage.lane),
            func.coalesce(col(OutboxMessage.turn), col(OutboxMessage.id)),
            col(OutboxMessage.id),
        )
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    return list((await session.exec(query)).all())


async def pass_the_turn(session: AsyncSession, *, platform: str, chat_id: str) -> None:
    """The chat was served (one of its rows sent or given up): the rows it would offer next — its next send and the
    edits before it — go behind every row queued so far, so each chat with rows waiting gets its turn first."""
    later = aliased(OutboxMessage)
    next_send = (
        select(func.min(later.id))
        .where(
            later.platform == platform,
            later.chat_id == chat_id,
            later.action == OutboxAction.SEND,
            later.status == OutboxStatus.PENDING,
            queued(later.status),
        )
        .scalar_subquery()
    )
    newest = aliased(OutboxMessage)
    behind_all = select(func.max(newest.id) + 1).scalar_subquery()
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.platform) == platform,
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            queued(OutboxMessage.status),
            col(OutboxMessage.action) != OutboxAction.ANSWER,
            or_(next_send.is_(None), col(OutboxMessage.id) <= next_send),
        )
        .values(turn=behind_all)
    )


async def sent_message_id(session: AsyncSession, *, ref_key: str) -> tuple[str, str | None, str] | None:
    """(chat id, platform message id, platform) of the newest send row named `ref_key`, if it exists."""
    row = await newest_send(session, ref_key=ref_key)
    return None if row is None else (row.chat_id, row.platform_message_id, row.platform)


async def sent_message_ids(session: AsyncSession, *, ref_keys: Iterable[str]) -> dict[str, tuple[str, str | None, str]]:
    """`sent_message_id` of each of these names that has a send row, in one query."""
    rows = (await session.exec(sent_message_ids_query(), params={"ref_keys": list(ref_keys)})).all()
    return {ref_key: (chat_id, message_id, platform) for ref_key, chat_id, message_id, platform in rows if ref_key}


@cache
def sent_message_ids_query() -> Select[str | None, str, str | None, str]:
    """`sent_message_ids`'s statement, built once (building it cost more than running it): the values are bound."""
    return (
        select(OutboxMessage.ref_key, OutboxMessage.chat_id, OutboxMessage.platform_message_id, OutboxMessage.platform)
        .where(
            col(OutboxMessage.ref_key).in_(bindparam("ref_keys", expanding=True)),
            OutboxMessage.action == OutboxAction.SEND,
        )
        .order_by(col(OutboxMessage.id))
    )


class EditWait(StrEnum):
    """What became of an edit whose message has no platform id (yet)."""

    WAITING = "waiting"  # its send is still on its way, or it has not waited long enough
    REPOSTED = "reposted"  # its send may or may not have arrived: the current card goes out as a new message
    LOST = "lost"  # its send failed: there is nothing to edit


WAIT_ROUND = timedelta(seconds=2)
REPOST_AFTER_ROUNDS = 5  # an edit of a message whose send is uncertain waits this many rounds (a burst collapses)


async def wait_or_repost(session: AsyncSession, *, row_id: int, now: datetime) -> EditWait:
    """An edit row whose message has no platform id: wait a round while the send may still give one; after
    REPOST_AFTER_ROUNDS rounds behind a send that never will (uncertain: it may or may not have arrived), become
    that send again with the edit's text and buttons, under the send's name, so later edits change the new message;
    fail when the send failed. The row's waiting rounds are its attempts, reset when it is reposted."""
    row = await session.get(OutboxMessage, row_id)
    assert row is not None
    content = row.content
    assert isinstance(content, EditPayload) and content.ref_key is not None
    send = await newest_send(session, ref_key=content.ref_key)
    if send is not None and send.status == OutboxStatus.FAILED:
        row.status, row.last_error = OutboxStatus.FAILED, f"the message to edit was never sent (row {send.id})"
        return EditWait.LOST
    if send is None or send.status in UNFINISHED:
        return wait_a_round(row, now)
    if row.attempts + 1 < REPOST_AFTER_ROUNDS:
        row.attempts += 1
        return wait_a_round(row, now)
    assert send is not None and isinstance(send.content, SendPayload)
    reposted = replace(send.content, text=content.text, buttons=content.buttons)
    row.action, row.payload, row.ref_key = OutboxAction.SEND, encode(reposted), content.ref_key
    row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, None
    row.last_error = f"reposted as a new message: the send of row {send.id} is uncertain"
    return EditWait.REPOSTED


def wait_a_round(row: OutboxMessage, now: datetime) -> EditWait:
    row.status, row.next_attempt_at = OutboxStatus.PENDING, now + WAIT_ROUND
    row.last_error = "waiting for the message to edit"
    return EditWait.WAITING


async def newest_send(session: AsyncSession, *, ref_key: str) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.ref_key == ref_key, OutboxMessage.action == OutboxAction.SEND)
        .order_by(col(OutboxMessage.id).desc())
    )
    return (await session.exec(query)).first()


def edit_target(row: OutboxMessage) -> tuple[str, str] | None:
    """What an edit row changes: the named message or the chat's message id (None for other rows)."""
    content = row.content
    return (row.chat_id, content.target) if isinstance(content, EditPayload) else None


async def superseded(session: AsyncSession, *, row: OutboxMessage) -> bool:
    """True if a newer edit of the same message is queued: this one need not be sent (debounces bursts)."""
    target = edit_target(row)
    if target is None:
        return False
    query = select(OutboxMessage).where(
        OutboxMessage.platform == row.platform,
        OutboxMessage.chat_id == row.chat_id,
        OutboxMessage.action == OutboxAction.EDIT,
        col(OutboxMessage.id) > (row.id or 0),
        col(OutboxMessage.status).in_(UNFINISHED),
    )
    return any(edit_target(newer) == target for newer in (await session.exec(query)).all())


async def claimants(session: AsyncSession) -> set[int | None]:
    """The senders (None: one before senders had names) holding rows claimed or on the wire."""
    query = select(OutboxMessage.claimed_by).where(
        col(OutboxMessage.status).in_((OutboxStatus.CLAIMED, OutboxStatus.SENDING))
    )
    return set((await session.exec(query.distinct())).all())


async def recover_interrupted(session: AsyncSession, *, claimed_by: int | None) -> int:
    """After the sender `claimed_by` died: the rows it claimed never left, so they go back to the queue; rows it
    left 'sending' may or may not have arrived, so they are never resent. Returns how many were uncertain."""
    owner = (
        col(OutboxMessage.claimed_by).is_(None) if claimed_by is None else col(OutboxMessage.claimed_by) == claimed_by
    )
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.CLAIMED, owner)
        .values(status=OutboxStatus.PENDING, claimed_by=None)
    )
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.SENDING, owner)
        .values(status=OutboxStatus.UNCERTAIN, last_error="interrupted while sending; not retried")
    )
    return int(result.rowcount or 0)


async def oldest_waiting_age(session: AsyncSession) -> float | None:
    """Seconds since the oldest row still to be delivered (pending or claimed) was written, or None if none is;
    rows are stamped with the wall clock, so the age is taken on it too."""
    query = select(func.min(OutboxMessage.created_at)).where(
        col(OutboxMessage.status).in_((OutboxStatus.PENDING, OutboxStatus.CLAIMED))
    )
    oldest = (await session.exec(query)).one()
    return None if oldest is None else round((utcnow() - oldest).total_seconds(), 1)


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return dict((await session.exec(query)).all())


async def sent_buttons(session: AsyncSession, *, row_id: int, platform: str, chat_id: str) -> StoredKeyboard | None:
    """The buttons of a message delivered to this chat (send or edit row), or None if there is no such message.

    A row still marked sending counts: the platform may show the message before the sender records it as sent.
    """
    row = await session.get(OutboxMessage, row_id)
    if row is None or (row.platform, row.chat_id) != (platform, chat_id) or row.status not in SHOWN:
        return None
    content = row.content
    buttons = content.buttons if isinstance(content, SendPayload | EditPayload) else ()
    return buttons or None


async def issued_callback_data(session: AsyncSession, *, platform: str, chat_id: str, message_id: str) -> set[str]:
    """Every callback data the bot put on this message in this chat: its send and its edits, those on the wire
    included. A message not known here yet may be one on the wire (the platform may show it before the sender records
    its id): then the buttons of every row on the wire in this chat count; a known message's never include another
    message's. A press carrying any other data was not issued here: forged, or replayed from another message."""
    params = {"platform": platform, "chat_id": chat_id, "message_id": message_id}
    rows = list((await session.exec(shown_or_on_the_wire_query(), params=params)).all())
    known = [row for row in rows if row.platform_message_id == message_id]
    if known:
        rows = known + await edits_on_the_wire_to(session, rows=rows, message_id=message_id)
    issued: set[str] = set()
    for row in rows:
        content = row.content
        if isinstance(content, SendPayload | EditPayload):
            issued |= {b.data for line in content.buttons for b in line if b.data}
    return issued


@cache
def shown_or_on_the_wire_query() -> SelectOfScalar[OutboxMessage]:
    """`issued_callback_data`'s rows of one message, built once: the values are bound."""
    return select(OutboxMessage).where(
        OutboxMessage.platform == bindparam("platform"),
        OutboxMessage.chat_id == bindparam("chat_id"),
        or_(
            (col(OutboxMessage.platform_message_id) == bindparam("message_id")) & col(OutboxMessage.status).in_(SHOWN),
            col(OutboxMessage.status) == OutboxStatus.SENDING,
        ),
    )


async def edits_on_the_wire_to(
    session: AsyncSession, *, rows: list[OutboxMessage], message_id: str
) -> list[OutboxMessage]:
    """The edits among `rows` being sent to the message `message_id` (named by its id, or by its send's name: the
    sends so named are read in one query)."""
    sending = [r for r in rows if r.status == OutboxStatus.SENDING and isinstance(r.content, EditPayload)]
    names = {ref for r in sending if (ref := edit_payload(r).ref_key) is not None}
    sends = await sent_message_ids(session, ref_keys=names) if names else {}

    def aims_at_message(row: OutboxMessage) -> bool:
        content = edit_payload(row)
        if content.ref_key is None:
            return content.message_id == message_id
        target = sends.get(content.ref_key)
        return target is not None and target[1] == message_id

    return [row for row in sending if aims_at_message(row)]


def edit_payload(row: OutboxMessage) -> EditPayload:
    content = row.content
    assert isinstance(content, EditPayload)
    return content


async def parts_sent_of(session: AsyncSession, *, row_id: int) -> int:
    """How many parts of this row a platform was already given (0 for a row it never saw)."""
    row = await session.get(OutboxMessage, row_id)
    return row.parts_sent if row is not None else 0


async def record_parts_sent(session: AsyncSession, *, row_id: int, parts: int) -> None:
    """Remember, before the next part is tried, that `parts` parts of this row went out: a retry after a crash or
    on another worker goes on from there instead of repeating them."""
    await session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(parts_sent=parts))
