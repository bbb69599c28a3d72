"""How long archived items are kept: the rules are data (``archive/retention.json``), read here.

A rule has a name ("permanent", "10y", …) and a number of years (``None`` = permanent); a kind of item
(and, for issued editions and scans, the book they are of) names its rule. The period is counted from
the deposit date. Sources and decisions: docs/ARCHIVE.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from records.errors import ValidationError
from records.models import ArchiveKind

BOOK_KINDS = (ArchiveKind.ISSUED_EDITION, ArchiveKind.BOOK_SCAN)  # their rule depends on the book


@dataclass(frozen=True)
class RetentionRule:
    """A named retention period (``years`` None: permanent)."""

    name: str
    years: int | None
    label_vi: str

    @property
    def permanent(self) -> bool:
        """Kept for ever."""
        return self.years is None

    def until(self, deposited: dt.date) -> dt.date | None:
        """The last day the item must be kept (None: permanent)."""
        if self.years is None:
            return None
        try:
            return deposited.replace(year=deposited.year + self.years)
        except ValueError:  # 29 February
            return deposited.replace(year=deposited.year + self.years, day=28)


@functools.cache
def _table() -> dict[str, Any]:
    text = resources.files("archive").joinpath("retention.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def rules() -> dict[str, RetentionRule]:
    """Every rule of the table, by name."""
    return {name: RetentionRule(name, spec["years"], spec["label_vi"]) for name, spec in _table()["rules"].items()}


def rule(name: str) -> RetentionRule:
    """The rule of that name (``ValidationError`` for an unknown one)."""
    found = rules().get(name)
    if found is None:
        raise ValidationError(f"Không có thời hạn bảo quản «{name}».", f"unknown retention rule {name!r}")
    return found


def rule_for(kind: ArchiveKind, book: str | None = None) -> RetentionRule:
    """The rule of a kind of item (for issued editions and scans: of their book, an ``EditionKind`` value)."""
    kinds: dict[str, str] = _table()["kinds"]
    if kind in BOOK_KINDS:
        name = kinds.get(f"{kind.value}/{book or 'other'}") or kinds[f"{kind.value}/other"]
    else:
        name = kinds[kind.value]
    return rule(name)
