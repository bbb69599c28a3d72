"""Fixtures of the scans tests: a school with two published mark books and an archive to file into."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

import pytest

from layouts.publish import Published, Scope, publish
from scans import archiving
from tests.factories import make_class
from tests.signing.helpers import World, make_world, small_markbook

BOOK_A_PAGES = (1, 2, 3, 25, 26, 27, 60, 67, 68)


@dataclass
class MemoryArchive:
    """What was deposited (the archive package has its own tests; here we check what scans keep)."""

    issued_pdfs: dict[uuid.UUID, bytes] = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)

    def keep(self, session, actor, data, **meta):
        sha = hashlib.sha256(data).hexdigest()
        self.items.append({"sha256": sha, "data": data, **meta})
        return sha

    def issued(self, session, edition_id):
        return self.issued_pdfs.get(edition_id)


@pytest.fixture
def memory_archive(monkeypatch: pytest.MonkeyPatch) -> MemoryArchive:
    arch = MemoryArchive()
    monkeypatch.setattr(archiving, "keep", arch.keep)
    monkeypatch.setattr(archiving, "issued", arch.issued)
    return arch


@dataclass
class Books:
    world: World
    a: Published
    b: Published


@pytest.fixture
def books(session, memory_archive: MemoryArchive) -> Books:
    world = make_world(session)
    a = publish(session, world.office, small_markbook(BOOK_A_PAGES), template="markbook", scope=world.scope(),
                private_key=world.key)
    other = make_class(session, world.year, 9, "9A2")
    b = publish(session, world.office, small_markbook((3, 25)), template="markbook",
                scope=Scope(world.school.id, class_id=other.id, school_year_id=world.year.id), private_key=world.key)
    for pub in (a, b):
        memory_archive.issued_pdfs[pub.edition.id] = pub.pdf
    return Books(world, a, b)
