"""What every import shares: its options, finding the school, year and classes, and the one write step
(all or nothing, inside a savepoint; a dry run does the same work and rolls it back)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import NotFoundError, SodientuError
from records.interop.report import Collector, ImportReport
from records.interop.sheets import SpreadsheetFile, fold
from records.models import Class, Grade, School, SchoolYear, Subject, Term
from records.services.context import today as service_today

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportOptions:
    """What the person importing chose (command-line options or the upload form)."""

    school_id: int | None = None
    start_year: int | None = None  # --year 2025 for 2025-2026; else the title's "NĂM HỌC …", else this year
    class_name: str | None = None  # --class; else a "Lớp" column or the title ("DANH SÁCH … LỚP 6A1")
    dry_run: bool = False
    create_classes: bool = False  # students: create a class the file names and the year lacks
    subject: str | None = None  # marks: subject code or name; else the title ("Môn: Toán") or sheet name
    term: int | None = None  # marks, assignments: 1 or 2; else the title ("Học kì I")


def resolve_school(session: Session, school_id: int | None) -> School:
    """The school named, or the installation's only school of its own."""
    if school_id is not None:
        school = session.get(School, school_id)
        if school is None:
            raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
        return school
    schools = list(session.scalars(select(School).where(School.external.is_(False))))
    if len(schools) != 1:
        raise NotFoundError("Cơ sở dữ liệu có nhiều trường (hoặc chưa có trường nào): hãy chỉ rõ trường.",
                            f"{len(schools)} schools; a school is needed")
    return schools[0]


def resolve_year(session: Session, school: School, start_year: int | None) -> SchoolYear:
    """The school year starting in ``start_year``, else the one today falls in, else the latest."""
    years = list(session.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id)
                                 .order_by(SchoolYear.start_year)))
    if start_year is not None:
        for year in years:
            if year.start_year == start_year:
                return year
        raise NotFoundError(f"Trường chưa khai báo năm học {start_year}-{start_year + 1}.",
                            f"no school year {start_year}")
    if not years:
        raise NotFoundError("Trường chưa khai báo năm học nào.", "no school year")
    day = service_today()
    current = [y for y in years if y.starts_on <= day <= y.ends_on]
    return current[0] if current else years[-1]


def classes_by_name(session: Session, year: SchoolYear) -> dict[str, Class]:
    """The year's classes by folded name ("6a1")."""
    rows = session.scalars(select(Class).join(Grade, Grade.id == Class.grade_id)
                           .where(Grade.school_year_id == year.id))
    return {fold(c.name): c for c in rows}


def term_of(session: Session, year: SchoolYear, number: int) -> Term:
    """Term I or II of a year."""
    term = session.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == number)).one_or_none()
    if term is None:
        raise NotFoundError(f"Năm học {year.name} không có học kì {number}.", f"no term {number}")
    return term


def subject_lookup(session: Session, school: School) -> dict[str, Subject]:
    """The school's subjects by folded code, name and short name ("toan", "nguvan", "van", …)."""
    found: dict[str, Subject] = {}
    for subject in session.scalars(select(Subject).where(Subject.school_id == school.id).order_by(Subject.id)):
        for text in (subject.code, subject.name, subject.short_name):
            if text:
                found.setdefault(fold(text), subject)
        base = subject.name.split("(")[0]  # "Ngoại ngữ 1 (Tiếng Anh)" is also "Ngoại ngữ 1"
        found.setdefault(fold(base), subject)
        if "(" in subject.name:  # … and "Tiếng Anh"
            found.setdefault(fold(subject.name.split("(", 1)[1].rstrip(")")), subject)
    return found


def write_all(session: Session, collector: Collector, dry_run: bool, write: Callable[[], None]) -> bool:
    """Run ``write`` in a savepoint: kept when it succeeds and this is not a dry run, else rolled back.

    A domain error raised by a service (rights, locks, cut-off, a conflict) becomes an error of the
    report and nothing of the file is kept. Returns True when the writes were kept.
    """
    if collector.has_errors:
        return False
    savepoint = session.begin_nested()
    try:
        write()
        session.flush()
    except SodientuError as error:
        savepoint.rollback()
        log.info("import refused: %s", error.message_en)
        collector.error(error.message_vi)
        return False
    if dry_run:
        savepoint.rollback()
        session.expire_all()
        return False
    savepoint.commit()
    return True


def unreadable(kind: str, source: SpreadsheetFile, options: ImportOptions, error: SodientuError) -> ImportReport:
    """The report of a file that could not be read at all."""
    collector = Collector()
    collector.error(error.message_vi)
    return collector.report(kind, source.name, options.dry_run, 0, False)
