"""The place tree, role scopes and one-time invites."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.people import InviteProblem, Role, create_invite, ensure_person, grant_role, has_role_over, redeem_invite
from models.places import Place, PlaceKind, add_place, place_label, places_within


async def tree(session: AsyncSession) -> tuple[Place, Place, Place, Place]:
    community = await add_place(session, kind=PlaceKind.COMMUNITY, name="麟绛社区", code="lj", parent=None)
    grid = await add_place(session, kind=PlaceKind.GRID, name="第一网格", code="lj/g1", parent=community)
    b1 = await add_place(session, kind=PlaceKind.BUILDING, name="1号楼", code="lj/g1/1", parent=grid, units=3)
    b2 = await add_place(session, kind=PlaceKind.BUILDING, name="2号楼", code="lj/g1/2", parent=grid)
    return community, grid, b1, b2


async def test_paths_make_scope_a_prefix(session: AsyncSession) -> None:
    community, grid, b1, b2 = await tree(session)
    assert community.contains(b1) and grid.contains(b2) and not b1.contains(b2)
    assert [p.name for p in await places_within(session, scope=grid, kind=PlaceKind.BUILDING)] == ["1号楼", "2号楼"]
    assert await place_label(session, place=b1) == "麟绛社区 · 第一网格 · 1号楼"


async def test_a_building_cannot_sit_under_a_community(session: AsyncSession) -> None:
    community, *_ = await tree(session)
    with pytest.raises(ValueError, match="cannot sit under"):
        await add_place(session, kind=PlaceKind.BUILDING, name="x", code="x", parent=community)


async def test_roles_reach_down_the_tree_not_sideways(session: AsyncSession) -> None:
    _, grid, b1, b2 = await tree(session)
    head = await ensure_person(session, platform="telegram", platform_user_id="1", display_name="李", username=None)
    assert head.id is not None
    await grant_role(session, person_id=head.id, role=Role.BUILDING_HEAD, place=b1, granted_by_id=None)
    assert await has_role_over(session, person_id=head.id, place=b1, roles=[Role.BUILDING_HEAD])
    assert not await has_role_over(session, person_id=head.id, place=b2, roles=[Role.BUILDING_HEAD])
    worker = await ensure_person(session, platform="telegram", platform_user_id="2", display_name="赵", username=None)
    assert worker.id is not None
    await grant_role(session, person_id=worker.id, role=Role.GRID_WORKER, place=grid, granted_by_id=None)
    assert await has_role_over(session, person_id=worker.id, place=b2, roles=[Role.GRID_WORKER])


async def test_role_must_fit_the_kind_of_place(session: AsyncSession) -> None:
    _, grid, _, _ = await tree(session)
    with pytest.raises(ValueError, match="granted on a building"):
        await create_invite(session, role=Role.BUILDING_HEAD, place=grid, created_by_id=None, ttl=timedelta(hours=1))


async def test_invite_is_single_use_and_expires(session: AsyncSession) -> None:
    _, _, b1, _ = await tree(session)
    now = utcnow()
    invite = await create_invite(session, role=Role.BUILDING_HEAD, place=b1, created_by_id=None, ttl=timedelta(hours=1))
    first = await ensure_person(session, platform="telegram", platform_user_id="1", display_name="a", username=None)
    second = await ensure_person(session, platform="telegram", platform_user_id="2", display_name="b", username=None)
    assert first.id and second.id
    grant, problem = await redeem_invite(session, code=invite.code, person_id=first.id, now=now)
    assert grant is not None and grant.role == Role.BUILDING_HEAD and problem is None
    assert await redeem_invite(session, code=invite.code, person_id=second.id, now=now) == (None, InviteProblem.USED)
    late = await create_invite(session, role=Role.RESIDENT, place=b1, created_by_id=None, ttl=timedelta(hours=1))
    expired = await redeem_invite(session, code=late.code, person_id=second.id, now=now + timedelta(hours=2))
    assert expired == (None, InviteProblem.EXPIRED)
    assert await redeem_invite(session, code="nope", person_id=second.id, now=now) == (None, InviteProblem.UNKNOWN)
