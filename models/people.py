"""People, their platform accounts, scoped role grants and one-time invites."""

import secrets
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Column, Delete, MetaData, Table, UniqueConstraint, bindparam, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from models.base import UTCDateTime, on_postgres, utcnow
from models.places import Place, PlaceKind, ancestors


class Role(StrEnum):
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    BUILDING_HEAD = "building_head"
    GRID_WORKER = "grid_worker"
    STAFF = "staff"
    ADMIN = "admin"
    ORG_MEMBER = "org_member"  # acts for an organisation (物业, 维保单位 …) of the community


ROLE_PLACE_KIND: dict[Role, tuple[PlaceKind, ...]] = {
    Role.RESIDENT: (PlaceKind.BUILDING,),
    Role.VOLUNTEER: (PlaceKind.BUILDING, PlaceKind.GRID, PlaceKind.COMMUNITY),
    Role.BUILDING_HEAD: (PlaceKind.BUILDING,),
    Role.GRID_WORKER: (PlaceKind.GRID,),
    Role.STAFF: (PlaceKind.COMMUNITY,),
    Role.ADMIN: (PlaceKind.COMMUNITY,),
    Role.ORG_MEMBER: (PlaceKind.COMMUNITY,),
}
MANAGER_ROLES = (Role.BUILDING_HEAD, Role.GRID_WORKER, Role.STAFF, Role.ADMIN)
DEFAULT_NAME = "邻居"  # a person first seen with neither a name nor a username


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(max_length=200)  # Telegram allows 64 + 64 characters
    locale: str | None = Field(default=None, max_length=8)
    rank_name: str | None = Field(default=None, max_length=20)  # the name the person chose for leaderboards
    rank_hidden: bool = False  # shown anonymously on leaderboards
    forgotten_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # 注销: personal fields anonymised
    help_hinted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the last 「发送 帮助」 privately
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PlatformAccount(SQLModel, table=True):
    __tablename__ = "platform_account"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=64)
    username: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    private_chat: str | None = Field(default=None, max_length=8)  # models/reach.py: open, closed, or not known


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grant"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=24)
    place_id: int = Field(foreign_key="place.id", index=True)
    granted_by_id: int | None = Field(default=None, foreign_key="person.id")
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32)
    role: str = Field(max_length=24)
    place_id: int = Field(foreign_key="place.id")
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_by_id: int | None = Field(default=None, foreign_key="person.id")
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handover_of_id: int | None = Field(default=None, foreign_key="role_grant.id")  # the grant it takes over


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


def check_role_fits_place(role: Role, place: Place) -> None:
    allowed = ROLE_PLACE_KIND[role]
    if PlaceKind(place.kind) not in allowed:
        kinds = "/".join(allowed)
        raise ValueError(f"role {role} is granted on a {kinds}, not on a {place.kind}")


async def ensure_person(
    session: AsyncSession, *, platform: str, platform_user_id: str, display_name: str, username: str | None
) -> Person:
    """The person behind a platform account, created on first sight (named by their username when the platform
    gives no name)."""
    query = (
        select(PlatformAccount, Person)
        .join(Person, col(Person.id) == col(PlatformAccount.person_id))
        .where(PlatformAccount.platform == platform, PlatformAccount.platform_user_id == platform_user_id)
    )
    found = (await session.exec(query)).first()
    if found is not None:
        account, person = found
        return known_person(account, person, display_name=display_name, username=username)
    person = Person(display_name=display_name or username or DEFAULT_NAME)
    session.add(person)
    await session.flush()
    assert person.id is not None
    session.add(
        PlatformAccount(person_id=person.id, platform=platform, platform_user_id=platform_user_id, username=username)
    )
    await session.flush()
    return person


async def stored_name(session: AsyncSession, *, platform: str, platform_user_id: str) -> str | None:
    """The name the person behind this platform account goes by; None for an account not seen yet."""
    query = (
        select(Person.display_name)
        .join(PlatformAccount, col(Person.id) == col(PlatformAccount.person_id))
        .where(PlatformAccount.platform == platform, PlatformAccount.platform_user_id == platform_user_id)
    )
    return (await session.exec(query)).first()


def known_person(account: PlatformAccount, person: Person, *, display_name: str, username: str | None) -> Person:
    """The person behind a known account, with the name and username the platform shows now."""
    if display_name and person.display_name != display_name:
        person.display_name = display_name
    if username != account.username:
        account.username = username
    return person


async def people_of_accounts(
    session: AsyncSession, *, platform: str, platform_user_ids: Iterable[str]
) -> dict[str, tuple[PlatformAccount, Person]]:
    """The known accounts among these (by platform user id), with their people: one query for a batch."""
    params = {"platform": platform, "user_ids": list(set(platform_user_ids))}
    found = (await session.exec(people_of_accounts_query(), params=params)).all()
    return {account.platform_user_id: (account, person) for account, person in found}


@cache
def people_of_accounts_query() -> Select[PlatformAccount, Person]:
    """`people_of_accounts`'s statement, built once (building it cost more than running it): the values are bound."""
    return (
        select(PlatformAccount, Person)
        .join(Person, col(Person.id) == col(PlatformAccount.person_id))
        .where(
            PlatformAccount.platform == bindparam("platform"),
            col(PlatformAccount.platform_user_id).in_(bindparam("user_ids", expanding=True)),
        )
    )


async def active_grants_of(session: AsyncSession, *, person_ids: Iterable[int]) -> dict[int, list[RoleGrant]]:
    """The active grants of each of these people (an empty list for none): one query for a batch."""
    wanted = set(person_ids)
    grants: dict[int, list[RoleGrant]] = {person_id: [] for person_id in wanted}
    for grant in (await session.exec(active_grants_of_query(), params={"person_ids": list(wanted)})).all():
        grants[grant.person_id].append(grant)
    return grants


@cache
def active_grants_of_query() -> SelectOfScalar[RoleGrant]:
    """`active_grants_of`'s statement, built once: the values are bound."""
    return select(RoleGrant).where(
        col(RoleGrant.person_id).in_(bindparam("person_ids", expanding=True)), col(RoleGrant.revoked_at).is_(None)
    )


async def active_grants(session: AsyncSession, *, person_id: int) -> list[RoleGrant]:
    query = select(RoleGrant).where(RoleGrant.person_id == person_id, col(RoleGrant.revoked_at).is_(None))
    return list((await session.exec(query)).all())


async def grant_role(
    session: AsyncSession, *, person_id: int, role: Role, place: Place, granted_by_id: int | None
) -> RoleGrant:
    """Grant a role on a node; an identical active grant is returned instead of duplicated."""
    check_role_fits_place(role, place)
    for grant in await active_grants(session, person_id=person_id):
        if grant.role == role and grant.place_id == place.id:
            return grant
    grant = RoleGrant(person_id=person_id, role=role, place_id=place.id or 0, granted_by_id=granted_by_id)
    session.add(grant)
    await session.flush()
    return grant


async def has_role_over(session: AsyncSession, *, person_id: int, place: Place, roles: Iterable[Role]) -> bool:
    """True if the person holds one of `roles` on `place` or on one of its ancestors."""
    return await grants_reach(session, await active_grants(session, person_id=person_id), place=place, roles=roles)


async def grants_reach(
    session: AsyncSession, grants: Iterable[RoleGrant], *, place: Place, roles: Iterable[Role]
) -> bool:
    """True if one of these grants (the unrevoked ones) gives one of `roles` on `place` or on one of its ancestors."""
    wanted = {str(r) for r in roles}
    above = {p.id for p in await ancestors(session, place=place)}
    return any(g.role in wanted and g.place_id in above and g.revoked_at is None for g in grants)


async def create_invite(
    session: AsyncSession, *, role: Role, place: Place, created_by_id: int | None, ttl: timedelta
) -> Invite:
    check_role_fits_place(role, place)
    invite = Invite(
        code=secrets.token_urlsafe(12),
        role=role,
        place_id=place.id or 0,
        created_by_id=created_by_id,
        expires_at=utcnow() + ttl,
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(
    session: AsyncSession, *, code: str, person_id: int, now: datetime
) -> tuple[RoleGrant | None, InviteProblem | None]:
    """Use a one-time invite: grant its role, or say why it cannot be used."""
    query = select(Invite).where(Invite.code == code).with_for_update()
    invite = (await session.exec(query)).first()
    if invite is None:
        return None, InviteProblem.UNKNOWN
    if invite.used_at is not None:
        return None, InviteProblem.USED
    if invite.expires_at <= now:
        return None, InviteProblem.EXPIRED
    place = await session.get(Place, invite.place_id)
    assert place is not None
    invite.used_at, invite.used_by_id = now, person_id
    grant = await grant_role(
        session, person_id=person_id, role=Role(invite.role), place=place, granted_by_id=invite.created_by_id
    )
    return grant, None


async def holders(session: AsyncSession, *, place_ids: Iterable[int], roles: Iterable[Role]) -> list[Person]:
    """People with an active grant of one of `roles` on exactly one of `place_ids`, in grant order."""
    query = (
        select(Person)
        .join(RoleGrant, col(RoleGrant.person_id) == col(Person.id))
        .where(
            col(RoleGrant.place_id).in_(list(place_ids)),
            col(RoleGrant.role).in_([str(r) for r in roles]),
            col(RoleGrant.revoked_at).is_(None),
        )
        .order_by(col(RoleGrant.id))
    )
    seen: dict[int, Person] = {}
    for person in (await session.exec(query)).all():
        seen.setdefault(person.id or 0, person)
    return list(seen.values())


async def holders_over(session: AsyncSession, *, place: Place, roles: Iterable[Role]) -> list[Person]:
    """People holding one of `roles` on `place` or any node above it."""
    return await holders(session, place_ids=[p.id or 0 for p in await ancestors(session, place=place)], roles=roles)


async def accounts_of(session: AsyncSession, *, person_id: int) -> list[PlatformAccount]:
    return list((await session.exec(accounts_of_query(), params={"person_id": person_id})).all())


@cache
def accounts_of_query() -> SelectOfScalar[PlatformAccount]:
    """`accounts_of`'s statement, built once: the values are bound."""
    return (
        select(PlatformAccount)
        .where(PlatformAccount.person_id == bindparam("person_id"))
        .order_by(col(PlatformAccount.id))
    )


async def lock_person(session: AsyncSession, *, person_id: int) -> None:
    """Lock the person's row until this transaction ends (PostgreSQL; SQLite already serialises writers), so that
    a rule read and then acted on for that person, such as a daily cap, holds across workers. On SQLite it would be
    a plain read that locks nothing: none is made."""
    if not on_postgres(session):
        return
    await session.exec(select(Person.id).where(Person.id == person_id).with_for_update())


async def person_by_id(session: AsyncSession, *, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


class LinkCode(SQLModel, table=True):
    """A one-time code shown on one platform and sent on another to make two accounts one person."""

    __tablename__ = "link_code"
    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    SAME_PLATFORM = "same_platform"
    ALREADY = "already"


LINK_CODE_DIGITS = 8


async def create_link_code(
    session: AsyncSession, *, person_id: int, platform: str, now: datetime, ttl: timedelta
) -> LinkCode:
    """A fresh numeric code (easy to type on a phone) for this person, valid for `ttl`."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(LINK_CODE_DIGITS))
        if (await session.exec(select(LinkCode).where(LinkCode.code == code))).first() is None:
            break
    link = LinkCode(code=code, person_id=person_id, platform=platform, created_at=now, expires_at=now + ttl)
    session.add(link)
    await session.flush()
    return link


async def redeem_link_code(
    session: AsyncSession, *, code: str, person_id: int, platform: str, now: datetime
) -> tuple[LinkCode | None, LinkProblem | None]:
    """Use a link code from the other platform, or say why it cannot be used (the merge is the caller's)."""
    link = (await session.exec(select(LinkCode).where(LinkCode.code == code).with_for_update())).first()
    if link is None:
        return None, LinkProblem.UNKNOWN
    if link.used_at is not None:
        return None, LinkProblem.USED
    if link.expires_at <= now:
        return None, LinkProblem.EXPIRED
    if link.platform == platform:
        return None, LinkProblem.SAME_PLATFORM
    if link.person_id == person_id:
        return None, LinkProblem.ALREADY
    link.used_at = now
    return link, None


# ---- merging two people into one ------------------------------------------------------------------------------

MergeStep = Callable[[AsyncSession, int, int], Awaitable[None]]
"""A feature's own merge work, called as step(session, keep_id, drop_id) before the generic re-pointing."""


def person_columns(metadata: MetaData) -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to person.id, in a stable order."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "person" and fk.column.name == "id" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def unique_column_sets(table: Table) -> list[list[Column[Any]]]:
    """The columns of every unique constraint and unique index of a table."""
    sets = [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    sets += [list(i.columns) for i in table.indexes if i.unique]
    return sets


def clash_delete(table: Table, column: Column[Any], unique: list[Column[Any]], keep_id: int, drop_id: int) -> Delete:
    """Delete the dropped person's rows that would duplicate one of the kept person's rows under `unique`."""
    twin = table.alias("twin")
    same_key = [twin.c[c.name] == c for c in unique if c.name != column.name]
    exists = select(twin.c[column.name]).where(twin.c[column.name] == keep_id, *same_key).exists()
    return delete(table).where(column == drop_id, exists)


async def merge_people(session: AsyncSession, *, keep_id: int, drop_id: int, steps: Iterable[MergeStep] = ()) -> None:
    """Make `drop_id` part of `keep_id`: every row that points to the dropped person points to the kept one.

    Order: flush pending changes; run the features' `steps` (they see both people intact, e.g. to add up two
    balance rows); then, for every foreign key to person.id in the metadata, delete the dropped person's rows
    that would break a unique constraint containing that column (the kept person's row wins), re-point the rest,
    and delete the dropped person. The session's identity map is expired afterwards: reload what you need.
    """
    await session.flush()
    for step in steps:
        await step(session, keep_id, drop_id)
    await session.flush()
    for table, column in person_columns(SQLModel.metadata):
        for unique in unique_column_sets(table):
            if any(c.name == column.name for c in unique):
                await session.exec(clash_delete(table, column, unique, keep_id, drop_id))
        await session.exec(update(table).where(column == drop_id).values({column.name: keep_id}))
    await session.exec(delete(Person).where(col(Person.id) == drop_id))
    session.expire_all()
