"""What the register is built from: the input dataclasses read by ``records.books.register.read_register``
(re-exported here) and the builder's paper option."""

from __future__ import annotations

from layouts.documents import Paper
from records.books.register import RegisterInput, RegisterLine, YearTrack, parse_course

__all__ = ["Paper", "RegisterInput", "RegisterLine", "YearTrack", "parse_course"]
