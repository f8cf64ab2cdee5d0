"""Importing the 社区/网格/楼栋 tree from the files a community office writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.common.org_import import OrgFileError, import_tree, parse_org_file
from models.organisations import organisation_by_code, responsible_organisation
from models.places import PlaceKind, place_by_code, places_within

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.mark.parametrize("name", ["tunliu.yaml", "tunliu.csv"])
async def test_the_example_imports_five_communities_and_is_idempotent(session: AsyncSession, name: str) -> None:
    nodes = parse_org_file(name, (EXAMPLES / name).read_text(encoding="utf-8"))
    first = await import_tree(session, nodes)
    assert first.created == {"community": 5, "grid": 12, "building": 36}
    second = await import_tree(session, nodes)
    assert second.created == {"community": 0, "grid": 0, "building": 0} and second.updated == 0
    community = await place_by_code(session, code="麟绛社区")
    assert community is not None
    assert len(await places_within(session, scope=community, kind=PlaceKind.BUILDING)) == 9
    building = await place_by_code(session, code="麟绛社区/第一网格/麟绛苑1号楼")
    assert building is not None and building.units == 3


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("t.yaml", "communities:\n  - grids: []\n", "communities[0]: missing name"),
        ("t.yaml", "communities: [\n", "not valid YAML"),
        ("t.yaml", "- a\n", "must start with 'communities:'"),
        (
            "t.yaml",
            "communities:\n  - name: A\n    grids:\n      - name: G\n"
            "        buildings:\n          - {name: B, units: x}\n",
            "units must be a whole number",
        ),
        ("t.csv", "community,grid\nA,G\n", "missing building"),
        ("t.csv", "community,grid,building\nA,,B\n", "line 2: missing grid"),
        ("t.txt", "", "use a .yaml, .yml or .csv file"),
    ],
)
def test_bad_files_say_where_and_why(name: str, text: str, message: str) -> None:
    with pytest.raises(OrgFileError, match=re.escape(message)):
        parse_org_file(name, text)


async def test_a_code_reused_for_another_kind_is_refused(session: AsyncSession) -> None:
    await import_tree(session, parse_org_file("a.csv", "community,grid,building\nA,G,B\n"))
    clash = parse_org_file("b.yaml", "communities:\n  - name: X\n    code: A/G\n")
    with pytest.raises(OrgFileError, match="already names a different grid"):
        await import_tree(session, clash)


ORGS_YAML = """communities:
  - name: 阳光社区
    grids:
      - name: 第一网格
        buildings: [{name: 1号楼}, {name: 2号楼}]
    organisations:
      - {name: 阳光物业, kind: 物业, phone: 0351-6000001, hours: "08:00-18:00"}
      - {name: 迅达电梯维保, kind: maintenance, phone: 400-800-1234, serves: [2号楼]}
    routing:
      - {category: 报修, organisation: 阳光物业}
      - {category: repair, subkind: 电梯, buildings: [2号楼], organisation: 迅达电梯维保}
"""


async def test_organisations_and_routing_import_with_the_tree_and_again_change_nothing(session: AsyncSession) -> None:
    first = await import_tree(session, parse_org_file("t.yaml", ORGS_YAML))
    assert (first.organisations, first.rules) == (2, 2)
    second = await import_tree(session, parse_org_file("t.yaml", ORGS_YAML))
    assert (second.organisations, second.rules) == (0, 0)
    community = await place_by_code(session, code="阳光社区")
    one, two = [await place_by_code(session, code=f"阳光社区/第一网格/{n}") for n in ("1号楼", "2号楼")]
    assert community is not None and one is not None and two is not None
    lift = await organisation_by_code(session, code="阳光社区/迅达电梯维保")
    assert lift is not None and lift.serves == [two.id] and lift.kind == "maintenance"
    routed = [
        await responsible_organisation(session, community=community, category="repair", subkind=s, building_id=b)
        for s, b in (("lift", two.id or 0), ("lift", one.id or 0), (None, two.id or 0))
    ]
    assert [o.name if o else None for o in routed] == ["迅达电梯维保", "阳光物业", "阳光物业"]


async def test_a_csv_row_names_the_organisation_serving_its_building(session: AsyncSession) -> None:
    text = (
        "community,grid,building,units,organisation,kind,phone,hours,category,subkind\n"
        "A,G,B1,2,电梯公司,维保,400,,报修,电梯\n"
        "A,G,B2,2,电梯公司,维保,400,,,\n"
    )
    report = await import_tree(session, parse_org_file("a.csv", text))
    assert (report.organisations, report.rules) == (1, 1)
    org = await organisation_by_code(session, code="A/电梯公司")
    assert org is not None and len(org.serves) == 2 and org.duty_phone == "400"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    organisations: [{name: X, kind: 银行}]\n", "kind must be one of"),
        ("    organisations: [{name: X, kind: 物业, serves: [9号楼]}]\n", "no building or grid named '9号楼'"),
        (
            "    organisations: [{name: X, kind: 物业}]\n"
            "    routing: [{category: 报修, subkind: 飞机, organisation: X}]\n",
            "subkind must be one of",
        ),
        ("    routing: [{category: 报修, organisation: Y}]\n", "no organisation of that name"),
    ],
)
async def test_bad_organisations_say_where_and_why(session: AsyncSession, extra: str, message: str) -> None:
    text = "communities:\n  - name: A\n    grids: [{name: G, buildings: [{name: B}]}]\n" + extra
    with pytest.raises(OrgFileError, match=message):
        await import_tree(session, parse_org_file("a.yaml", text))
