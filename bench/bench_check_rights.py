"""The check step's print rights of a school year's print: ``authorize_print`` + the key, per book, against
``editions.PrintRights`` (one per task's read transaction), as ``layouts.batch`` calls them.

Usage: .venv/bin/python bench/bench_check_rights.py --db sqlite:////tmp/demo600.sqlite [--rounds 3]

The school year's jobs in tasks (``make_tasks``) and their books' scopes (as ``layouts.batch._load`` makes them,
without building the documents) are read once; then, alternately, each way over all tasks in a fresh read
session per task (the ORM objects of the scopes' reads gone, as after the load step). Prints CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select
from sqlalchemy.orm import Session

from layouts.batch import MARKBOOK, REGISTER, TRANSCRIPT, make_tasks, year_end_jobs
from layouts.publish import Scope, _require_active_key
from records.books.owners import class_owner, school_year_id, student_owners
from records.books.register import register_school
from records.db import make_engine
from records.models import Role, School, SigningKey
from records.permissions import Actor
from records.services.editions import PrintRights, authorize_print
from web.commands.demo import _user_with_role


def _scopes(session: Session, task: tuple) -> list[Scope]:
    out = []
    codes = [str(j.ids[0]) for j in task if j.kind == TRANSCRIPT]
    owners = student_owners(session, codes) if codes else {}
    for job in task:
        if job.kind == MARKBOOK:
            o = class_owner(session, int(job.ids[0]))
            out.append(Scope(o.school_id, class_id=int(job.ids[0]), school_year_id=o.school_year_id))
        elif job.kind == REGISTER:
            school = register_school(session, str(job.ids[0]), job.option("school_code"))
            out.append(Scope(school.id, part=str(job.ids[0])))
        else:
            o = owners[str(job.ids[0])]
            if job.option("year"):
                start = int(str(job.option("year")).split("-")[0])
                out.append(Scope(o.school_id, student_id=o.student_id,
                                 school_year_id=school_year_id(session, o.school_id, start)))
            if job.option("volume"):
                out.append(Scope(o.school_id, student_id=o.student_id))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine = make_engine(args.db, read_only=True)
    with Session(engine) as session:
        school = session.scalars(select(School).where(School.external.is_(False))).one()
        actor = Actor.by_username(session, _user_with_role(session, school.id, Role.OFFICE))
        jobs = year_end_jobs(session, school.code, 2025)
        tasks = make_tasks(jobs)
        scopes = [_scopes(session, task) for task in tasks]
        kid = session.scalars(select(SigningKey.key_id)).first()
    print(f"{len(tasks)} tasks, {sum(map(len, scopes))} books; key {kid}; load average {os.getloadavg()[0]:.1f}")

    def per_book() -> float:
        t0 = time.process_time()
        for task in scopes:
            with Session(engine) as session:
                for s in task:
                    authorize_print(session, actor, school_id=s.school_id, class_id=s.class_id,
                                    student_id=s.student_id, school_year_id=s.school_year_id)
                    if kid:
                        _require_active_key(session, kid, s.school_id)
        return time.process_time() - t0

    def rights() -> float:
        t0 = time.process_time()
        for task in scopes:
            with Session(engine) as session:
                r = PrintRights(session, actor, [s.student_id for s in task
                                                 if s.class_id is None and s.student_id is not None])
                for s in task:
                    r.authorize(school_id=s.school_id, class_id=s.class_id, student_id=s.student_id,
                                school_year_id=s.school_year_id)
                    if kid:
                        _require_active_key(session, kid, s.school_id, r)
        return time.process_time() - t0

    a, b = [], []
    for _ in range(args.rounds):
        a.append(per_book())
        b.append(rights())
    print("per book (authorize_print + find_key):", ", ".join(f"{x:.2f}" for x in a),
          f"median {statistics.median(a):.2f} CPU s")
    print("PrintRights per task:                 ", ", ".join(f"{x:.2f}" for x in b),
          f"median {statistics.median(b):.2f} CPU s")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
