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
from layouts.register.inputs import (
    RegisterInput,
    parse_course,
)
from layouts.register.vocabulary import TITLE
from records.errors import ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy.orm import Session

    from layouts.publish import Published
    from records.permissions import Actor
    from signing.pdfsign import PdfSigner
from layouts.register.pages import (
    closing_data,
    cover_data,
    line_cells,
    list_head,
)

TEMPLATE = "register"


def plan_lines(rows: Sequence[Mapping[str, Any]], head: Mapping[str, Any], paper: Paper = "a3") -> list[list[int]]:
    """Indices of the lines on each list page, from Typst's measurements (:mod:`layouts.paginate`).

    The whole list is one flow: the measuring pass reports the height of the repeated header (the
    title line and the column heads) and of each line (a line never breaks); the lines are packed
    into pages, each printed as one entry holding its lines.
    """
    if not rows:
        return [[]]
    book = BookMeta(kind="register", title=TITLE, school="", district="", province="", class_name="",
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
    head = list_head(inp, paper)
    groups = plan_lines(cells, head, paper)
    first_list = 3 if duplex else 2
    total = first_list + len(groups)
    sides = list(page_sides(total, duplex))
    pages = [
        Page(no=1, kind="register-cover", side=sides[0], data=cover_data(inp))
    ]
    if duplex:
        pages.append(Page(no=2, kind="blank", side=sides[1], data={}))
    for k, group in enumerate(groups):
        pages.append(Page(no=first_list + k, kind="register-list", side=sides[first_list - 1 + k], data={
            "head": head,
            "rows": [cells[i] for i in group],
        }))
    pages.append(Page(no=total, kind="register-closing", side=sides[-1], data=closing_data(inp, total)))
    meta = BookMeta(
        kind="register", title=TITLE, school=inp.school.school, district=inp.school.district,
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
