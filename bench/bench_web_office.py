"""Benchmark of the office's pages on the demo school (Flask test client: server time, no network).

Usage: .venv/bin/python bench/bench_web_office.py [--students 600] [--editions 600] [--requests 30] [--db URL]

Without ``--db`` the demo school is built (``records.demo.build``, as of 2026-03-10, no printing) in a
temporary SQLite file and ``--editions`` editions are recorded for its classes and students (as many as
a year's prints) so that the editions page has a realistic list. Prints median, p95 and max of each
office page, the JSON progress endpoint, an upload preview of a 40-student class list, and one draft
mark book printed within the request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_school import build_demo_school
from sqlalchemy import select

from records.db import make_engine, session_scope
from records.models import Class, EditionKind, Enrolment, Role, RoleGrant, User
from records.permissions import Actor
from records.services import editions as es
from records.services.context import on_date
from web.app import create_app

TODAY = dt.date(2026, 3, 10)
PASSWORD = "sodientu-demo"


def _figures(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
    print(f"{name:<46} n={len(ms):<4} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   "
          f"max {ms[-1]:7.1f} ms")


def _editions(url: str, count: int) -> None:
    """Record ``count`` editions (mark books and transcripts) as the office would print them."""
    engine = make_engine(url)
    with session_scope(engine) as session, on_date(TODAY):
        office = session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                 .where(RoleGrant.role == Role.OFFICE)).first()
        actor = Actor.load(session, office.id)
        school_id = next(g.school_id for g in actor.grants if g.role is Role.OFFICE)
        classes = list(session.scalars(select(Class).where(Class.school_id == school_id)))
        enrolments = list(session.execute(select(Enrolment.student_id, Enrolment.class_id)
                                          .where(Enrolment.class_id.in_([c.id for c in classes]))))
        for i in range(count):
            digest = hashlib.sha256(str(i).encode()).digest()[:16]
            pages = tuple(es.PrintedPage(n, "page", digest) for n in range(1, 5))
            if i % 3 == 0:
                klass = classes[i % len(classes)]
                draft = es.EditionDraft(uuid.uuid4(), EditionKind.MARK_BOOK, klass.school_id, f"Sổ lớp {klass.name}",
                                        TODAY, 4, pages, "k" * 16, "0" * 64, class_id=klass.id)
            else:
                student_id, class_id = enrolments[i % len(enrolments)]
                klass = session.get(Class, class_id)
                draft = es.EditionDraft(uuid.uuid4(), EditionKind.TRANSCRIPT, klass.school_id, "Học bạ", TODAY, 4,
                                        pages, "k" * 16, "0" * 64, student_id=student_id)
            es.create_edition(session, actor, draft)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--editions", type=int, default=600)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        if args.db is None:
            t0 = time.perf_counter()
            build_demo_school(url, args.students, TODAY)
            _editions(url, args.editions)
            print(f"demo school: {args.students} students, {args.editions} editions built in "
                  f"{time.perf_counter() - t0:.0f} s")
        engine = make_engine(url)
        with session_scope(engine) as session:
            office = session.scalars(select(User.username).join(RoleGrant, RoleGrant.user_id == User.id)
                                     .where(RoleGrant.role == Role.OFFICE)).first()
            from records.models import Grade, SchoolYear

            class_id, year_id = session.execute(
                select(Class.id, Grade.school_year_id).join(Grade, Grade.id == Class.grade_id)
                .join(SchoolYear, SchoolYear.id == Grade.school_year_id).join(User, User.school_id == Class.school_id)
                .where(User.username == office).order_by(SchoolYear.start_year.desc(), Class.id).limit(1)).one()
        engine.dispose()
        app = create_app(url, SODIENTU_TODAY=TODAY, SODIENTU_DATA_DIR=str(Path(tmp) / "data"))
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/dang-nhap").get_data(as_text=True))[1]
        assert client.post("/dang-nhap", data={"username": office, "password": PASSWORD,
                                               "csrf_token": token}).status_code == 302
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/van-phong/in").get_data(as_text=True))[1]

        t0 = time.perf_counter()
        response = client.post("/van-phong/in", data={"csrf_token": token, "book": "markbook", "edition": "draft",
                                                      "year_id": year_id, "scope": f"class:{class_id}",
                                                      "part": "all", "paper": "a4"})
        print(f"{'POST /van-phong/in (one draft mark book)':<46} {1000 * (time.perf_counter() - t0):7.0f} ms "
              f"(status {response.status_code})")
        job = response.location.rsplit("/", 1)[-1]
        csv = "STT,Họ và tên,Ngày sinh,Giới tính\n" + "".join(
            f"{i},Nguyễn Văn Thử {chr(65 + i % 26)}{i},{1 + i % 28:02d}/0{1 + i % 9}/2014,Nam\n" for i in range(1, 41))
        pages = ["/van-phong", "/van-phong/in", f"/van-phong/in/{job}", f"/van-phong/in/{job}/trang-thai",
                 "/van-phong/ban-in", "/van-phong/ban-in?sach=mark_book", f"/van-phong/ban-in?lop={class_id}",
                 "/van-phong/nhap-du-lieu"]
        every: list[float] = []
        for path in pages:
            client.get(path)  # warm-up
            samples = []
            for _ in range(args.requests):
                start = time.perf_counter()
                status = client.get(path).status_code
                samples.append(time.perf_counter() - start)
                assert status == 200, (path, status)
            every += samples
            _figures(f"GET {path}", samples)
        samples = []
        for _ in range(max(3, args.requests // 5)):
            start = time.perf_counter()
            preview = client.post("/van-phong/nhap-du-lieu", data={
                "csrf_token": token, "kind": "students", "class_name": "6A9", "create_classes": "1",
                "file": (io.BytesIO(csv.encode()), "lop.csv")}, content_type="multipart/form-data")
            samples.append(time.perf_counter() - start)
            assert preview.status_code == 200
        _figures("POST /van-phong/nhap-du-lieu (40-row preview)", samples)
        _figures("all office GET pages", every)
        app.extensions["sodientu.engine"].dispose()


if __name__ == "__main__":
    main()
