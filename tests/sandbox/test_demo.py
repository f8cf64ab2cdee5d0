"""The sandbox's demo data lets a newcomer try routing (a 物业 and a lift contractor with a member each) and 接单 (a
volunteer team and an open 点单)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.organisations import members_of, organisation_by_code, responsible_organisation
from models.people import Role, holders_over, person_by_id
from models.places import place_by_code
from models.volunteers import HelpStatus, open_help_in, teams_in
from sandbox.demo import BUILDINGS, COMMUNITY, seed_demo


async def test_the_demo_routes_lift_repairs_to_the_contractor_whose_member_is_in_chat(session: AsyncSession) -> None:
    for _ in range(2):  # seeding again changes nothing
        await seed_demo(session, platform="telegram", now=datetime(2026, 12, 2, 2, tzinfo=UTC))
    community, building = await place_by_code(session, code=COMMUNITY), await place_by_code(session, code=BUILDINGS[0])
    assert community is not None and building is not None
    routed = [
        await responsible_organisation(
            session, community=community, category="repair", subkind=subkind, building_id=building.id or 0
        )
        for subkind in ("lift", None)
    ]
    assert [o.name if o else None for o in routed] == ["迅达电梯维保", "阳光物业"]
    lift = await organisation_by_code(session, code=f"{COMMUNITY}/迅达电梯维保")
    assert lift is not None
    assert [p.display_name for p in await members_of(session, organisation_id=lift.id or 0)] == ["孙师傅"]


async def test_the_demo_has_a_volunteer_team_and_an_open_request_its_volunteer_may_take(session: AsyncSession) -> None:
    for _ in range(2):  # seeding again changes nothing
        await seed_demo(session, platform="telegram", now=datetime(2026, 12, 2, 2, tzinfo=UTC))
    community, building = await place_by_code(session, code=COMMUNITY), await place_by_code(session, code=BUILDINGS[0])
    assert community is not None and building is not None
    teams = await teams_in(session, community_id=community.id or 0)
    assert [t.name for t in teams] == ["助老服务队"]
    leader = await person_by_id(session, person_id=teams[0].leader_id or 0)
    assert leader is not None and leader.display_name == "陈志愿"
    assert [p.display_name for p in await holders_over(session, place=building, roles=(Role.VOLUNTEER,))] == ["陈志愿"]
    waiting = await open_help_in(session, building_ids=[building.id or 0])
    assert [(r.text, r.status) for r in waiting] == [("帮忙买菜", HelpStatus.OPEN)]
