"""A deposit that is killed half-way (run as a subprocess by ``test_killed_deposit``).

``python -m tests.archive.killed_deposit DB_URL STORE_LOCATION PHASE MARKER``: sets up a school and an
office clerk in the (empty) database, commits, then deposits; at ``PHASE`` it writes ``MARKER`` and
waits to be killed — ``stream`` (half the content read), or ``metadata`` (content stored, the item
row and audit entry about to be written, nothing committed).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session

import archive.items
from archive import deposit, open_store, use_store
from records.db import make_engine
from records.models import Base, Role
from records.permissions import Actor
from tests import factories as f

SIZE = 4 << 20


def _wait_to_be_killed(marker: Path) -> None:
    marker.write_text("ready")
    while True:
        time.sleep(1)


class _Stalling:
    """Gives half the content, then stalls."""

    def __init__(self, marker: Path) -> None:
        self.sent = 0
        self.marker = marker

    def read(self, size: int = -1) -> bytes:
        if self.sent >= SIZE // 2:
            _wait_to_be_killed(self.marker)
        n = min(SIZE // 2 - self.sent, 1 << 16 if size < 0 else size)
        self.sent += n
        return b"s" * n


def main() -> None:
    db_url, location, phase, marker = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        school = f.make_school(session)
        clerk = f.make_user(session, school, [Role.OFFICE])
        session.commit()
        school_id, clerk_id = school.id, clerk.id
    with Session(engine) as session:
        use_store(session, open_store(location))
        actor = Actor.load(session, clerk_id)
        if phase == "stream":
            data: object = _Stalling(marker)
        else:
            original = archive.items.audit.append

            def stall(*args: object, **kw: object) -> object:
                _wait_to_be_killed(marker)
                return original(*args, **kw)  # type: ignore[arg-type]

            archive.items.audit.append = stall  # type: ignore[assignment]
            data = b"m" * SIZE
        deposit(session, actor, data, kind="other", school_id=school_id)  # type: ignore[arg-type]
        session.commit()


if __name__ == "__main__":
    main()
