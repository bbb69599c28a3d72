"""The demo school: deterministic, refuses to run twice, plausible and consistent with the rules.

The demo commits, so it runs in a database of its own: a temporary SQLite file and — when
``SODIENTU_TEST_DATABASE_URL`` names a PostgreSQL server — a database ``sodientu_demo_test`` created
and dropped on that server (never the suite's shared test database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records import audit
from records.db import make_engine
from records.demo.build import DEMO_SCHOOL_CODE, DemoConfig, DemoExistsError, build_demo
from records.demo.manifest import file_sha256, read_manifest
from records.models import (
    AuditEntry,
    Base,
    Class,
    CorrectionRequest,
    CorrectionStatus,
    Enrolment,
    EnrolmentStatus,
    Grade,
    LockDecision,
    Mark,
    MarkKind,
    Period,
    School,
    SchoolYear,
    StudentResult,
    Subject,
    SubjectResult,
    Term,
)
from records.rules import ruleset
from tests.conftest import scratch_database
from web.cli import cli

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: The data only: printing the books is tested by tests/test_demo_print.py.
ARGS = ["--students", "48", "--classes-per-grade", "1", "--seed", "7", "--quiet", "--no-print"]
DEMO_DB = "sodientu_demo_test"
#: Columns holding the wall-clock time of the build (or derived from it), not data of the school.
CLOCK_COLUMNS = {"entered_at", "computed_at", "granted_at", "approved_at", "decided_at", "executed_at",
                 "requested_at", "applied_at", "recorded_at", "updated_at", "at", "hash", "prev_hash", "before",
                 "after", "password_changed_at"}


@dataclass
class Built:
    """A demo built by the command into ``url``, its output folder and the command's output."""

    url: str
    out: Path
    output: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the demo."""
    with scratch_database(request.param, tmp_path_factory.mktemp("demo"), DEMO_DB) as url:
        yield url


@pytest.fixture(scope="module")
def built(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The demo, built once per database by ``sodientu demo``."""
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["demo", "--db", demo_url, "--out", str(out), *ARGS])
    assert result.exit_code == 0, result.output
    return Built(demo_url, out, result.output)


@pytest.fixture
def db(built: Built) -> Iterator[Session]:
    engine = make_engine(built.url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows (without clock columns), in primary-key order."""
    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in CLOCK_COLUMNS]
            order = list(table.primary_key.columns) or columns
            out[table.name] = [tuple(row) for row in conn.execute(select(*columns).order_by(*order))]
    engine.dispose()
    return out


def test_the_command_reports_and_writes_the_manifest(built: Built) -> None:
    assert "Đã dựng Trường THCS" in built.output
    entries = read_manifest(built.out)
    assert [e.path for e in entries] == ["demo-summary.json"]
    assert entries[0].sha256 == file_sha256(built.out / "demo-summary.json")
    summary = json.loads((built.out / "demo-summary.json").read_text(encoding="utf-8"))
    assert summary["school_years"] == ["2022-2023", "2023-2024", "2024-2025", "2025-2026"]
    assert summary["counts"]["marks"] > 10_000


def test_a_second_run_is_refused(built: Built, db: Session) -> None:
    result = CliRunner().invoke(cli, ["demo", "--db", built.url, "--out", str(built.out), *ARGS])
    assert result.exit_code != 0 and "--reset" in result.output
    with pytest.raises(DemoExistsError) as refused:
        build_demo(db, DemoConfig(students=48, seed=7, classes_per_grade=1))
    assert "đã có dữ liệu" in refused.value.message_vi
    assert db.scalar(select(func.count()).select_from(School)) == 2  # the demo school and the external one


def test_grade_9_students_have_four_years(db: Session) -> None:
    current = db.scalars(select(SchoolYear).join(School).where(School.code == DEMO_SCHOOL_CODE,
                                                               SchoolYear.start_year == 2025)).one()
    nine = db.scalars(select(Class).join(Grade).where(Grade.school_year_id == current.id, Grade.level == 9)).all()
    years_of: dict[int, set[int]] = {}
    schools_of: dict[int, set[str]] = {}
    for enrolment in db.scalars(select(Enrolment).where(Enrolment.class_id.in_([c.id for c in nine]),
                                                        Enrolment.status == EnrolmentStatus.ACTIVE)):
        rows = db.execute(select(SchoolYear.start_year, School.name).select_from(Enrolment)
                          .join(Class, Class.id == Enrolment.class_id).join(Grade).join(SchoolYear)
                          .join(School, School.id == Class.school_id)
                          .where(Enrolment.student_id == enrolment.student_id)).all()
        years_of[enrolment.student_id] = {y for y, _ in rows}
        schools_of[enrolment.student_id] = {name for _, name in rows}
    assert len(years_of) >= 8
    four = [s for s, years in years_of.items() if years == {2022, 2023, 2024, 2025}]
    assert len(four) >= 0.75 * len(years_of)
    # a student who came from the external school brings its years (and its name) to the transcript
    assert any(len(schools_of[s]) == 2 for s in four)


def test_both_regulations_appear(db: Session) -> None:
    regimes = set(db.scalars(select(StudentResult.regime).distinct()))
    assert {"tt26", "tt22"} <= regimes
    grade9 = db.execute(select(SchoolYear.start_year, Grade.regime).join(Grade).join(School)
                        .where(School.code == DEMO_SCHOOL_CODE, Grade.level == 9)).all()
    assert dict(grade9) == {2022: "tt26", 2023: "tt26", 2024: "tt22", 2025: "tt22"}


def test_transfers_leavers_repeaters_and_graduates(db: Session) -> None:
    statuses = dict(db.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())
    assert statuses.get(EnrolmentStatus.TRANSFERRED_OUT, 0) >= 1 and statuses.get(EnrolmentStatus.DROPPED_OUT, 0) >= 1
    arrivals = db.scalars(select(Enrolment).where(Enrolment.transferred_in.is_(True))).all()
    assert len(arrivals) >= 3 and all(e.from_school for e in arrivals)
    assert db.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.repeating.is_(True))) >= 1
    finals = Counter(db.scalars(select(StudentResult.final_promotion).where(StudentResult.period == Period.YEAR)))
    assert finals["promoted"] > 10 * finals["repeat"] >= 10
    external = db.scalars(select(School).where(School.external.is_(True))).one()
    assert db.scalar(select(func.count()).select_from(Enrolment).join(Class)
                     .where(Class.school_id == external.id)) >= 1


def test_results_are_those_of_the_rules(db: Session) -> None:
    """A sample of year results re-derived from the subject results, and term averages from the marks."""
    rows = db.execute(select(StudentResult, Grade.regime, Grade.school_year_id).join(
        Enrolment, Enrolment.id == StudentResult.enrolment_id).join(Class, Class.id == Enrolment.class_id)
        .join(Grade).where(StudentResult.period == Period.YEAR, StudentResult.learning.is_not(None))
        .order_by(StudentResult.id)).all()
    assert len(rows) > 100
    for result, regime, _ in rows[::7]:
        rs = ruleset(regime)
        subjects = db.execute(select(Subject.code, SubjectResult.average, SubjectResult.grade)
                              .join(Subject, Subject.id == SubjectResult.subject_id)
                              .where(SubjectResult.enrolment_id == result.enrolment_id,
                                     SubjectResult.period == Period.YEAR)).all()
        values = {code: avg if avg is not None else grade for code, avg, grade in subjects}
        classification = rs.classify(values)
        assert (result.learning, result.learning_adjusted) == (classification.level, classification.adjusted)
        assert result.overall_average == classification.overall_average
        decision = rs.promotion(learning=result.learning, conduct=result.conduct, days_absent=result.days_absent)
        assert result.promotion == decision.value
        assert result.title == rs.title(values, learning=result.learning, conduct=result.conduct)
    checked = 0
    term_rows = db.execute(select(SubjectResult, Grade.regime, Term.id).join(
        Enrolment, Enrolment.id == SubjectResult.enrolment_id).join(Class, Class.id == Enrolment.class_id)
        .join(Grade).join(Term, (Term.school_year_id == Grade.school_year_id) & (Term.number == 1))
        .where(SubjectResult.period == Period.TERM1, SubjectResult.average.is_not(None))
        .order_by(SubjectResult.id)).all()
    for subject_result, regime, term_id in term_rows[::41]:
        marks = db.execute(select(Mark.kind, Mark.score).where(
            Mark.enrolment_id == subject_result.enrolment_id, Mark.subject_id == subject_result.subject_id,
            Mark.term_id == term_id).order_by(Mark.kind, Mark.slot)).all()
        if not marks:
            continue  # brought from another school
        by_kind: dict[MarkKind, list] = {}
        for kind, score in marks:
            by_kind.setdefault(kind, []).append(score)
        expected = ruleset(regime).term_average(regular=by_kind[MarkKind.REGULAR],
                                                periodic=by_kind.get(MarkKind.MIDTERM, []),
                                                final=by_kind[MarkKind.FINAL][0])
        assert subject_result.average == expected
        checked += 1
    assert checked >= 20


def test_trace_corrections_and_locks(db: Session) -> None:
    assert db.scalar(select(func.count()).select_from(AuditEntry)) > db.scalar(
        select(func.count()).select_from(Mark))
    report = audit.verify(db)
    assert report.ok, report.problems
    applied = db.scalars(select(CorrectionRequest).where(CorrectionRequest.status == CorrectionStatus.APPLIED)).all()
    assert len(applied) >= 2
    assert all(r.witness_leader_id and r.witness_board_id and r.requester_present for r in applied)
    assert any(r.old_value is None for r in applied)  # a missing mark added after the cut-off
    assert all(audit.entries(db, request_id=r.id) for r in applied)
    locked_years = set(db.scalars(select(SchoolYear.start_year).join(LockDecision).join(School).where(
        School.code == DEMO_SCHOOL_CODE, LockDecision.executed_at.is_not(None), LockDecision.term_id.is_(None))))
    assert locked_years == {2022, 2023, 2024}
    # the current year is complete: every student on the roll at the end has a year result
    pending = db.scalar(select(func.count()).select_from(StudentResult).where(
        StudentResult.period == Period.YEAR, StudentResult.learning.is_(None)))
    assert pending == 0


def test_the_demo_is_deterministic_and_reset_rebuilds_it(built: Built) -> None:
    """Rebuilt with --reset in another process (another hash seed): the same school, row for row."""
    before = _dump(built.url)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", "from web.cli import main; main()", "demo", "--db", built.url,
                           "--out", str(built.out), "--reset", *ARGS], check=False, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    after = _dump(built.url)
    assert before.keys() == after.keys()
    for table in before:
        assert before[table] == after[table], f"table {table} differs between two builds"
