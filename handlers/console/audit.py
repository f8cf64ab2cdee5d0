"""The audit list of roles (身份变更记录): every grant, revoke and handover made from chat in the viewer's part of
the tree, newest first, with who made it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.console.scope import Viewer
from handlers.core.desk import Desk
from models.people import person_by_id
from models.places import place_by_id, place_label
from models.role_audit import RoleAudit, changes_within

SHOWN = 200


@dataclass(frozen=True)
class AuditLine:
    when: datetime
    person: str
    change: str
    role: str
    place: str
    actor: str


async def role_changes(desk: Desk, viewer: Viewer, words: dict[str, str]) -> list[AuditLine]:
    """The newest role changes within the viewer's scopes, as the page shows them."""
    rows: list[RoleAudit] = []
    for scope in viewer.scopes:
        rows += await changes_within(desk.session, scope=scope, limit=SHOWN)
    rows.sort(key=lambda r: (r.created_at, r.id or 0), reverse=True)
    return [await audit_line(desk, row, words) for row in rows[:SHOWN]]


async def audit_line(desk: Desk, row: RoleAudit, words: dict[str, str]) -> AuditLine:
    person = await person_by_id(desk.session, person_id=row.person_id)
    actor = await person_by_id(desk.session, person_id=row.actor_id) if row.actor_id else None
    place = await place_by_id(desk.session, place_id=row.place_id)
    return AuditLine(
        when=row.created_at,
        person=person.display_name if person else "?",
        change=words[f"change_{row.change}"],
        role=desk.t(f"role.{row.role}"),
        place=await place_label(desk.session, place=place) if place else "?",
        actor=actor.display_name if actor else words["none"],
    )
