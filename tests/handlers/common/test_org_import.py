"""Importing the 社区/网格/楼栋 tree from the files a community office writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.common.org_import import OrgFileError, import_tree, parse_org_file
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
