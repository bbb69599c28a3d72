"""Benchmark of the class-list import: 600 students in 16 classes from one .xlsx (and the same as .csv).

Usage: .venv/bin/python bench/bench_import.py [--students 600] [--db URL]

Sets up a school and its 2025-2026 year through the services in a fresh database (a temporary SQLite
file unless ``--db`` is given; a given database is RESET first!), writes a class list with the
demo's Vietnamese names (a title row, text dates), and prints the wall time of: reading and checking
(dry run), the import (create, enrol, trace) and importing the same file again (nothing changes).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook

from records.db import make_engine, session_scope
from records.demo import generator as gen
from records.demo.build import prepare_database
from records.interop.common import ImportOptions
from records.interop.sheets import SpreadsheetFile
from records.interop.students import import_students
from records.models import Role
from records.permissions import Actor
from records.services import setup

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Nơi sinh", "Lớp"]


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> str:
    """Wall and CPU seconds since ``start`` (the machine is shared: CPU is the steadier figure)."""
    return f"{time.perf_counter() - start[0]:.2f} s ({time.process_time() - start[1]:.2f} s CPU)"


def _rows(students: int) -> list[list[object]]:
    rows = []
    for i in range(students):
        level = 6 + i % 4
        pupil = gen.make_pupil(2026, i + 1, birth_year=2025 - level - 5, level=level, code=f"B{i:05d}",
                               course="2025-2029")
        p = pupil.personal
        rows.append([i + 1, " ".join(x for x in (p["family_name"], p["middle_name"], p["given_name"]) if x),
                     f"{p['date_of_birth']:%d/%m/%Y}", p["gender"], p["ethnicity"], p.get("place_of_birth"),
                     f"{level}A{1 + (i // 4) % 4}"])
    return rows


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(["DANH SÁCH HỌC SINH NĂM HỌC 2025-2026"])
    ws.merge_cells("A1:G1")
    ws.append([])
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _school(engine) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    system = Actor.system("bench")
    with session_scope(engine) as session:
        school = setup.create_school(session, system, code="BENCH", name="Trường THCS Đo Tốc Độ", district="Mộc Châu",
                                     province="Sơn La")
        admin = setup.create_user(session, system, username="quantri", full_name="Quản Trị", school=school,
                                  roles=[Role.ADMINISTRATOR])
        actor = Actor.load(session, admin.id)
        year = setup.create_school_year(session, actor, school, 2025)
        for grade in year.grades:
            for n in range(1, 5):
                setup.create_class(session, actor, grade, f"{grade.level}A{n}")
        return school.id, admin.username


def _timed(engine, username: str, source: SpreadsheetFile, school_id: int, dry_run: bool):  # type: ignore[no-untyped-def]
    started = _clock()
    with session_scope(engine) as session:
        report = import_students(session, Actor.by_username(session, username), source,
                                 ImportOptions(school_id=school_id, dry_run=dry_run))
    assert report.ok, [i.text_vi() for i in report.errors][:5]
    return _since(started), report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--db", default=None, help="database URL (RESET before the run); default: temp SQLite")
    args = parser.parse_args()
    rows = _rows(args.students)
    for kind, data in (("xlsx", _xlsx(rows)), ("csv", _csv(rows))):
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
            prepare_database(engine, reset=True)
            school_id, username = _school(engine)
            source = SpreadsheetFile(f"danh_sach.{kind}", data)
            dry, _ = _timed(engine, username, source, school_id, True)
            real, report = _timed(engine, username, source, school_id, False)
            again, second = _timed(engine, username, source, school_id, False)
            engine.dispose()
        print(f"{kind}: {args.students} students ({len(data) / 1024:.0f} KiB) on {engine.dialect.name}: "
              f"dry run {dry}, import {real} ({dict(report.counts())}), "
              f"same file again {again} ({dict(second.counts())})")


if __name__ == "__main__":
    main()
