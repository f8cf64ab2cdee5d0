"""Organisations that fix things (物业, 维保单位, utilities, departments, the 街道), their members, the routing rules
that say who is responsible for what, and the dispatches and holds (挂账) of tickets to them."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, UniqueConstraint, and_, bindparam, exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import JSON, Column, Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import UTCDateTime, utcnow
from models.people import Person, Role, RoleGrant
from models.places import Place
from models.tickets import Ticket, TicketEvent


class OrgKind(StrEnum):
    PROPERTY = "property"  # 物业公司
    MAINTENANCE = "maintenance"  # 维保单位 (lift, fire equipment)
    UTILITY = "utility"  # 供水, 供暖, 燃气, 供电
    DEPARTMENT = "department"  # 城管, 住建, 派出所 …
    STREET = "street"  # 街道, above the community


class Organisation(SQLModel, table=True):
    """One organisation of a community; `serves` lists the place ids (buildings, grids or the community) it serves."""

    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=120)
    code: str = Field(max_length=160)
    duty_phone: str | None = Field(default=None, max_length=40)
    working_hours: str | None = Field(default=None, max_length=40)
    serves: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrgMember(SQLModel, table=True):
    """A person who acts for an organisation on assigned tickets; `on_duty` members get urgent requests."""

    __tablename__ = "org_member"
    __table_args__ = (UniqueConstraint("organisation_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    on_duty: bool = True
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrgInvite(SQLModel, table=True):
    """Which organisation a one-time invite (an `Invite` with the org member role) joins its user to."""

    __tablename__ = "org_invite"
    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32)
    organisation_id: int = Field(foreign_key="organisation.id")


class RoutingRule(SQLModel, table=True):
    """Category (and sub-kind) × building → the responsible organisation; None matches any."""

    __tablename__ = "routing_rule"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="place.id", index=True)
    category: str = Field(max_length=16)
    subkind: str | None = Field(default=None, max_length=24)
    building_id: int | None = Field(default=None, foreign_key="place.id")
    organisation_id: int = Field(foreign_key="organisation.id")


class DispatchState(StrEnum):
    SUGGESTED = "suggested"  # the rule's choice, waiting for the building head or grid worker
    DISPATCHED = "dispatched"  # sent to the organisation's members, waiting for one to accept
    ACCEPTED = "accepted"  # a member took it on (the ticket's assignee)
    PHONED = "phoned"  # no member in chat: the grid worker called the duty phone
    RETURNED = "returned"  # 退单: not ours
    TRANSFERRED = "transferred"  # 转单: passed to another organisation


LIVE_DISPATCH = (DispatchState.DISPATCHED, DispatchState.ACCEPTED, DispatchState.PHONED)


class TicketDispatch(SQLModel, table=True):
    """One step of a ticket's way to an organisation; the newest row of a ticket is its current one."""

    __tablename__ = "ticket_dispatch"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    state: str = Field(default=DispatchState.SUGGESTED, max_length=16)
    dispatched_by_id: int | None = Field(default=None, foreign_key="person.id")
    accepted_by_id: int | None = Field(default=None, foreign_key="person.id")
    awaiting_id: int | None = Field(default=None, foreign_key="person.id")
    """Someone asked for a reason (退单 / 挂账) whose next private message is it."""
    awaiting: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=300)
    """Why it was handed back (退单)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HoldState(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    REFUSED = "refused"
    ENDED = "ended"


class TicketHold(SQLModel, table=True):
    """挂账: a ticket waits (parts, a budget vote) with its deadline paused, once the grid worker approves."""

    __tablename__ = "ticket_hold"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    reason: str = Field(max_length=300)
    expected_at: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default=HoldState.REQUESTED, max_length=16)
    requested_by_id: int = Field(foreign_key="person.id")
    approved_by_id: int | None = Field(default=None, foreign_key="person.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# ---- organisations and members ----------------------------------------------------------------------------------


async def organisation_by_code(session: AsyncSession, *, code: str) -> Organisation | None:
    return (await session.exec(select(Organisation).where(Organisation.code == code))).first()


async def organisation_by_id(session: AsyncSession, *, organisation_id: int) -> Organisation | None:
    return await session.get(Organisation, organisation_id)


async def organisations_of(session: AsyncSession, *, community_id: int) -> list[Organisation]:
    return list((await session.exec(organisations_query(), params={"community_id": community_id})).all())


@cache
def organisations_query() -> SelectOfScalar[Organisation]:
    """`organisations_of`'s statement, built once: the values are bound."""
    query = select(Organisation).where(Organisation.community_id == bindparam("community_id"))
    return query.order_by(col(Organisation.id))


async def find_organisation(session: AsyncSession, *, community_ids: Iterable[int], name: str) -> Organisation | None:
    """An organisation of these communities by its name or code (as staff type it)."""
    query = select(Organisation).where(col(Organisation.community_id).in_(list(community_ids)))
    found = list((await session.exec(query.order_by(col(Organisation.id)))).all())
    return next((o for o in found if name in (o.name, o.code)), None) or next(
        (o for o in found if name and name in o.name), None
    )


async def add_member(session: AsyncSession, *, organisation_id: int, person_id: int, now: datetime) -> OrgMember:
    """Make the person a member (an existing membership is returned as it is)."""
    query = select(OrgMember).where(OrgMember.organisation_id == organisation_id, OrgMember.person_id == person_id)
    member = (await session.exec(query)).first()
    if member is None:
        member = OrgMember(organisation_id=organisation_id, person_id=person_id, joined_at=now)
        session.add(member)
        await session.flush()
    return member


def live_membership() -> ColumnElement[bool]:
    """A membership counts while its person holds the org member role on the organisation's community: revoking
    the role (撤销 in 身份管理) ends what they may do for the organisation."""
    return exists().where(
        col(RoleGrant.person_id) == col(OrgMember.person_id),
        col(RoleGrant.role) == Role.ORG_MEMBER,
        col(RoleGrant.place_id) == col(Organisation.community_id),
        col(RoleGrant.revoked_at).is_(None),
    )


async def members_of(session: AsyncSession, *, organisation_id: int, on_duty: bool = False) -> list[Person]:
    query = (
        select(Person)
        .join(OrgMember, col(OrgMember.person_id) == col(Person.id))
        .join(Organisation, col(Organisation.id) == col(OrgMember.organisation_id))
        .where(OrgMember.organisation_id == organisation_id, live_membership())
        .order_by(col(OrgMember.id))
    )
    if on_duty:
        query = query.where(col(OrgMember.on_duty).is_(True))
    return list((await session.exec(query)).all())


async def duty_members(session: AsyncSession, *, organisation_id: int) -> list[Person]:
    """Who gets the organisation's jobs: its members on duty, or every member when nobody is on duty."""
    return await members_of(session, organisation_id=organisation_id, on_duty=True) or await members_of(
        session, organisation_id=organisation_id
    )


async def duties_of(session: AsyncSession, *, person_id: int) -> list[tuple[Organisation, OrgMember]]:
    """The person's memberships with their organisations, in joining order."""
    query = (
        select(Organisation, OrgMember)
        .join(OrgMember, col(OrgMember.organisation_id) == col(Organisation.id))
        .where(OrgMember.person_id == person_id, live_membership())
        .order_by(col(OrgMember.id))
    )
    return [(org, member) for org, member in (await session.exec(query)).all()]


async def memberships_of(session: AsyncSession, *, person_id: int) -> list[int]:
    """The ids of the organisations the person acts for."""
    query = (
        select(OrgMember.organisation_id)
        .join(Organisation, col(Organisation.id) == col(OrgMember.organisation_id))
        .where(OrgMember.person_id == person_id, live_membership())
    )
    return list((await session.exec(query)).all())


async def move_memberships(session: AsyncSession, *, community_id: int, from_person_id: int, to_person_id: int) -> None:
    """A handover of the org member role: the successor takes the predecessor's place in the community's
    organisations (duty included)."""
    query = (
        select(OrgMember)
        .join(Organisation, col(Organisation.id) == col(OrgMember.organisation_id))
        .where(OrgMember.person_id == from_person_id, Organisation.community_id == community_id)
    )
    taken = set(await memberships_of(session, person_id=to_person_id))
    for member in (await session.exec(query)).all():
        if member.organisation_id in taken:
            await session.delete(member)
        else:
            member.person_id = to_person_id
    await session.flush()


async def org_invite_by_code(session: AsyncSession, *, code: str) -> OrgInvite | None:
    return (await session.exec(select(OrgInvite).where(OrgInvite.code == code))).first()


# ---- routing ----------------------------------------------------------------------------------------------------


async def rules_of(session: AsyncSession, *, community_id: int) -> list[RoutingRule]:
    return list((await session.exec(rules_query(), params={"community_id": community_id})).all())


@cache
def rules_query() -> SelectOfScalar[RoutingRule]:
    """`rules_of`'s statement, built once (building it cost more than running it): the values are bound."""
    return (
        select(RoutingRule).where(RoutingRule.community_id == bindparam("community_id")).order_by(col(RoutingRule.id))
    )


def rule_fits(rule: RoutingRule, *, category: str, subkind: str | None, building_id: int) -> bool:
    return rule.category == category and rule.subkind in (None, subkind) and rule.building_id in (None, building_id)


def specificity(rule: RoutingRule) -> int:
    """A rule naming the sub-kind beats one naming only the building, which beats one naming neither."""
    return (2 if rule.subkind else 0) + (1 if rule.building_id else 0)


async def responsible_organisation(
    session: AsyncSession, *, community: Place, category: str, subkind: str | None, building_id: int
) -> Organisation | None:
    """The organisation the most specific fitting rule of the community names, if any."""
    fitting = [
        r
        for r in await rules_of(session, community_id=community.id or 0)
        if rule_fits(r, category=category, subkind=subkind, building_id=building_id)
    ]
    if not fitting:
        return None
    best = max(fitting, key=lambda r: (specificity(r), -(r.id or 0)))
    return await session.get(Organisation, best.organisation_id)


async def set_rule(
    session: AsyncSession,
    *,
    community_id: int,
    category: str,
    subkind: str | None,
    building_id: int | None,
    organisation_id: int,
) -> bool:
    """Create or re-point the rule for this key; True if something changed."""
    for rule in await rules_of(session, community_id=community_id):
        if (rule.category, rule.subkind, rule.building_id) == (category, subkind, building_id):
            if rule.organisation_id == organisation_id:
                return False
            rule.organisation_id = organisation_id
            return True
    session.add(
        RoutingRule(
            community_id=community_id,
            category=category,
            subkind=subkind,
            building_id=building_id,
            organisation_id=organisation_id,
        )
    )
    await session.flush()
    return True


# ---- dispatches and holds ---------------------------------------------------------------------------------------


async def current_dispatch(session: AsyncSession, *, ticket_id: int) -> TicketDispatch | None:
    return (await session.exec(current_dispatch_query(), params={"ticket_id": ticket_id})).first()


@cache
def current_dispatch_query() -> SelectOfScalar[TicketDispatch]:
    """`current_dispatch`'s statement, built once: the values are bound."""
    query = select(TicketDispatch).where(TicketDispatch.ticket_id == bindparam("ticket_id"))
    return query.order_by(col(TicketDispatch.id).desc())


async def dispatches_of(session: AsyncSession, *, ticket_id: int) -> list[TicketDispatch]:
    query = select(TicketDispatch).where(TicketDispatch.ticket_id == ticket_id).order_by(col(TicketDispatch.id))
    return list((await session.exec(query)).all())


async def awaited_dispatch(session: AsyncSession, *, person_id: int) -> TicketDispatch | None:
    """The dispatch whose reason this person was asked for last."""
    query = (
        select(TicketDispatch)
        .where(TicketDispatch.awaiting_id == person_id, col(TicketDispatch.awaiting).is_not(None))
        .order_by(col(TicketDispatch.id).desc())
    )
    return (await session.exec(query)).first()


async def live_tickets_of(session: AsyncSession, *, organisation_ids: Iterable[int]) -> list[int]:
    """Tickets currently dispatched to one of these organisations (newest first)."""
    ids = list(organisation_ids)
    query = (
        select(TicketDispatch)
        .where(col(TicketDispatch.organisation_id).in_(ids))
        .order_by(col(TicketDispatch.id).desc())
    )
    seen: dict[int, bool] = {}
    for row in (await session.exec(query)).all():
        if row.ticket_id in seen:
            continue
        current = await current_dispatch(session, ticket_id=row.ticket_id)
        seen[row.ticket_id] = current is not None and current.id == row.id and row.state in LIVE_DISPATCH
    return [t for t, live in seen.items() if live]


def dispatched_to(organisation_ids: Iterable[int]) -> Any:
    """The ids of the tickets whose current dispatch (the newest row) is live with one of these organisations, as a
    subquery: what an organisation's members see of the community's tickets."""
    newer = aliased(TicketDispatch)
    return select(TicketDispatch.ticket_id).where(
        col(TicketDispatch.organisation_id).in_(list(organisation_ids)),
        col(TicketDispatch.state).in_([str(s) for s in LIVE_DISPATCH]),
        ~exists().where(col(newer.ticket_id) == col(TicketDispatch.ticket_id), col(newer.id) > col(TicketDispatch.id)),
    )


async def hold_of(session: AsyncSession, *, ticket_id: int, states: Iterable[HoldState]) -> TicketHold | None:
    query = (
        select(TicketHold)
        .where(TicketHold.ticket_id == ticket_id, col(TicketHold.state).in_([str(s) for s in states]))
        .order_by(col(TicketHold.id).desc())
    )
    return (await session.exec(query)).first()


async def holds_due(session: AsyncSession, *, now: datetime) -> list[TicketHold]:
    """Active holds whose expected date has come, their tickets locked like `ticket_for_change`; a hold whose ticket a
    press is changing right now (恢复处理, say) is left for the next sweep."""
    query = (
        select(TicketHold)
        .join(Ticket, col(Ticket.id) == col(TicketHold.ticket_id))
        .where(TicketHold.state == HoldState.ACTIVE, col(TicketHold.expected_at) <= now)
        .order_by(col(TicketHold.id))
        .with_for_update(skip_locked=True, of=Ticket)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


class Whistle(SQLModel, table=True):
    """吹哨报到 beyond the community: an organisation (the 街道, the responsible department) must report in (报到)."""

    __tablename__ = "whistle"
    __table_args__ = (UniqueConstraint("ticket_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    reminded: bool = False
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_by_id: int | None = Field(default=None, foreign_key="person.id")


async def whistles_of(session: AsyncSession, *, ticket_id: int) -> list[Whistle]:
    return list((await session.exec(whistles_query(), params={"ticket_id": ticket_id})).all())


@cache
def whistles_query() -> SelectOfScalar[Whistle]:
    """`whistles_of`'s statement, built once: the values are bound."""
    return select(Whistle).where(Whistle.ticket_id == bindparam("ticket_id")).order_by(col(Whistle.id))


async def whistles_overdue(session: AsyncSession, *, now: datetime) -> list[Whistle]:
    """Whistles nobody reported in to by their time, not yet reminded."""
    query = select(Whistle).where(
        col(Whistle.reported_at).is_(None), col(Whistle.reminded).is_(False), col(Whistle.due_at) <= now
    )
    return list((await session.exec(query.order_by(col(Whistle.id)))).all())


# ---- 物业评价: the satisfaction survey ---------------------------------------------------------------------------


class Survey(SQLModel, table=True):
    """A 物业满意度 survey of one organisation for one month, posted in chosen groups until its deadline."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    month: str = Field(max_length=7)  # 2026-12, in the community's time zone
    chat_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deadline: datetime = Field(sa_type=UTCDateTime, index=True)
    remind_at: datetime = Field(sa_type=UTCDateTime)
    reminded: bool = False
    closed: bool = False
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyVoter(SQLModel, table=True):
    """Who has answered (one answer per person) and the answer in progress; the scores are stored apart from it."""

    __tablename__ = "survey_voter"
    __table_args__ = (UniqueConstraint("survey_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    draft: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    done: bool = False


class SurveyAnswer(SQLModel, table=True):
    """One finished answer, anonymous: the ten scores (1–5) and nothing that says whose they are."""

    __tablename__ = "survey_answer"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    scores: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


async def voter_of(session: AsyncSession, *, survey_id: int, person_id: int) -> SurveyVoter | None:
    query = select(SurveyVoter).where(SurveyVoter.survey_id == survey_id, SurveyVoter.person_id == person_id)
    return (await session.exec(query.with_for_update())).first()


async def answers_of(session: AsyncSession, *, survey_ids: Iterable[int]) -> list[list[int]]:
    query = select(SurveyAnswer.scores).where(col(SurveyAnswer.survey_id).in_(list(survey_ids)))
    return [list(s) for s in (await session.exec(query)).all()]


async def surveys_of_month(session: AsyncSession, *, organisation_id: int, month: str) -> list[Survey]:
    query = select(Survey).where(Survey.organisation_id == organisation_id, Survey.month == month)
    return list((await session.exec(query.order_by(col(Survey.id)))).all())


async def surveys_due(session: AsyncSession, *, now: datetime) -> list[Survey]:
    """Open surveys whose reminder or deadline has come."""
    query = select(Survey).where(
        col(Survey.closed).is_(False),
        or_(col(Survey.deadline) <= now, and_(col(Survey.reminded).is_(False), col(Survey.remind_at) <= now)),
    )
    return list((await session.exec(query.order_by(col(Survey.id)))).all())


@dataclass(frozen=True)
class Outcomes:
    """What an organisation's tickets of a month show: counts, hours to accept and to resolve, stars, overdue."""

    dispatched: int
    accept_hours: float | None
    resolve_hours: float | None
    reopened: int
    stars: float | None
    overdue: int

    @property
    def reopen_rate(self) -> float:
        return self.reopened / self.dispatched if self.dispatched else 0.0


async def outcomes_of(session: AsyncSession, *, organisation_id: int, start: datetime, end: datetime) -> Outcomes:
    """Figures of the tickets dispatched to the organisation in [start, end)."""
    query = (
        select(TicketDispatch, Ticket)
        .join(Ticket, col(Ticket.id) == col(TicketDispatch.ticket_id))
        .where(
            TicketDispatch.organisation_id == organisation_id,
            col(TicketDispatch.state) != DispatchState.SUGGESTED,
            col(TicketDispatch.dispatched_at) >= start,
            col(TicketDispatch.dispatched_at) < end,
        )
    )
    rows = list((await session.exec(query)).all())
    accept = [
        (d.accepted_at - d.dispatched_at).total_seconds() / 3600 for d, _ in rows if d.accepted_at and d.dispatched_at
    ]
    resolve = [
        (t.resolved_at - d.dispatched_at).total_seconds() / 3600 for d, t in rows if t.resolved_at and d.dispatched_at
    ]
    stars = [t.rating for _, t in rows if t.rating]
    ticket_ids = list({t.id for _, t in rows})
    counted = select(TicketEvent.ticket_id, TicketEvent.action).where(
        col(TicketEvent.ticket_id).in_(ticket_ids), col(TicketEvent.action).in_(["reopen", "escalate"])
    )
    events = set((await session.exec(counted)).all())
    return Outcomes(
        dispatched=len(ticket_ids),
        accept_hours=sum(accept) / len(accept) if accept else None,
        resolve_hours=sum(resolve) / len(resolve) if resolve else None,
        reopened=len({t for t, a in events if a == "reopen"}),
        stars=sum(stars) / len(stars) if stars else None,
        overdue=len({t for t, a in events if a == "escalate"}),
    )
