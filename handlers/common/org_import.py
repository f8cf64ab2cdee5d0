"""Load the 社区 → 网格 → 楼栋 tree from a YAML or CSV file a community office can write."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import yaml

from models.base import AsyncSession
from models.places import Place, PlaceKind, add_place, place_by_code

CSV_COLUMNS = ("community", "grid", "building", "units")


class OrgFileError(ValueError):
    """The file cannot be imported; the message says where and why."""


@dataclass
class Node:
    kind: PlaceKind
    name: str
    code: str
    units: int = 0
    children: list[Node] = field(default_factory=list)


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: {k.value: 0 for k in PlaceKind})
    updated: int = 0

    def summary(self) -> str:
        c = self.created
        return (
            f"导入完成 / imported: {c['community']} 个社区, {c['grid']} 个网格, {c['building']} 栋楼 新建; "
            f"{self.updated} 个已存在的节点已更新"
        )


def parse_org_file(name: str, text: str) -> list[Node]:
    """Communities from a .yaml/.yml or .csv file's text."""
    if name.lower().endswith((".yaml", ".yml")):
        return parse_yaml(text)
    if name.lower().endswith(".csv"):
        return parse_csv(text)
    raise OrgFileError(f"{name}: use a .yaml, .yml or .csv file")


def _text(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if value is None or not str(value).strip():
        raise OrgFileError(f"{where}: missing {key}")
    return str(value).strip()


def _units(value: Any, where: str) -> int:
    try:
        units = int(value or 0)
    except (TypeError, ValueError):
        raise OrgFileError(f"{where}: units must be a whole number, not {value!r}") from None
    if units < 0 or units > 99:
        raise OrgFileError(f"{where}: units must be between 0 and 99")
    return units


def _list(item: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = item.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise OrgFileError(f"{where}: {key} must be a list of entries")
    return value


def parse_yaml(text: str) -> list[Node]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OrgFileError(f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise OrgFileError("the file must start with 'communities:'")
    communities = []
    for i, c in enumerate(_list(data, "communities", "file")):
        where = f"communities[{i}]"
        cname = _text(c, "name", where)
        community = Node(PlaceKind.COMMUNITY, cname, str(c.get("code") or cname))
        for j, g in enumerate(_list(c, "grids", where)):
            gwhere = f"{where}.grids[{j}]"
            gname = _text(g, "name", gwhere)
            grid = Node(PlaceKind.GRID, gname, str(g.get("code") or f"{community.code}/{gname}"))
            for k, b in enumerate(_list(g, "buildings", gwhere)):
                bwhere = f"{gwhere}.buildings[{k}]"
                bname = _text(b, "name", bwhere)
                code = str(b.get("code") or f"{grid.code}/{bname}")
                grid.children.append(Node(PlaceKind.BUILDING, bname, code, _units(b.get("units"), bwhere)))
            community.children.append(grid)
        communities.append(community)
    if not communities:
        raise OrgFileError("no communities found")
    return communities


def parse_csv(text: str) -> list[Node]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise OrgFileError(f"CSV header must have columns {', '.join(CSV_COLUMNS)}; missing {', '.join(missing)}")
    communities: dict[str, Node] = {}
    grids: dict[tuple[str, str], Node] = {}
    for line, row in enumerate(reader, start=2):
        where = f"line {line}"
        cname, gname, bname = (_text(row, k, where) for k in CSV_COLUMNS[:3])
        community = communities.setdefault(cname, Node(PlaceKind.COMMUNITY, cname, cname))
        if (cname, gname) not in grids:
            grids[(cname, gname)] = Node(PlaceKind.GRID, gname, f"{cname}/{gname}")
            community.children.append(grids[(cname, gname)])
        building = Node(PlaceKind.BUILDING, bname, f"{cname}/{gname}/{bname}", _units(row.get("units"), where))
        grids[(cname, gname)].children.append(building)
    if not communities:
        raise OrgFileError("no rows found")
    return list(communities.values())


async def import_tree(session: AsyncSession, nodes: list[Node]) -> ImportReport:
    """Create or update every node by code; running it twice changes nothing the second time."""
    report = ImportReport()
    for node in nodes:
        await _import_node(session, node, None, report)
    return report


async def _import_node(session: AsyncSession, node: Node, parent: Place | None, report: ImportReport) -> None:
    place = await place_by_code(session, code=node.code)
    if place is None:
        place = await add_place(
            session, kind=node.kind, name=node.name, code=node.code, parent=parent, units=node.units
        )
        report.created[node.kind.value] += 1
    elif place.kind != node.kind or place.parent_id != (parent.id if parent else None):
        raise OrgFileError(f"code {node.code!r} already names a different {place.kind} elsewhere in the tree")
    elif (place.name, place.units) != (node.name, node.units):
        place.name, place.units = node.name, node.units
        report.updated += 1
    for child in node.children:
        await _import_node(session, child, place, report)
