"""Benchmark of the subject teacher's mark grid on the demo school: saving a 45-student column, loading pages.

Usage: .venv/bin/python bench/bench_web_marks.py [--students 600] [--runs 9] [--loads 60] [--db URL]

Builds the demo school as of 10/03/2026 (term II, before the mark cut-off) in a temporary SQLite file
(or uses ``--db``, a demo database as of a day in a term), brings one class to 45 students (students
transferred in), signs in as the teacher of a scored subject of that class and, through the WSGI app
in-process (Flask test client: the server's time, without the network):

- saves the whole sheet with one regular-mark column of 45 values changed (every run changes all 45,
  each traced): median and maximum of ``--runs`` saves, then the grid page that follows;
- loads the grid, the comments page and the teacher's home page ``--loads`` times each: median and p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_school import build_demo_school
from sqlalchemy import func, select

from records.db import make_engine, session_scope
from records.models import (
    Assessment,
    Class,
    Enrolment,
    EnrolmentStatus,
    School,
    Subject,
    TeachingAssignment,
    Term,
    User,
)
from records.permissions import Actor
from records.services import context, students
from web.app import create_app

TODAY = dt.date(2026, 3, 10)
PASSWORD = "sodientu-demo"
CLASS_SIZE = 45


def _figures(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
    print(f"{name:<46} n={len(ms):<4} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   "
          f"max {ms[-1]:7.1f} ms")


def _prepare(url: str) -> tuple[int, str, int]:
    """The assignment to bench (a scored subject of a class brought to 45 students), its teacher, its size."""
    engine = make_engine(url)
    with session_scope(engine) as session, context.on_date(TODAY):
        term = session.scalars(select(Term).where(Term.starts_on <= TODAY, Term.ends_on >= TODAY)).first()
        assert term is not None, "no term contains the bench day"
        ta, klass = session.execute(
            select(TeachingAssignment, Class).join(Class, Class.id == TeachingAssignment.class_id)
            .join(Subject, Subject.id == TeachingAssignment.subject_id)
            .where(TeachingAssignment.term_id == term.id, Subject.assessment == Assessment.SCORE,
                   Subject.code == "toan").order_by(Class.name)).first()
        size = session.scalar(select(func.count()).select_from(Enrolment).where(
            Enrolment.class_id == klass.id, Enrolment.status == EnrolmentStatus.ACTIVE)) or 0
        admin = _admin(session)
        school = session.get(School, klass.school_id)
        if size < CLASS_SIZE:
            extra = students.add_students(session, admin, school, [{
                "code": f"BENCH{n:03d}", "family_name": "Nguyễn", "middle_name": "Thị Thanh",
                "given_name": f"Bench {n:02d}", "date_of_birth": dt.date(2014, 5, 1 + n), "gender": "Nữ",
                "ethnicity": "Kinh"} for n in range(CLASS_SIZE - size)])
            for pupil in extra:
                students.transfer_in(session, admin, klass, pupil, on=TODAY, from_school="Trường THCS Đo Tốc Độ")
        teacher = session.get(User, ta.teacher_id)
        assert teacher is not None
        result = ta.id, teacher.username, CLASS_SIZE
    engine.dispose()
    return result


def _admin(session) -> Actor:  # type: ignore[no-untyped-def]
    from records.models import Role, RoleGrant

    user_id = session.scalar(select(RoleGrant.user_id).where(RoleGrant.role == Role.ADMINISTRATOR,
                                                             RoleGrant.school_id.is_not(None)).order_by(RoleGrant.id))
    return Actor.load(session, user_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--loads", type=int, default=60)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        if args.db is None:
            seconds = build_demo_school(url, args.students, TODAY)
            print(f"demo school of {args.students} students built in {seconds:.0f} s")
        assignment, username, size = _prepare(url)
        app = create_app(url, SODIENTU_TODAY=TODAY)
        client = app.test_client()
        page = client.get("/dang-nhap").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        signed = client.post("/dang-nhap", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert signed.status_code == 302, "sign-in failed"
        grid_url = f"/giao-vien/phan-cong/{assignment}"
        html = client.get(grid_url).get_data(as_text=True)
        column = _free_column(html)
        print(f"grid {grid_url}: {size} students, column {column} saved; page {len(html)} bytes")
        saves: list[float] = []
        reloads: list[float] = []
        for run in range(args.runs):
            html = client.get(grid_url).get_data(as_text=True)
            fields = dict(re.findall(r'<input name="(m-\d+-\w+)" value="([^"]*)"', html))
            fields = {k: v for k, v in fields.items() if not _disabled(html, k)}
            for name in fields:
                if name.endswith(f"-{column}"):
                    fields[name] = f"{5 + run % 5},{run % 10}"
            fields["version"] = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
            fields["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
            start = time.perf_counter()
            response = client.post(grid_url, data=fields)
            saves.append(time.perf_counter() - start)
            assert response.status_code == 303, response.get_data(as_text=True)[:500]
            start = time.perf_counter()
            client.get(grid_url)
            reloads.append(time.perf_counter() - start)
        _figures(f"POST grid (whole sheet, {size}-mark column)", saves)
        _figures("GET grid after a save (redirect target)", reloads)
        for name, target in (("GET grid", grid_url), ("GET comments page", grid_url + "/nhan-xet"),
                             ("GET /giao-vien (my classes, progress)", "/giao-vien")):
            client.get(target)
            samples = []
            for _ in range(args.loads):
                start = time.perf_counter()
                response = client.get(target)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200
            _figures(name, samples)
        app.extensions["sodientu.engine"].dispose()


def _disabled(html: str, name: str) -> bool:
    tag = html[html.index(f'name="{name}"'):]
    return " disabled" in tag[:tag.index(">")]


def _free_column(html: str) -> str:
    """A regular-mark column: the highest shown (the spare one, usually empty)."""
    keys = sorted({k for k in re.findall(r'name="m-\d+-(tx\d+)"', html)}, key=lambda k: int(k[2:]))
    return keys[-1]


if __name__ == "__main__":
    main()
