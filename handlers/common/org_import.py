"""Load the 社区 → 网格 → 楼栋 tree from a YAML or CSV file a community office can write, with the organisations
of each community (物业, 维保单位, utilities, departments, the 街道) and its routing rules."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from models.base import AsyncSession
from models.organisations import Organisation, OrgKind, organisation_by_code, set_rule
from models.places import Place, PlaceKind, add_place, place_by_code, places_within
from models.tickets import Category
from nlp.rules import load_rules

CSV_COLUMNS = ("community", "grid", "building", "units")
CSV_ORG_COLUMNS = ("organisation", "kind", "phone", "hours", "category", "subkind")
"""Optional CSV columns: the organisation serving the row's building, and what it is responsible for there."""
CATEGORY_WORDS = {
    "报修": Category.REPAIR,
    "环境卫生": Category.SANITATION,
    "卫生": Category.SANITATION,
    "纠纷": Category.DISPUTE,
    "邻里纠纷": Category.DISPUTE,
}
KIND_WORDS = {
    "物业": OrgKind.PROPERTY,
    "维保": OrgKind.MAINTENANCE,
    "维保单位": OrgKind.MAINTENANCE,
    "公用事业": OrgKind.UTILITY,
    "部门": OrgKind.DEPARTMENT,
    "街道": OrgKind.STREET,
}


class OrgFileError(ValueError):
    """The file cannot be imported; the message says where and why."""


@dataclass
class OrgEntry:
    """An organisation of a community; `serves` names buildings or grids (empty: the whole community)."""

    name: str
    kind: OrgKind
    code: str
    phone: str | None = None
    hours: str | None = None
    serves: list[str] = field(default_factory=list)


@dataclass
class RouteEntry:
    """Category (and sub-kind) in these buildings (empty: all) → the organisation of that name."""

    category: Category
    organisation: str
    subkind: str | None = None
    buildings: list[str] = field(default_factory=list)


@dataclass
class Node:
    kind: PlaceKind
    name: str
    code: str
    units: int = 0
    children: list[Node] = field(default_factory=list)
    organisations: list[OrgEntry] = field(default_factory=list)
    routing: list[RouteEntry] = field(default_factory=list)


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: {k.value: 0 for k in PlaceKind})
    updated: int = 0
    organisations: int = 0
    rules: int = 0

    def summary(self) -> str:
        c = self.created
        return (
            f"导入完成 / imported: {c['community']} 个社区, {c['grid']} 个网格, {c['building']} 栋楼 新建; "
            f"{self.updated} 个已存在的节点已更新; {self.organisations} 个单位、{self.rules} 条派单规则新建或更新"
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
    import yaml  # only `org import` reads YAML: every other start would pay for loading it

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
        community.organisations = [
            _org(o, community.code, f"{where}.organisations[{j}]")
            for j, o in enumerate(_list(c, "organisations", where))
        ]
        community.routing = [_route(r, f"{where}.routing[{j}]") for j, r in enumerate(_list(c, "routing", where))]
        communities.append(community)
    if not communities:
        raise OrgFileError("no communities found")
    return communities


def _names(value: Any, where: str) -> list[str]:
    if value in (None, "", "all", "全部"):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("、", ",").split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    raise OrgFileError(f"{where}: expected a list of names")


def _choice(value: str, enum: type[OrgKind] | type[Category], words: dict[str, Any], where: str, key: str) -> Any:
    if value in words:
        return words[value]
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join([*(str(e.value) for e in enum), *words])
        raise OrgFileError(f"{where}: {key} must be one of {allowed}, not {value!r}") from None


def subkind_key(value: str | None, where: str) -> str | None:
    """电梯 or lift → lift (the classifier's sub-kinds)."""
    if not value:
        return None
    by_name = {s.name: s.key for s in load_rules().subkinds} | {s.key: s.key for s in load_rules().subkinds}
    if value not in by_name:
        raise OrgFileError(f"{where}: subkind must be one of {', '.join(by_name)}, not {value!r}")
    return by_name[value]


def _org(item: dict[str, Any], community_code: str, where: str) -> OrgEntry:
    name = _text(item, "name", where)
    return OrgEntry(
        name=name,
        kind=_choice(_text(item, "kind", where), OrgKind, KIND_WORDS, where, "kind"),
        code=str(item.get("code") or f"{community_code}/{name}"),
        phone=str(item["phone"]).strip() if item.get("phone") else None,
        hours=str(item["hours"]).strip() if item.get("hours") else None,
        serves=_names(item.get("serves"), where),
    )


def _route(item: dict[str, Any], where: str) -> RouteEntry:
    return RouteEntry(
        category=_choice(_text(item, "category", where), Category, CATEGORY_WORDS, where, "category"),
        organisation=_text(item, "organisation", where),
        subkind=subkind_key(item.get("subkind"), where),
        buildings=_names(item.get("buildings"), where),
    )


def _csv_org(row: dict[str, Any], community: Node, building: str, where: str) -> None:
    """The optional organisation columns of one CSV row: the organisation serves the building and, when a category
    is given, is responsible there for it."""
    name = (row.get("organisation") or "").strip()
    if not name:
        return
    entry = next((o for o in community.organisations if o.name == name), None)
    if entry is None:
        entry = _org(
            {"name": name, "kind": row.get("kind"), "phone": row.get("phone"), "hours": row.get("hours")},
            community.code,
            where,
        )
        community.organisations.append(entry)
    entry.serves.append(building)
    if (row.get("category") or "").strip():
        route = _route(
            {"category": row["category"].strip(), "organisation": name, "subkind": row.get("subkind")}, where
        )
        route.buildings = [building]
        community.routing.append(route)


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
        _csv_org(row, community, bname, where)
    if not communities:
        raise OrgFileError("no rows found")
    return list(communities.values())


async def import_tree(session: AsyncSession, nodes: list[Node]) -> ImportReport:
    """Create or update every node by code; running it twice changes nothing the second time."""
    report = ImportReport()
    for node in nodes:
        await _import_node(session, node, None, report)
        community = await place_by_code(session, code=node.code)
        assert community is not None
        await _import_organisations(session, node, community, report)
    return report


async def _places_named(session: AsyncSession, community: Place, names: list[str], where: str) -> list[int]:
    inside = await places_within(session, scope=community)
    found = []
    for name in names:
        place = next((p for p in inside if name in (p.name, p.code) and p.kind != PlaceKind.COMMUNITY), None)
        if place is None:
            raise OrgFileError(f"{where}: no building or grid named {name!r} in {community.name}")
        found.append(place.id or 0)
    return found


async def _import_organisations(session: AsyncSession, node: Node, community: Place, report: ImportReport) -> None:
    """Create or update the community's organisations by code, then its routing rules."""
    by_name: dict[str, Organisation] = {}
    for entry in node.organisations:
        where = f"{community.name}: organisation {entry.name}"
        serves = await _places_named(session, community, entry.serves, where) or [community.id or 0]
        org = await organisation_by_code(session, code=entry.code)
        values: dict[str, Any] = {
            "name": entry.name,
            "kind": entry.kind.value,
            "duty_phone": entry.phone,
            "working_hours": entry.hours,
            "serves": serves,
        }
        if org is None:
            org = Organisation(community_id=community.id or 0, code=entry.code, **values)
            session.add(org)
            report.organisations += 1
        elif org.community_id != community.id:
            raise OrgFileError(f"{where}: code {entry.code!r} already names an organisation of another community")
        elif any(getattr(org, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(org, key, value)
            report.organisations += 1
        await session.flush()
        by_name[entry.name] = org
    for route in node.routing:
        where = f"{community.name}: routing to {route.organisation}"
        org = by_name.get(route.organisation)
        if org is None:
            raise OrgFileError(f"{where}: no organisation of that name in the file")
        buildings: list[int | None] = list(await _places_named(session, community, route.buildings, where)) or [None]
        for building_id in buildings:
            changed = await set_rule(
                session,
                community_id=community.id or 0,
                category=route.category.value,
                subkind=route.subkind,
                building_id=building_id,
                organisation_id=org.id or 0,
            )
            report.rules += int(changed)


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
