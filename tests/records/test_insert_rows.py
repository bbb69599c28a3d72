"""``records.db.insert_rows``: the driver-level bulk insert stores what a Core insert stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, insert, select

from records.db import insert_rows
from records.models.base import Tenths, UTCDateTime


def _tables() -> tuple[MetaData, Table, Table]:
    meta = MetaData()
    plain = Table("plain", meta, Column("id", Integer, primary_key=True), Column("name", String(20)))
    typed = Table("typed", meta, Column("id", Integer, primary_key=True), Column("score", Tenths),
                  Column("day", Date), Column("at", UTCDateTime), Column("note", String(20)))
    return meta, plain, typed


def test_rows_without_bind_processors_are_inserted() -> None:
    meta, plain, _ = _tables()
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with engine.begin() as connection:
        insert_rows(connection, plain, ("id", "name"), [(1, "Hà"), [2, None]])
        insert_rows(connection, plain, ("id", "name"), [])
        assert connection.execute(select(plain.c.id, plain.c.name).order_by(plain.c.id)).all() == [(1, "Hà"), (2, None)]


def test_shared_and_distinct_values_stored_as_core_stores_them() -> None:
    meta, _, typed = _tables()
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    at = dt.datetime(2026, 3, 10, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    day = dt.date(2026, 3, 9)
    values = [(Decimal("7.5"), day, at, "a"), (Decimal("7.50"), day, at, None), (7, dt.date(2026, 3, 9), None, "b"),
              (None, None, at.astimezone(dt.UTC), "c"), (Decimal("0.0"), day, at, "d")]
    with engine.begin() as connection:
        insert_rows(connection, typed, ("id", "score", "day", "at", "note"),
                    [(i, *v) for i, v in enumerate(values, start=1)])
        connection.execute(insert(typed), [dict(zip(("id", "score", "day", "at", "note"), (100 + i, *v), strict=True))
                                           for i, v in enumerate(values, start=1)])
        raw = connection.exec_driver_sql("SELECT id, score, day, at, note FROM typed ORDER BY id").all()
    ours, core = raw[:len(values)], raw[len(values):]
    assert [r[1:] for r in ours] == [r[1:] for r in core]
    assert ours[0][1] == ours[1][1] == 75 and ours[2][1] == 70


def test_a_row_of_the_wrong_width_is_refused() -> None:
    meta, _, typed = _tables()
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with engine.begin() as connection, pytest.raises(ValueError):
        insert_rows(connection, typed, ("id", "score"), [(1, Decimal(5)), (2,)])
