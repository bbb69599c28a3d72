"""A small demo school (80 students, one class per grade) with its key and office user, built once
per module, for the print-run tests (``sodientu print school``, the queue)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from records.db import make_engine
from records.demo.build import DEMO_SCHOOL_CODE, DemoConfig, build_demo, prepare_database
from records.models import Role
from web.commands.demo import _user_with_role, create_demo_key

TODAY = dt.date(2026, 6, 15)
YEAR = "2025-2026"


@dataclass(frozen=True)
class School:
    url: str
    keys: Path
    office: str
    folder: Path


@pytest.fixture(scope="module", name="school")
def school_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[School]:
    folder = tmp_path_factory.mktemp("print-school")
    url = f"sqlite:///{folder / 'school.sqlite'}"
    engine = make_engine(url)
    prepare_database(engine, reset=True)
    with Session(engine) as session:
        build_demo(session, DemoConfig(students=80, classes_per_grade=1, seed=11, today=TODAY))
        session.commit()
    create_demo_key(engine, DEMO_SCHOOL_CODE, folder / "keys", TODAY)
    with Session(engine) as session:
        from records.models import School as SchoolRow

        school_id = session.scalars(select(SchoolRow.id).where(SchoolRow.code == DEMO_SCHOOL_CODE)).one()
        office = _user_with_role(session, school_id, Role.OFFICE)
    engine.dispose()
    yield School(url, folder / "keys", office, folder)
