"""Fixtures of the scans tests: a school with two published mark books, filed in a real archive."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

import archive
from archive import LocalStore, Store
from layouts.publish import Published, Scope, publish
from records.models import ArchiveItem, ArchiveKind
from tests.factories import make_class
from tests.signing.helpers import World, make_world, small_markbook

BOOK_A_PAGES = (1, 2, 3, 25, 26, 27, 60, 67, 68)


@pytest.fixture
def archive_store(session, tmp_path) -> Store:
    """The test session's archive: a local folder."""
    store = LocalStore(tmp_path / "archive")
    archive.use_store(session, store)
    return store


def kept(session, *, issued: bool = False) -> list[ArchiveItem]:
    """What the archive holds (without the issued editions' PDFs unless asked), in deposit order."""
    q = select(ArchiveItem).order_by(ArchiveItem.id)
    if not issued:
        q = q.where(ArchiveItem.kind != ArchiveKind.ISSUED_EDITION)
    return list(session.scalars(q))


@dataclass
class Books:
    world: World
    a: Published
    b: Published


@pytest.fixture
def books(session, archive_store: Store) -> Books:
    world = make_world(session)
    a = publish(session, world.office, small_markbook(BOOK_A_PAGES), template="markbook", scope=world.scope(),
                private_key=world.key)
    other = make_class(session, world.year, 9, "9A2")
    b = publish(session, world.office, small_markbook((3, 25)), template="markbook",
                scope=Scope(world.school.id, class_id=other.id, school_year_id=world.year.id), private_key=world.key)
    for pub in (a, b):
        archive.deposit_issued(session, world.office, pub)  # what the issue listener does in the app
    return Books(world, a, b)
