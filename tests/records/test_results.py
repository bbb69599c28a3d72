"""records.services.results: subject and overall results from the marks, completeness, summer, recompute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from records.errors import BookLockedError, ConflictError, PermissionDeniedError, ValidationError
from records.models import (
    Attendance,
    Book,
    Class,
    Conduct,
    Enrolment,
    GradeSubject,
    Mark,
    MarkKind,
    Period,
    StudentResult,
    SubjectResult,
)
from records.rules import ruleset
from records.services import locks, results, students
from records.services.context import VN_TZ, now, on_date
from tests.records.school_setup import SetUpSchool, set_up_school

D = Decimal


def _class(session, start: int, level: int, names: list[str]) -> tuple[SetUpSchool, Class, list[Enrolment]]:
    built = set_up_school(session)
    klass = built.klass(built.year(start), level)
    enrolled = students.enrol_class(session, built.actor(), klass, built.students(*names))
    return built, klass, sorted(enrolled, key=lambda e: e.roll_number)


def _curriculum(session, klass: Class) -> list[GradeSubject]:
    return list(session.scalars(select(GradeSubject).where(GradeSubject.grade_id == klass.grade_id)
                                .order_by(GradeSubject.position)))


def _fill(session, built: SetUpSchool, klass: Class, enrolment: Enrolment, term_no: int, score: str = "7.0",
          *, skip: set[tuple[str, MarkKind, int]] = frozenset(), override: dict | None = None) -> None:
    """Every required mark of every subject for one student and term (``override``: code -> values)."""
    grade = built.grade(klass.school_year, klass.grade.level)
    rs = ruleset(grade.regime)
    term = built.term(klass.school_year, term_no)
    for gs in _curriculum(session, klass):
        code, comment = gs.subject.code, gs.subject.assessment.value == "comment"
        n = rs.required_regular_count(gs.lessons, comment=comment)
        columns = [(MarkKind.REGULAR, i + 1) for i in range(n)] + [(MarkKind.MIDTERM, 1), (MarkKind.FINAL, 1)]
        values = (override or {}).get(code)
        for i, (kind, slot) in enumerate(columns):
            if (code, kind, slot) in skip:
                continue
            value = values[i] if values else ("Đ" if comment else score)
            session.add(Mark(enrolment_id=enrolment.id, subject_id=gs.subject_id, term_id=term.id, kind=kind,
                             slot=slot, score=None if comment else D(value), grade=value if comment else None))
    session.flush()


def _conduct(session, enrolment: Enrolment, **levels: str) -> None:
    for period, level in levels.items():
        session.add(Conduct(enrolment_id=enrolment.id, period=Period(period), level=level))
    session.flush()


def test_term_results_follow_the_rules_and_missing_marks_are_named(session) -> None:
    built, klass, (full, partial) = _class(session, 2025, 9, ["Lò Văn An", "Quàng Thị Bình"])
    _fill(session, built, klass, full, 1, override={"toan": ["7", "8", "9", "6", "8.5", "6.5"]})
    _fill(session, built, klass, partial, 1, skip={("toan", MarkKind.REGULAR, 4), ("ngu_van", MarkKind.FINAL, 1)})
    _conduct(session, full, hk1="Tốt")
    actor = built.actor(built.homeroom)
    outcomes = {o.enrolment_id: o for o in results.compute_class(session, actor, klass, Period.TERM1)}
    rs = ruleset("tt22")
    expected = rs.term_average(regular=[7, 8, 9, 6], periodic=[D("8.5")], final=D("6.5"))
    assert outcomes[full.id].subjects["toan"].value == expected == D("7.4")
    assert outcomes[full.id].subjects["gdtc"].value == "Đ"
    assert outcomes[full.id].learning == rs.learning_result({c: s.value for c, s in outcomes[full.id].subjects.items()})
    assert outcomes[full.id].conduct == "Tốt" and outcomes[full.id].title is None  # TT22: titles for the year only
    missing = outcomes[partial.id]
    assert missing.subjects["toan"].value is None and missing.learning is None and not missing.complete
    assert missing.subjects["toan"].incomplete_reason == "Toán, Học kì I: thiếu 1 điểm ĐĐGtx (có 3/4)."
    assert missing.subjects["ngu_van"].incomplete_reason == "Ngữ văn, Học kì I: thiếu điểm ĐĐGck."
    row = session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id == partial.id,
                                                      SubjectResult.period == Period.TERM1,
                                                      SubjectResult.subject_id == built.subjects["toan"].id)).one()
    assert row.average is None and "ĐĐGtx" in row.incomplete_reason
    with pytest.raises(ConflictError):  # the principal cannot approve an incomplete class
        results.approve_class(session, built.actor(built.principal), klass, Period.TERM1)


def test_comment_subject_fails_with_one_cd_under_tt22(session) -> None:
    built, klass, (e,) = _class(session, 2025, 8, ["Sùng A Dế"])
    _fill(session, built, klass, e, 1, override={"gdtc": ["Đ", "CĐ", "Đ", "Đ"]})
    (o,) = results.compute_class(session, built.actor(built.homeroom), klass, "hk1")
    assert o.subjects["gdtc"].value == "CĐ" and o.subjects["nghe_thuat"].value == "Đ"


def test_year_results_promotion_titles_and_absences(session) -> None:
    built, klass, (good, absent) = _class(session, 2025, 9, ["Hà Thị Thu", "Vì Văn Lực"])
    for e in (good, absent):
        _fill(session, built, klass, e, 1, "9.5")
        _fill(session, built, klass, e, 2, "9.0")
    _conduct(session, good, hk1="Tốt", hk2="Tốt")
    _conduct(session, absent, hk1="Khá", hk2="Tốt", cn="Tốt")
    day = dt.date(2025, 9, 8)
    for n in range(46):
        session.add(Attendance(enrolment_id=absent.id, day=day + dt.timedelta(days=n), excused=n % 3 != 0))
    session.add(Attendance(enrolment_id=good.id, day=dt.date(2026, 3, 2), excused=True))
    session.flush()
    actor = built.actor(built.homeroom)
    for period in ("hk1", "hk2"):
        results.compute_class(session, actor, klass, period)
    outcomes = {o.enrolment_id: o for o in results.compute_class(session, actor, klass, Period.YEAR)}
    rs = ruleset("tt22")
    g = outcomes[good.id]
    assert g.subjects["toan"].value == rs.year_average(D("9.5"), D("9.0")) == D("9.2")
    assert g.conduct == rs.year_conduct("Tốt", "Tốt") and g.learning == "Tốt"
    assert g.title == "Học sinh Xuất sắc" and g.promotion == g.final_promotion == "promoted"
    assert (g.days_absent_excused, g.days_absent_unexcused) == (1, 0)
    a = outcomes[absent.id]
    assert a.days_absent == 46 and a.promotion == "repeat" and a.final_promotion == "repeat"
    assert (a.days_absent_excused, a.days_absent_unexcused) == (30, 16)
    term1 = session.scalars(select(StudentResult).where(StudentResult.enrolment_id == absent.id,
                                                        StudentResult.period == Period.TERM1)).one()
    assert term1.days_absent == 46  # all in HK I
    with pytest.raises(ConflictError):  # promoted: nothing to do in the summer
        results.record_summer(session, actor, good.id, retakes={"toan": "9"})
    with on_date(dt.date(2026, 5, 29)):  # back-dated (the demo, an import): the approval carries that day
        assert results.approve_class(session, built.actor(built.principal), klass, "cn") == 2
    approved = session.scalars(select(StudentResult.approved_at).where(
        StudentResult.enrolment_id == good.id, StudentResult.period == Period.YEAR)).one()
    assert approved.astimezone(VN_TZ).date() == dt.date(2026, 5, 29)
    with pytest.raises(PermissionDeniedError):
        results.approve_class(session, actor, klass, "cn")


def test_tt26_overall_average_and_titles_per_term(session) -> None:
    built, klass, (e,) = _class(session, 2023, 9, ["Lường Thị Ngọc"])  # 2023-24 grade 9: TT58 + TT26
    assert klass.grade.regime == "tt26"
    _fill(session, built, klass, e, 1, "8.0")
    _conduct(session, e, hk1="Tốt")
    (o,) = results.compute_class(session, built.actor(built.homeroom), klass, "hk1")
    assert o.regime == "tt26" and o.overall_average == D("8.0") and o.learning == "Giỏi"
    assert o.title == "Học sinh Giỏi" and o.subjects["the_duc"].value == "Đ"


def test_summer_reassessment_replaces_the_year_result(session) -> None:
    built, klass, (e,) = _class(session, 2025, 7, ["Thào A Tủa"])
    weak = {"toan": ["3", "3", "4", "3", "3.0", "3.0"], "ngu_van": ["4", "3", "4", "3", "3.0", "3.2"]}
    for term in (1, 2):
        _fill(session, built, klass, e, term, "6.0", override=weak)
    _conduct(session, e, hk1="Khá", hk2="Khá")
    actor = built.actor(built.homeroom)
    results.compute_class(session, actor, klass, "hk1")
    results.compute_class(session, actor, klass, "hk2")
    (o,) = results.compute_class(session, actor, klass, "cn")
    assert o.learning == "Chưa đạt" and o.promotion == "reassess" and o.final_promotion is None
    with pytest.raises(ValidationError):  # only subjects below 5.0 (or CĐ) may be retaken
        results.record_summer(session, actor, e.id, retakes={"gdcd": "8"})
    after = results.record_summer(session, actor, e.id, retakes={"toan": "6.5", "ngu_van": "5.0"})
    assert after.final_promotion == "promoted"
    row = session.scalars(select(StudentResult).where(StudentResult.enrolment_id == e.id,
                                                      StudentResult.period == Period.YEAR)).one()
    assert row.learning_after_summer == "Đạt" and row.final_promotion == "promoted" and row.learning == "Chưa đạt"
    toan = session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id == e.id,
                                                       SubjectResult.period == Period.YEAR,
                                                       SubjectResult.subject_id == built.subjects["toan"].id)).one()
    assert toan.reassessed_score == D("6.5") and toan.average < D("5.0")
    # a recomputation (after a correction) keeps the summer decision
    again = results.recompute(session, actor, e.id)
    assert [o.period for o in again] == [Period.TERM1, Period.TERM2, Period.YEAR]
    assert again[-1].final_promotion == "promoted"


def test_summer_training_for_conduct(session) -> None:
    built, klass, (e,) = _class(session, 2025, 6, ["Mè Văn Sang"])
    for term in (1, 2):
        _fill(session, built, klass, e, term, "6.5")
    _conduct(session, e, hk1="Chưa đạt", hk2="Chưa đạt")
    actor = built.actor(built.homeroom)
    for period in ("hk1", "hk2", "cn"):
        outcomes = results.compute_class(session, actor, klass, period)
    assert outcomes[0].promotion == "summer_training"
    assert results.record_summer(session, actor, e.id, training_passed=True).final_promotion == "promoted"
    row = session.scalars(select(StudentResult).where(StudentResult.enrolment_id == e.id,
                                                      StudentResult.period == Period.YEAR)).one()
    assert row.conduct_after_summer == "Đạt"


def test_recompute_after_a_mark_changes(session) -> None:
    built, klass, (e,) = _class(session, 2025, 9, ["Cầm Thị Ỷ"])
    _fill(session, built, klass, e, 1, "7.0", skip={("toan", MarkKind.FINAL, 1)})
    _fill(session, built, klass, e, 2, "7.0")
    _conduct(session, e, hk1="Tốt", hk2="Tốt")
    actor = built.actor(built.homeroom)
    for period in ("hk1", "hk2", "cn"):
        results.compute_class(session, actor, klass, period)
    year = session.scalars(select(StudentResult).where(StudentResult.enrolment_id == e.id,
                                                       StudentResult.period == Period.YEAR)).one()
    assert year.learning is None and year.promotion is None
    term1 = built.term(klass.school_year, 1)
    session.add(Mark(enrolment_id=e.id, subject_id=built.subjects["toan"].id, term_id=term1.id,
                     kind=MarkKind.FINAL, slot=1, score=D("10.0")))
    session.flush()
    out = results.recompute(session, built.actor(), e.id)  # the administrator applying a correction
    assert out[0].subjects["toan"].value == ruleset("tt22").term_average(regular=[7] * 4, periodic=[7], final=10)
    assert out[-1].learning == "Khá" and out[-1].promotion == "promoted"
    session.refresh(year)
    assert year.learning == "Khá" and year.final_promotion == "promoted"


def test_locked_book_refuses_computation_but_not_recompute(session) -> None:
    built, klass, (e,) = _class(session, 2025, 9, ["Lò Thị Hương"])
    _fill(session, built, klass, e, 1)
    year = klass.school_year
    with on_date(dt.date(2026, 1, 20)):
        decision = locks.decide(session, built.actor(built.principal), book=Book.MARK_BOOK, school_year=year,
                                lock=True, decision_ref="QĐ 1/QĐ-THCS", term=built.term(year, 1))
        locks.execute(session, built.actor(), decision)
    with pytest.raises(BookLockedError):
        results.compute_class(session, built.actor(built.homeroom), klass, "hk1")
    assert results.recompute(session, built.actor(), e.id, ["hk1"])[0].period == Period.TERM1


def test_results_brought_from_another_school(session) -> None:
    built, klass, (e,) = _class(session, 2024, 8, ["Giàng Thị Mỷ"])
    averages = {gs.subject.code: ("Đ" if gs.subject.assessment.value == "comment" else "7.5")
                for gs in _curriculum(session, klass)}
    out = results.import_results(session, built.actor(), e.id, subjects={"hk1": averages, "hk2": averages,
                                                                         "cn": averages},
                                 conduct={"hk1": "Tốt", "hk2": "Tốt", "cn": "Tốt"},
                                 days_absent={"cn": (3, 1)})
    assert [o.period for o in out] == [Period.TERM1, Period.TERM2, Period.YEAR]
    assert out[-1].learning == "Khá" and out[-1].promotion == "promoted" and out[-1].days_absent == 4
    assert students.next_level(session, e) == 9
    with pytest.raises(ValidationError):
        results.import_results(session, built.actor(), e.id, subjects={"hk1": {"tieng_phap": "8"}},
                               conduct={"hk1": "Tốt"})


def test_service_clock_stamps_the_back_dated_day() -> None:
    wall = now()
    assert wall.tzinfo is not None and abs((dt.datetime.now(dt.UTC) - wall).total_seconds()) < 60
    with on_date(dt.date(2023, 5, 27)):
        stamped = now()
    local = stamped.astimezone(VN_TZ)
    assert local.date() == dt.date(2023, 5, 27)  # that day in Vietnam, at the wall clock's time of day
    same_time = dt.datetime.combine(local.date(), wall.astimezone(VN_TZ).time(), VN_TZ)
    assert abs((local - same_time).total_seconds()) < 60
