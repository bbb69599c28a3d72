"""The demo school a bench measures on: built once into a temporary SQLite file (or an existing database)."""

from __future__ import annotations

import datetime as dt
import time

from records.db import make_engine, session_scope
from records.demo.build import DemoConfig, build_demo, prepare_database


def build_demo_school(url: str, students: int, today: dt.date) -> float:
    """Build the demo school of ``students`` as of ``today`` in the empty database ``url``; the seconds taken."""
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        prepare_database(engine)
        with session_scope(engine) as session:
            build_demo(session, DemoConfig(students=students, today=today))
    finally:
        engine.dispose()
    return time.perf_counter() - started
