"""The service clock: "today" for rights (current term), the cut-off and locks, injectable.

Production reads the local date. Tests and the demo (which writes four years of history through the
services) set it with ``on_date(day)``, or pass ``today=`` to the service functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_today: ContextVar[dt.date | None] = ContextVar("sodientu_today", default=None)

#: Vietnam time (UTC+7, no daylight saving): the school's calendar day.
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")


def today(given: dt.date | None = None) -> dt.date:
    """The date services act on: ``given`` if set, else the one set by ``on_date``, else the local date."""
    if given is not None:
        return given
    fixed = _today.get()
    return fixed if fixed is not None else dt.date.today()


def now() -> dt.datetime:
    """The time a service stamps on a decision (aware, UTC): the wall clock, or inside ``on_date(day)``
    that day (in Vietnam time) at the wall clock's time of day, so back-dated work is dated that day."""
    wall = dt.datetime.now(dt.UTC)
    fixed = _today.get()
    if fixed is None:
        return wall
    return dt.datetime.combine(fixed, wall.astimezone(VN_TZ).time(), VN_TZ).astimezone(dt.UTC)


def simulated_now(default: dt.date) -> dt.datetime:
    """``now()`` on the day set by ``on_date``, else on ``default`` (at the wall clock's time of day)."""
    fixed = _today.get()
    wall = dt.datetime.now(dt.UTC)
    return dt.datetime.combine(fixed or default, wall.astimezone(VN_TZ).time(), VN_TZ).astimezone(dt.UTC)


def vn_time(at: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored time (aware, or naive meaning UTC) as Vietnam's wall-clock time, for people to read."""
    if at is None:
        return ""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(VN_TZ).strftime(fmt)


def fix_today(day: dt.date) -> Token[dt.date | None]:
    """Act as if today were ``day`` until ``unfix_today(token)`` (a web request, around its handler)."""
    return _today.set(day)


def unfix_today(token: Token[dt.date | None]) -> None:
    """End what ``fix_today`` began."""
    _today.reset(token)


@contextmanager
def on_date(day: dt.date) -> Iterator[dt.date]:
    """Act as if today were ``day`` inside the block (tests, the demo's history, back-dated imports)."""
    token = _today.set(day)
    try:
        yield day
    finally:
        _today.reset(token)
