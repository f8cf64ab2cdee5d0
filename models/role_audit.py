"""Who was given or lost which role, when and by whom: an append-only record of every grant and revoke made from
chat (an accepted invite, a 撤销, a handover), read by /me and by the office's audit list."""

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UTCDateTime, utcnow
from models.people import Invite, Role, RoleGrant, check_role_fits_place
from models.places import Place


class RoleChange(StrEnum):
    GRANTED = "granted"
    REVOKED = "revoked"
    HANDED_OVER = "handed_over"  # revoked because someone else took the role over


class RoleAudit(SQLModel, table=True):
    """Append-only: one row per grant or revoke of a role."""

    __tablename__ = "role_audit"

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="role_grant.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=24)
    place_id: int = Field(foreign_key="place.id", index=True)
    change: str = Field(max_length=16)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def record_change(
    session: AsyncSession, *, grant: RoleGrant, change: RoleChange, actor_id: int | None, now: datetime
) -> RoleAudit:
    row = RoleAudit(
        grant_id=grant.id or 0,
        person_id=grant.person_id,
        role=grant.role,
        place_id=grant.place_id,
        change=change,
        actor_id=actor_id,
        created_at=now,
    )
    session.add(row)
    return row


async def revoke_grant(
    session: AsyncSession, *, grant_id: int, actor_id: int | None, now: datetime, change: RoleChange
) -> RoleGrant | None:
    """End an active grant (sets `revoked_at`) and record it; None if it was not active any more."""
    grant = (await session.exec(select(RoleGrant).where(RoleGrant.id == grant_id).with_for_update())).first()
    if grant is None or grant.revoked_at is not None:
        return None
    grant.revoked_at = now
    record_change(session, grant=grant, change=change, actor_id=actor_id, now=now)
    await session.flush()
    return grant


async def grant_by_id(session: AsyncSession, *, grant_id: int) -> RoleGrant | None:
    return await session.get(RoleGrant, grant_id)


async def grants_within(session: AsyncSession, *, scope: Place, roles: list[Role]) -> list[tuple[RoleGrant, Place]]:
    """Active grants of `roles` on `scope` or anywhere below it, by place then grant order."""
    query = (
        select(RoleGrant, Place)
        .join(Place, col(Place.id) == col(RoleGrant.place_id))
        .where(
            col(Place.path).startswith(scope.path),
            col(RoleGrant.role).in_([str(r) for r in roles]),
            col(RoleGrant.revoked_at).is_(None),
        )
        .order_by(col(Place.path), col(RoleGrant.id))
    )
    return [(grant, place) for grant, place in (await session.exec(query)).all()]


async def changes_of(session: AsyncSession, *, person_id: int, limit: int = 10) -> list[RoleAudit]:
    """The person's latest role changes, newest first."""
    query = (
        select(RoleAudit)
        .where(RoleAudit.person_id == person_id)
        .order_by(col(RoleAudit.created_at).desc(), col(RoleAudit.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def changes_within(session: AsyncSession, *, scope: Place, limit: int = 50, offset: int = 0) -> list[RoleAudit]:
    """Role changes on `scope` or below it, newest first (the office's audit list)."""
    query = (
        select(RoleAudit)
        .join(Place, col(Place.id) == col(RoleAudit.place_id))
        .where(col(Place.path).startswith(scope.path))
        .order_by(col(RoleAudit.created_at).desc(), col(RoleAudit.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await session.exec(query)).all())


async def issue_invite(
    session: AsyncSession,
    *,
    role: Role,
    place: Place,
    created_by_id: int | None,
    now: datetime,
    ttl: timedelta,
    handover_of_id: int | None = None,
) -> Invite:
    """A one-time invite for `role` on `place`, valid for `ttl` from `now`; with `handover_of_id`, accepting it
    also ends that grant (a handover)."""
    check_role_fits_place(role, place)
    invite = Invite(
        code=secrets.token_urlsafe(12),
        role=role,
        place_id=place.id or 0,
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + ttl,
        handover_of_id=handover_of_id,
    )
    session.add(invite)
    await session.flush()
    return invite


async def invite_by_code(session: AsyncSession, *, code: str) -> Invite | None:
    return (await session.exec(select(Invite).where(Invite.code == code))).first()
