"""Benchmark of the homeroom teacher's pages on the demo school (served as of 2026-03-10).

Usage: .venv/bin/python bench/bench_web_homeroom.py [--students 600] [--rounds 20] [--db URL]

Builds the demo school (``records.demo``; 600 students, about 37 a class, by default) in a temporary SQLite
file unless ``--db`` names one already built, signs in as the first class's homeroom teacher through the
Flask test client (in process: the figures are the application's time, without the network) and prints
median, p95 and maximum per page: the home page, the roll, a student, a month of attendance, conduct and
comments, results, the check before locking; then the writes: saving a whole month of attendance
(every cell of every student), a conduct sheet, computing the term's results.
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
from sqlalchemy import select

from records.db import make_engine, session_scope
from records.models import Class, Enrolment, Role, RoleGrant, User
from web.app import create_app

TODAY = dt.date(2026, 3, 10)
PASSWORD = "sodientu-demo"


def _figures(name: str, samples: list[float]) -> list[float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
    print(f"{name:<46} n={len(ms):<4} min {ms[0]:6.1f}   median {statistics.median(ms):6.1f}   p95 {p95:6.1f}   "
          f"max {ms[-1]:6.1f} ms")
    return ms


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        if args.db is None:
            seconds = build_demo_school(url, args.students, TODAY)
            print(f"demo school of {args.students} students built in {seconds:.1f} s")
        engine = make_engine(url)
        with session_scope(engine) as session:
            user, class_id = session.execute(
                select(User.username, Class.id).join(RoleGrant, RoleGrant.user_id == User.id)
                .join(Class, Class.homeroom_teacher_id == User.id)
                .where(RoleGrant.role == Role.HOMEROOM_TEACHER).order_by(Class.id.desc()).limit(1)).one()
            size = session.query(Enrolment).filter(Enrolment.class_id == class_id).count()
            student = session.scalars(select(Enrolment.student_id).where(Enrolment.class_id == class_id)).first()
        engine.dispose()
        app = create_app(url, SODIENTU_TODAY=TODAY)
        client = app.test_client()
        page = client.get("/dang-nhap").get_data(as_text=True)
        assert client.post("/dang-nhap", data={"username": user, "password": PASSWORD,
                                               "csrf_token": _token(page)}).status_code == 302
        print(f"homeroom teacher {user}, class id {class_id} ({size} students on the roll)")
        base = f"/chu-nhiem/lop/{class_id}"
        pages = {
            "home /chu-nhiem": "/chu-nhiem", "roll": base, "student (personal data)": f"/chu-nhiem/hoc-sinh/{student}",
            "attendance, this month": base + "/diem-danh", "attendance, October (term I, locked)": base + "/diem-danh?thang=2025-10",
            "conduct + comments HK II": base + "/hanh-kiem?ky=hk2", "conduct + comments, year": base + "/hanh-kiem?ky=cn",
            "results HK I": base + "/ket-qua?ky=hk1", "results, year": base + "/ket-qua?ky=cn",
            "check before locking HK I": base + "/kiem-tra?ky=hk1", "check before locking, year": base + "/kiem-tra?ky=cn",
        }
        everything: list[float] = []
        for name, path in pages.items():
            samples = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                response = client.get(path)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
            everything += _figures(f"GET {name}", samples)
        everything.sort()
        print(f"{'all pages':<46} n={len(everything):<4} p95 {everything[int(len(everything) * 0.95) - 1]:7.1f} ms")
        # writes: a whole month typed (every open cell), then cleared again
        saves = []
        for round_ in range(min(args.rounds, 6)):
            html = client.get(base + "/diem-danh").get_data(as_text=True)
            cells = re.findall(r'name="(d-\d+-\d+)"', html)
            version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
            data = {"csrf_token": _token(html), "version": version}
            data |= {c: ("P" if (i + round_) % 3 == 0 else "K" if (i + round_) % 3 == 1 else "") for i, c in enumerate(cells)}
            started = time.perf_counter()
            response = client.post(base + "/diem-danh", data=data)
            saves.append(time.perf_counter() - started)
            assert response.status_code == 303, response.get_data(as_text=True)[:500]
        _figures(f"POST attendance month ({len(cells)} cells)", saves)
        saves = []
        for round_ in range(min(args.rounds, 6)):
            html = client.get(base + "/hanh-kiem?ky=hk2").get_data(as_text=True)
            levels = re.findall(r'name="(level-\d+)"', html)
            options = re.findall(r"<option>([^<]+)</option>", html)[:2]
            data = {"csrf_token": _token(html),
                    "conduct_version": re.search(r'name="conduct_version" value="(\d+)"', html).group(1),  # type: ignore[union-attr]
                    "comment_version": re.search(r'name="comment_version" value="(\d+)"', html).group(1)}  # type: ignore[union-attr]
            data |= {name: options[(i + round_) % 2] for i, name in enumerate(levels)}
            data |= {name.replace("level", "comment"): f"Nhận xét lần {round_}." for name in levels}
            started = time.perf_counter()
            response = client.post(base + "/hanh-kiem?ky=hk2", data=data)
            saves.append(time.perf_counter() - started)
            assert response.status_code == 303
        _figures(f"POST conduct + comments ({len(levels)} students)", saves)
        saves = []
        for _ in range(3):
            html = client.get(base + "/ket-qua?ky=hk2").get_data(as_text=True)
            started = time.perf_counter()
            response = client.post(base + "/ket-qua?ky=hk2", data={"csrf_token": _token(html)})
            saves.append(time.perf_counter() - started)
            assert response.status_code == 303
        _figures("POST compute results HK II", saves)
        app.extensions["sodientu.engine"].dispose()


if __name__ == "__main__":
    main()
