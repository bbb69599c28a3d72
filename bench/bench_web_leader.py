"""Page times of the leadership's pages (issue 12) on the demo school, as of 2026-03-10.

Usage: .venv/bin/python bench/bench_web_leader.py [--students 80] [--classes-per-grade 1] [--repeat 30]

Builds a demo school (``records.demo``; the small one of the browser tests by default) in a temporary SQLite
file, files one correction request, signs in the principal, the vice principal, the administrator and a
teacher through the Flask test client, and requests every leadership page ``--repeat`` times (after one
warm-up request). Prints per page the median, p95 and worst time in milliseconds (the server's work: routing,
rights, queries, the template; no network), then the same for the writes (a lock decision, an inspection
recorded, a class's results approved). The target is under 300 ms per page. Pages are measured twice: as is, and
with the process heap frozen (``gc.freeze()``) so that Python's full garbage collections stop walking what the
demo build left in this process; the number and length of full collections is printed for each run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = dt.date(2026, 3, 10)
PASSWORD = "sodientu-demo"


def _build(url: str, students: int, per_grade: int) -> dict[str, object]:
    from sqlalchemy import select

    from records.db import make_engine, session_scope
    from records.demo.build import DemoConfig, build_demo, prepare_database
    from records.models import (
        Class,
        Enrolment,
        Grade,
        Mark,
        MarkKind,
        RoleGrant,
        SchoolYear,
        TeachingAssignment,
        Term,
        User,
    )
    from records.permissions import Actor
    from records.services import corrections
    from records.services.context import on_date

    engine = make_engine(url)
    prepare_database(engine)
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        build_demo(session, DemoConfig(students=students, classes_per_grade=per_grade, today=TODAY))
    built = time.perf_counter() - t0
    with session_scope(engine) as session:
        users: dict[str, str] = {}
        for role, username in session.execute(select(RoleGrant.role, User.username)
                                              .join(User, User.id == RoleGrant.user_id).order_by(RoleGrant.id)):
            users.setdefault(role.value, username)
        teacher = session.scalars(select(User).where(User.username == users["subject_teacher"])).one()
        assignment, mark, klass = session.execute(
            select(TeachingAssignment, Mark, Class).join(Term, Term.id == TeachingAssignment.term_id)
            .join(SchoolYear, SchoolYear.id == Term.school_year_id).join(Class, Class.id == TeachingAssignment.class_id)
            .join(Enrolment, Enrolment.class_id == Class.id)
            .join(Mark, (Mark.enrolment_id == Enrolment.id) & (Mark.subject_id == TeachingAssignment.subject_id)
                  & (Mark.term_id == Term.id))
            .where(TeachingAssignment.teacher_id == teacher.id, SchoolYear.start_year == 2025, Term.number == 1,
                   Mark.kind == MarkKind.REGULAR, Mark.score.is_not(None)).limit(1)).one()
        with on_date(TODAY):
            request = corrections.request_correction(
                session, Actor.load(session, teacher.id), enrolment_id=mark.enrolment_id, subject_id=mark.subject_id,
                term_id=mark.term_id, kind=mark.kind, slot=mark.slot, new_value="1", reason="bench")
        year_id = session.scalar(select(Grade.school_year_id).where(Grade.id == klass.grade_id))
        classes = session.scalar(select(Class.id).join(Grade, Grade.id == Class.grade_id)
                                 .where(Grade.school_year_id == year_id).limit(1))
        counts = session.scalar(select(Enrolment.id).order_by(Enrolment.id.desc()).limit(1))
        info: dict[str, object] = {"users": users, "request": request.id, "assignment": assignment.id,
                                   "class_id": classes, "year_id": year_id, "built": built, "enrolments": counts}
    engine.dispose()
    return info


def _client(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    html = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = client.post("/dang-nhap", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def _time(client, path: str, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return times


def _post(client, path: str, data: dict[str, object], page: str) -> float:  # type: ignore[no-untyped-def]
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    t0 = time.perf_counter()
    response = client.post(path, data={**data, "csrf_token": token})
    elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 303, (path, response.status_code)
    flashed = client.get(response.location).get_data(as_text=True)
    assert "Đã " in flashed, flashed[:500]
    return elapsed


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=80)
    parser.add_argument("--classes-per-grade", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        info = _build(url, args.students, args.classes_per_grade)
        users: dict[str, str] = info["users"]  # type: ignore[assignment]
        print(f"demo: {args.students} students, {args.classes_per_grade} class(es) per grade, built in "
              f"{info['built']:.1f} s; as of {TODAY:%d/%m/%Y}; {args.repeat} requests per page")
        app = create_app(url, SODIENTU_TODAY=TODAY)
        principal, vice = _client(app, users["principal"]), _client(app, users["vice_principal"])
        admin, teacher = _client(app, users["administrator"]), _client(app, users["subject_teacher"])
        class_id, request_id = info["class_id"], info["request"]
        pages = [
            ("principal", principal, "/hieu-truong"),
            ("principal", principal, "/khoa-so"),
            ("principal", principal, "/sua-diem"),
            ("principal", principal, f"/sua-diem/{request_id}"),
            ("principal", principal, "/kiem-tra-so"),
            ("principal", principal, "/kiem-tra-so?thang=2025-12"),
            ("principal", principal, f"/kiem-tra-so?lop={class_id}"),
            ("principal", principal, "/phe-duyet-ket-qua"),
            ("principal", principal, f"/phe-duyet-ket-qua/lop/{class_id}?ky=hk1"),
            ("vice", vice, "/pho-hieu-truong"),
            ("vice", vice, "/kiem-tra-so"),
            ("admin", admin, "/khoa-so"),
            ("admin", admin, f"/sua-diem/{request_id}"),
            ("teacher", teacher, "/giao-vien/de-nghi-sua-diem"),
            ("teacher", teacher, f"/giao-vien/de-nghi-sua-diem?pc={info['assignment']}"),
            ("head of dept", _client(app, users["head_of_department"]), "/to-chuyen-mon"),
        ]
        # Python's full (generation-2) garbage collections walk every live object: in this process that includes
        # what the demo build left behind, and one pass takes 0.2 s on the loaded test machine. Measured as is,
        # then with the heap frozen (gc.freeze() after start-up, as a long-running server would do).
        pauses: list[float] = []
        started: dict[str, float] = {}

        def _gc(phase: str, gc_info: dict[str, int]) -> None:
            if phase == "start":
                started["t"] = time.perf_counter()
            elif gc_info["generation"] == 2:
                pauses.append((time.perf_counter() - started["t"]) * 1000)

        gc.callbacks.append(_gc)
        for label in ("as is", "heap frozen after start-up (gc.freeze)"):
            if label != "as is":
                gc.collect()
                gc.freeze()
            pauses.clear()
            everything: list[float] = []
            print(f"--- {label}")
            print(f"{'who':10} {'page':52} {'median':>8} {'p95':>8} {'max':>8}  (ms)")
            for who, client, path in pages:
                times = _time(client, path, args.repeat)
                everything += times
                print(f"{who:10} {path:52} {statistics.median(times):8.1f} {_p95(times):8.1f} {max(times):8.1f}")
            print(f"{'all pages':63} {statistics.median(everything):8.1f} {_p95(everything):8.1f} "
                  f"{max(everything):8.1f}")
            print(f"full garbage collections during the run: {len(pauses)}, longest {max(pauses, default=0):.0f} ms")
        gc.callbacks.remove(_gc)
        writes = [
            ("lock decision", _post(principal, "/khoa-so", {"nam": info["year_id"], "lock": "1", "book": "transcripts",
                                                            "decision_ref": "QĐ số 99/QĐ-THCS"}, "/khoa-so")),
            ("inspection recorded", _post(principal, "/kiem-tra-so", {"nam": info["year_id"], "thang": "2026-03",
                                                                      "findings": "Đủ tiến độ."}, "/kiem-tra-so")),
            ("results approved", _post(principal, f"/phe-duyet-ket-qua/lop/{class_id}", {"ky": "hk1"},
                                       f"/phe-duyet-ket-qua/lop/{class_id}?ky=hk1")),
            ("correction approved", _post(principal, f"/sua-diem/{request_id}/duyet", {"quyet-dinh": "duyet"},
                                          f"/sua-diem/{request_id}")),
        ]
        t0 = time.perf_counter()
        assert principal.get(f"/sua-diem/{request_id}/in").mimetype == "application/pdf"
        writes.append(("correction form printed (PDF)", (time.perf_counter() - t0) * 1000))
        for name, ms in writes:
            print(f"write: {name:30} {ms:8.1f} ms")
        app.extensions["sodientu.engine"].dispose()


if __name__ == "__main__":
    main()
