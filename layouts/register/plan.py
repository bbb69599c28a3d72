"""Sổ đăng bộ (the enrolment register of a course): records → :class:`RegisterInput` → document → PDF.

One line per student admitted to the course (khóa học, e.g. 2022-2026) with the columns of
BOOKS.md §3: register number, name, date of birth, gender, ethnicity, place of birth, address,
parents (or guardian) with occupations, entry (date, class, school came from), the year-by-year
tracking of grades 6 to 9 (class, school year, decision; a repeated grade shows both years),
leaving (date, reason or school gone to) and notes. The same builder prints the register at the
start of each year and, complete, at the end of the course (CV 1540 §2.2.3 b).

The book is A3 landscape (A4 landscape on request). Page breaks come from Typst's own layout
(:func:`plan_lines`: one measuring pass of :mod:`layouts.paginate`, the lines packed into pages);
each page of the document holds its lines, and :func:`render_register` checks that Typst produced
exactly those pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from layouts.documents import BookDocument, BookMeta, Page, Paper, page_sides
from layouts.paginate import Flow, paginate
from layouts.transcript import fmt_date, long_date, school_upper
from records.books.register import (
    RegisterInput,
    RegisterLine,
    YearTrack,
    parse_course,
)
from records.errors import ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy.orm import Session

    from layouts.publish import Published
    from records.permissions import Actor
    from signing.pdfsign import PdfSigner

TEMPLATE = "register"

#: The columns of the list, in table order.
COLUMNS = ("number", "name", "dob", "gender", "ethnicity", "birthplace", "address", "parents", "entry_date",
           "entry_class", "entry_from", "g6", "g7", "g8", "g9", "left_date", "left_reason", "notes")
#: Column widths in mm per paper (landscape content: A3 381 mm at 8 pt, A4 265 mm at 7 pt), sent to
#: the template with each list page. Each holds its longest unbreakable value on one line: a date,
#: "1234/THCS" (A3; "123/THCS" on A4), "(2023-2024)".
COLUMNS_MM: dict[str, tuple[float, ...]] = {
    "a3": (17, 36, 16, 9, 12, 29, 34, 40, 16, 9, 24, 20, 20, 20, 20, 16, 27, 16),
    "a4": (13, 22, 14.5, 7, 9, 18, 20, 25, 14.5, 7.5, 14, 14, 14, 14, 14, 14.5, 18, 12),
}


# --- document construction (pure) ------------------------------------------------------------


def _track_text(t: YearTrack) -> str:
    parts = [f"{t.class_name} ({t.year})"]
    if t.school:
        parts.append(t.school)
    if t.outcome:
        parts.append(t.outcome)
    return "\n".join(parts)


def line_cells(line: RegisterLine) -> dict[str, str]:
    """The printed cells of a line, by column key."""
    parents = [p for p in (
        f"Cha: {line.father}" if line.father else "",
        f"Mẹ: {line.mother}" if line.mother else "",
        f"Người giám hộ: {line.guardian}" if line.guardian else "",
    ) if p]
    cells = {
        "number": line.number,
        "name": line.full_name,
        "code": line.student_code + (f" · Mã ĐD: {line.moet_id}" if line.moet_id else ""),
        "dob": fmt_date(line.date_of_birth),
        "gender": line.gender,
        "ethnicity": line.ethnicity,
        "birthplace": line.place_of_birth,
        "address": line.address,
        "parents": "\n".join(parents),
        "entry_date": fmt_date(line.entry_date),
        "entry_class": line.entry_class,
        "entry_from": line.entry_from,
        "left_date": fmt_date(line.left_on),
        "left_reason": line.left_reason,
        "notes": line.notes,
    }
    for level in (6, 7, 8, 9):
        cells[f"g{level}"] = "\n".join(_track_text(t) for t in line.tracks if t.grade == level)
    return cells


def plan_lines(rows: Sequence[Mapping[str, Any]], head: Mapping[str, Any], paper: Paper = "a3") -> list[list[int]]:
    """Indices of the lines on each list page, from Typst's measurements (:mod:`layouts.paginate`).

    The whole list is one flow: the measuring pass reports the height of the repeated header (the
    title line and the column heads) and of each line (a line never breaks); the lines are packed
    into pages, each printed as one entry holding its lines.
    """
    if not rows:
        return [[]]
    book = BookMeta(kind="register", title="SỔ ĐĂNG BỘ", school="", district="", province="", class_name="",
                    year="", regime="tt22", paper=paper, orientation="landscape").to_dict()
    ranges = paginate(TEMPLATE, book, [Flow("register-list", {"head": head, "rows": list(rows)})])[0]
    return [list(r) for r in ranges]


def build_register(inp: RegisterInput, *, paper: Paper = "a3", duplex: bool = False) -> BookDocument:
    """The register document: cover, list pages (as many as the lines take), closing page.

    A3 landscape is the register's own format; A4 landscape holds the same columns at 7 pt. Two-sided,
    the back of the cover is left blank so that the list starts on a recto."""
    if paper not in ("a3", "a4"):
        raise ValidationError(f"Khổ giấy không hợp lệ: «{paper}» (a3 hoặc a4).", f"invalid paper {paper!r}")
    cells = [line_cells(line) for line in inp.lines]
    head = {
        "school": inp.school.school, "course": inp.course,
        "printed": f"In ngày {fmt_date(inp.printed_on)}" if inp.printed_on else "",
        "widths": [f"{w:g}" for w in COLUMNS_MM[paper]],
    }
    groups = plan_lines(cells, head, paper)
    first_list = 3 if duplex else 2
    total = first_list + len(groups)
    sides = list(page_sides(total, duplex))
    pages = [
        Page(no=1, kind="register-cover", side=sides[0], data={
            "title": "SỔ ĐĂNG BỘ",
            "level": "TRUNG HỌC CƠ SỞ",
            "school": school_upper(inp.school.school),
            "district": inp.school.district,
            "province": inp.school.province,
            "course": inp.course,
        })
    ]
    if duplex:
        pages.append(Page(no=2, kind="blank", side=sides[1], data={}))
    for k, group in enumerate(groups):
        pages.append(Page(no=first_list + k, kind="register-list", side=sides[first_list - 1 + k], data={
            "head": head,
            "rows": [cells[i] for i in group],
        }))
    female = sum(1 for line in inp.lines if line.gender == "Nữ")
    arrived = sum(1 for line in inp.lines if line.entry_from)
    left = sum(1 for line in inp.lines if line.left_on and "Hoàn thành" not in line.left_reason)
    pages.append(Page(no=total, kind="register-closing", side=sides[-1], data={
        "summary": [
            (f"Sổ đăng bộ khóa học {inp.course} có {total} trang, ghi danh {len(inp.lines)} học sinh "
            f"(trong đó {female} học sinh nữ)."),
            (f"Số học sinh chuyển đến trong khóa học: {arrived}. "
            f"Số học sinh chuyển đi hoặc thôi học: {left}."),
        ],
        "date": long_date(inp.school.district, inp.printed_on),
        "principal": inp.principal,
    }))
    meta = BookMeta(
        kind="register", title="SỔ ĐĂNG BỘ", school=inp.school.school, district=inp.school.district,
        province=inp.school.province, class_name=f"6–9, khóa học {inp.course}",
        year=recorded_year(inp), regime="tt22",
        paper=paper, orientation="landscape", duplex=duplex, part="all", total_pages=total,
    )
    return BookDocument(book=meta, pages=tuple(pages))


def recorded_year(inp: RegisterInput) -> str:
    """The school year the register is written up to: the latest year of the course in its lines
    (never the print date: a course printed after it ended still names its last year)."""
    first, last = parse_course(inp.course)
    years = [int(t.year[:4]) for line in inp.lines for t in line.tracks if t.year[:4].isdigit()]
    within = [y for y in years if first <= y < last]
    start = max(within) if within else first
    return f"{start}-{start + 1}"


def render_register(document: BookDocument) -> bytes:
    """Compile a register document to PDF (PDF/A-3b), checking that no page overflowed."""
    from layouts.render import render_document

    return render_document(TEMPLATE, document, pdf_standard="a-3b")


def print_register(
    session: Session, actor: Actor, course: str, *, school_code: str | None = None, printed_on: dt.date | None = None,
    paper: Paper = "a3", duplex: bool = False,
) -> bytes:
    """PDF of the enrolment register of a course (Sổ đăng bộ) as a *draft* (no codes, no edition,
    "BẢN NHÁP" in every QR slot), for anyone who may read the school's records; :func:`publish_register`
    prints the signed edition."""
    from records.books.register import read_register

    inp = read_register(session, actor, course, school_code=school_code, printed_on=printed_on or dt.date.today())
    return render_register(build_register(inp, paper=paper, duplex=duplex).as_draft())


def publish_register(
    session: Session,
    actor: Actor,
    course: str,
    *,
    private_key: Ed25519PrivateKey,
    school_code: str | None = None,
    pdf_signer: PdfSigner | None = None,
    issued_on: dt.date | None = None,
    paper: Paper = "a3",
    duplex: bool = False,
) -> Published:
    """Publish the register of a course as a signed edition (``layouts.publish``); the caller commits.

    "In ngày" and the principal's date are the edition's issue date; the course tells a school's
    registers apart (``Edition.part``), so a new print supersedes that course's only.
    """
    from layouts.publish import Scope, publish
    from records.books.register import read_register, register_school
    from records.services.context import today

    issued = issued_on or today()
    school = register_school(session, course, school_code)
    inp = read_register(session, actor, course, school_code=school.code, printed_on=issued)
    return publish(session, actor, build_register(inp, paper=paper, duplex=duplex), template=TEMPLATE,
                   scope=Scope(school.id, part=inp.course), private_key=private_key, issued_on=issued,
                   pdf_signer=pdf_signer)
