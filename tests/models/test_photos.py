"""Linli's stored photos: references, and the sweep's rule that a photo nothing refers to a day after it arrived is
deleted while one a ticket or a notice refers to is marked in use (and never looked at again)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.common.photos import stored_id_of
from models.announcements import Announcement
from models.base import utcnow
from models.people import ensure_person
from models.photos import StoredPhoto, drop_unused_photos, store_photo, stored_ref
from models.places import PlaceKind, add_place
from models.tickets import Category, Ticket

JPEG = b"\xff\xd8\xff\xe0jpeg"


async def test_unused_photos_go_after_a_day_and_used_ones_are_marked_once(session: AsyncSession) -> None:
    now = utcnow()
    community = await add_place(session, kind=PlaceKind.COMMUNITY, name="社区", code="c", parent=None)
    grid = await add_place(session, kind=PlaceKind.GRID, name="网格", code="c/g", parent=community)
    building = await add_place(session, kind=PlaceKind.BUILDING, name="1号楼", code="c/g/1", parent=grid)
    author = await ensure_person(session, platform="wecom", platform_user_id="zs", display_name="张社工", username=None)
    refs = [
        await store_photo(session, content=JPEG, content_type="image/jpeg", source="wecom-bot", now=now) for _ in "1234"
    ]
    on_ticket, on_notice, alone, young = refs
    young_row = await session.get(StoredPhoto, stored_id_of(young))
    assert young_row is not None
    young_row.created_at = now + timedelta(hours=2)
    session.add_all(
        [
            Ticket(
                category=Category.REPAIR,
                building_id=building.id or 0,
                text="灯坏了",
                photos=["x", on_ticket],
                reporter_id=author.id,
            ),
            Announcement(author_id=author.id or 0, author_platform="wecom", author_chat_id="zs", photo=on_notice),
        ]
    )
    await session.flush()

    assert await drop_unused_photos(session, created_before=now, limit=10) == 0  # none is older than a day yet
    assert await drop_unused_photos(session, created_before=now + timedelta(hours=1), limit=10) == 1
    rows = (await session.exec(select(StoredPhoto).order_by(col(StoredPhoto.id)))).all()
    assert [(stored_ref(r.id or 0), r.in_use) for r in rows] == [(on_ticket, True), (on_notice, True), (young, False)]
    assert alone not in [stored_ref(r.id or 0) for r in rows]
