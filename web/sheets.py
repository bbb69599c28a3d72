"""One way to show a sheet's save conflict, for every sheet (marks, subject comments, attendance, conduct).

When a save presents an old version (another tab or computer saved the sheet in between), the page shows the
**server's** current values in the grid, with the new version in the form; each cell where what this user
typed differs is outlined and shows the user's value under it ("Bạn: …", ``data-mine`` on the field); a table
lists those cells (who, column, typed, now stored); "Áp dụng lại giá trị của tôi" (``web/static/grid.js``)
puts them back into the grid to review and save, and "Lưu ngay các giá trị của tôi" posts them against the
new version without script. Nothing typed is lost; and only what the user changed on the page is offered
(``changed_names``): a cell they never touched but someone else changed is not offered back. Templates: ``_sheet.html`` (``conflict_box``,
``mine_attrs``, ``mine_note``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from records.services.limits import SUBJECT_COMMENT_MAX

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: typed values are shown back at most this long (a comment is refused beyond its limit anyway)
ECHO_MAX = 2 * SUBJECT_COMMENT_MAX
T = TypeVar("T")


def echo(text: str) -> str:
    """A typed value as a page shows it again: control characters made visible, cut at ``ECHO_MAX``."""
    return _CONTROL.sub("\ufffd", text[:ECHO_MAX])


@dataclass(frozen=True)
class Line:
    """One differing cell: the form field, the student, the column, what the user typed, what is stored."""

    name: str
    who: str
    column: str
    mine: str
    stored: str


@dataclass
class Conflict:
    """The cells of a stale save that differ from the stored sheet, and the versions to save them against."""

    lines: list[Line]
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def mine(self) -> dict[str, str]:
        """Field name → the user's value (``data-mine``)."""
        return {line.name: line.mine for line in self.lines}


def conflict(lines: Iterable[Line], versions: Mapping[str, int]) -> Conflict:
    """A conflict of these differing cells (values echoed safely), to be saved against ``versions``."""
    return Conflict([Line(x.name, x.who, x.column, echo(x.mine), x.stored) for x in lines], dict(versions))


def changed_names(form: Mapping[str, str]) -> set[str] | None:
    """The fields the user changed on the page (the ``changed`` field grid.js adds to a sheet's form), or
    ``None`` when the form came without it (no script, or the "save mine now" form): then every posted value
    counts as the user's."""
    raw = form.get("changed")
    return None if raw is None else set(raw[:200_000].split())


def only_changed(posted: Mapping[str, T], form: Mapping[str, str]) -> dict[str, T]:
    """The posted values the user changed (by field name): after a conflict, the stale copy of a cell the user
    never touched is not offered back as theirs (re-applying it would undo the other save)."""
    changed = changed_names(form)
    return {name: value for name, value in posted.items() if changed is None or name in changed}


def stale_message(differing: bool) -> str:
    """What the page says above a stale save's grid."""
    told = ("Trong lúc bạn nhập, bảng này đã được lưu ở nơi khác (một thẻ hay máy khác): những gì bạn vừa nhập "
            "CHƯA được lưu. Bảng dưới đây là dữ liệu hiện có trên máy chủ. ")
    if differing:
        return told + ("Giá trị bạn đã nhập không bị mất: chúng được ghi dưới từng ô khác nhau (viền cam) và trong "
                       "danh sách bên dưới.")
    return told + "Mọi giá trị bạn gửi đều trùng với dữ liệu hiện có: không còn gì phải lưu."
