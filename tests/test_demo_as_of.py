"""The demo built as of a day inside the year (the browser tests' 10 March 2026) holds nothing after that day.

Every dated row — marks, absences, transfers and drop-outs, results and approvals, locks, inspections,
corrections, the audit trail — is on or before ``today``; term II is entered up to that day (the columns
already due), so an inspection in March sees teachers on schedule, not a blank term.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.db import make_engine
from records.demo.build import DEMO_SCHOOL_CODE, DemoConfig, build_demo
from records.models import Base, Enrolment, Mark, MarkKind, School, SchoolYear, Term
from records.services.context import VN_TZ

pytestmark = pytest.mark.slow

TODAY = dt.date(2026, 3, 10)
#: Columns that hold a plan or a limit, not something that happened: the calendar, expiry dates.
PLANNED = {("school_year", "starts_on"), ("school_year", "ends_on"), ("school_year", "mark_cutoff"),
           ("term", "starts_on"), ("term", "ends_on"), ("auth_session", "expires_at"),
           ("inspector_access", "ends_on"), ("archive_item", "retain_until")}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo_march') / 'demo.sqlite'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        build_demo(session, DemoConfig(students=80, classes_per_grade=1, today=TODAY))
        session.commit()
    with Session(engine) as session:
        yield session
    engine.dispose()


def _dated_columns() -> Iterator[sa.Column]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if (table.name, column.name) in PLANNED:
                continue
            python_type = getattr(column.type, "impl", column.type)
            if isinstance(python_type, sa.Date | sa.DateTime):
                yield column


def test_nothing_is_dated_after_today(db: Session) -> None:
    end_of_today = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(), VN_TZ).astimezone(dt.UTC)
    late = {}
    checked = 0
    for column in _dated_columns():
        limit: object = TODAY if isinstance(getattr(column.type, "impl", column.type), sa.Date) \
            and not isinstance(getattr(column.type, "impl", column.type), sa.DateTime) else end_of_today
        count = db.scalar(select(func.count()).select_from(column.table).where(column >= limit)
                          if limit is end_of_today else
                          select(func.count()).select_from(column.table).where(column > limit))
        checked += 1
        if count:
            late[f"{column.table.name}.{column.name}"] = (count, db.scalar(select(func.max(column))))
    assert checked > 30
    assert late == {}, "\n".join(f"{k}: {v}" for k, v in late.items())


def test_the_trail_stamped_on_simulated_days_verifies(db: Session) -> None:
    from records import audit
    from records.models import AuditEntry

    assert audit.verify(db).ok
    first = db.scalar(select(func.min(AuditEntry.at)))
    assert first is not None and first.date() < dt.date(2022, 9, 1)  # the oldest year's work, on its days


def test_term_two_is_entered_up_to_today(db: Session) -> None:
    school = db.scalars(select(School).where(School.code == DEMO_SCHOOL_CODE)).one()
    year = db.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                               SchoolYear.start_year == 2025)).one()
    term2 = db.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == 2)).one()
    assert term2.starts_on < TODAY < term2.ends_on
    rows = db.scalars(select(Mark).where(Mark.term_id == term2.id)).all()
    kinds = {m.kind for m in rows}
    # the regular columns already due; the end-of-term test is still to come
    assert MarkKind.REGULAR in kinds and MarkKind.FINAL not in kinds
    assert max(m.assessed_on for m in rows) <= TODAY
    # every class of the current year has term-II marks
    classes = {db.get(Enrolment, m.enrolment_id).class_id for m in rows}
    assert len(classes) == 4
