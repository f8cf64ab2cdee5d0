"""Two people become one: every person reference follows, unique clashes keep the kept person's row, features'
merge steps run first; and the one-time link codes that lead there."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.events import Event, Occurrence, Rsvp, RsvpStatus
from models.people import (
    LinkCode,
    LinkProblem,
    Person,
    PlatformAccount,
    Role,
    accounts_of,
    active_grants,
    create_link_code,
    ensure_person,
    grant_role,
    merge_people,
    redeem_link_code,
)
from models.places import PlaceKind, add_place
from models.tickets import Category, Ticket, TicketAffected


async def person(session: AsyncSession, platform: str, user_id: str, name: str) -> int:
    found = await ensure_person(session, platform=platform, platform_user_id=user_id, display_name=name, username=None)
    assert found.id is not None
    return found.id


async def test_everything_keyed_by_the_dropped_person_follows_and_clashes_keep_the_kept_row(
    session: AsyncSession,
) -> None:
    community = await add_place(session, kind=PlaceKind.COMMUNITY, name="社区", code="c", parent=None)
    grid = await add_place(session, kind=PlaceKind.GRID, name="网格", code="c/g", parent=community)
    building = await add_place(session, kind=PlaceKind.BUILDING, name="1号楼", code="c/g/1", parent=grid)
    keep = await person(session, "telegram", "7001", "王小明")
    drop = await person(session, "wecom", "wangxiaoming", "")
    await grant_role(session, person_id=drop, role=Role.VOLUNTEER, place=building, granted_by_id=None)
    ticket = Ticket(category=Category.REPAIR, building_id=building.id or 0, text="灯坏了", reporter_id=drop)
    other = Ticket(category=Category.REPAIR, building_id=building.id or 0, text="门坏了", reporter_id=keep)
    event = Event(author_id=keep)
    session.add_all([ticket, other, event])
    await session.flush()
    occurrence = Occurrence(event_id=event.id or 0, starts_at=utcnow(), checkin_code="1234")
    later = Occurrence(event_id=event.id or 0, starts_at=utcnow() + timedelta(days=7), checkin_code="5678")
    session.add_all([occurrence, later])
    await session.flush()
    session.add_all(
        [
            TicketAffected(ticket_id=other.id or 0, person_id=drop),  # only the dropped person: re-pointed
            Rsvp(occurrence_id=occurrence.id or 0, person_id=keep, status=RsvpStatus.GOING),
            Rsvp(occurrence_id=occurrence.id or 0, person_id=drop, status=RsvpStatus.WAITLIST),  # clash: dropped
            Rsvp(occurrence_id=later.id or 0, person_id=drop, status=RsvpStatus.CANCELLED),  # no clash: re-pointed
        ]
    )
    seen_by_step: list[tuple[int, int, int]] = []

    async def count_rsvps(s: AsyncSession, keep_id: int, drop_id: int) -> None:
        rows = (await s.exec(select(Rsvp).where(Rsvp.person_id == drop_id))).all()
        seen_by_step.append((keep_id, drop_id, len(rows)))

    await merge_people(session, keep_id=keep, drop_id=drop, steps=[count_rsvps])

    assert seen_by_step == [(keep, drop, 2)]  # steps run while both people are still intact
    assert await session.get(Person, drop) is None
    assert {a.platform for a in await accounts_of(session, person_id=keep)} == {"telegram", "wecom"}
    assert [g.role for g in await active_grants(session, person_id=keep)] == [Role.VOLUNTEER]
    reporters = (await session.exec(select(Ticket.reporter_id).order_by(col(Ticket.id)))).all()
    assert list(reporters) == [keep, keep]
    assert (await session.exec(select(TicketAffected.person_id))).all() == [keep]
    rsvps = (await session.exec(select(Rsvp.person_id, Rsvp.status).order_by(col(Rsvp.id)))).all()
    assert list(rsvps) == [(keep, RsvpStatus.GOING), (keep, RsvpStatus.CANCELLED)]
    assert (await session.exec(select(PlatformAccount).where(PlatformAccount.person_id == drop))).all() == []


async def test_link_codes_work_once_across_platforms_and_within_their_time(session: AsyncSession) -> None:
    telegram = await person(session, "telegram", "7001", "王小明")
    wecom = await person(session, "wecom", "wangxiaoming", "")
    now = utcnow()
    code = await create_link_code(session, person_id=telegram, platform="telegram", now=now, ttl=timedelta(minutes=10))
    assert len(code.code) == 8 and code.code.isdigit()

    async def redeem(person_id: int, platform: str, at: timedelta = timedelta()) -> tuple[LinkCode | None, object]:
        return await redeem_link_code(session, code=code.code, person_id=person_id, platform=platform, now=now + at)

    assert await redeem(wecom, "wecom", timedelta(minutes=11)) == (None, LinkProblem.EXPIRED)
    assert await redeem(wecom, "telegram") == (None, LinkProblem.SAME_PLATFORM)
    assert await redeem(telegram, "wecom") == (None, LinkProblem.ALREADY)
    used, problem = await redeem(wecom, "wecom")
    assert problem is None and used is code and code.used_at == now
    assert await redeem(wecom, "wecom") == (None, LinkProblem.USED)
    found = await redeem_link_code(session, code="00000000", person_id=wecom, platform="wecom", now=now)
    assert found == (None, LinkProblem.UNKNOWN)
