"""Declarative base, naming convention and small column helpers shared by all models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from sqlalchemy import DateTime, Enum, Integer, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; one metadata with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Tenths(TypeDecorator[Decimal]):
    """A score 0.0–10.0 with one decimal, stored exactly as an integer number of tenths.

    Storing tenths keeps SQLite (which has no decimal type) and PostgreSQL identical and exact.
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: object) -> int | None:
        if value is None:
            return None
        try:
            return _TENTHS_OF[value]  # numerically equal values give the same tenths
        except (KeyError, TypeError):
            pass
        tenths = Decimal(value) * 10
        if tenths != tenths.to_integral_value():
            raise ValueError(f"score {value} has more than one decimal place")
        return int(tenths)

    def process_result_value(self, value: int | None, dialect: object) -> Decimal | None:
        if value is None:
            return None
        try:
            return _SCORE_OF[value]
        except (KeyError, TypeError):
            return (Decimal(value) / 10).quantize(Decimal("0.1"))


# Every score of the scale (0.0–10.0) converted once: a sheet or a book reads and writes thousands.
_SCORE_OF: dict[int, Decimal] = {n: (Decimal(n) / 10).quantize(Decimal("0.1")) for n in range(101)}
_TENTHS_OF: dict[object, int] = {score: n for n, score in _SCORE_OF.items()}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite drops tzinfo otherwise)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


#: A replacement for the wall clock inside ``stamping_with`` (None: the wall clock).
_clock: ContextVar[Callable[[], dt.datetime] | None] = ContextVar("sodientu_clock", default=None)


def utcnow() -> dt.datetime:
    """Current time, timezone-aware UTC: the wall clock, or the clock set by ``stamping_with``."""
    clock = _clock.get()
    return clock() if clock is not None else dt.datetime.now(dt.UTC)


@contextmanager
def stamping_with(clock: Callable[[], dt.datetime]) -> Iterator[None]:
    """Stamp rows (audit entries, entered/computed/decided times, column defaults) with ``clock`` inside
    the block. Only the demo uses it: its years of history are stamped on their simulated days, so a
    demo built as of a past day holds nothing dated after that day. Never reachable from a request."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def str_enum(enum_cls: type, length: int) -> Enum:
    """A portable (VARCHAR + CHECK) enum column that stores the members' values, not names."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
