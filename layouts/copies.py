"""Papers of a transcript copy: the request form (đơn đề nghị cấp bản sao học bạ) and the
copy-issuance minutes (biên bản cấp bản sao học bạ), one document, two kinds of page.

:class:`CopyPapers` is plain data (the request as the office took it down, the copy's edition, the
substitute signers); :func:`build_copy_papers` makes the pages; ``templates/copies.typ`` lays them
out. The papers are published as one edition (kind ``copy_minutes``) so that, once signed and
scanned back, every page is matched by its code like any other book. Wording: no official template
exists (BOOKS.md §2.4); it follows the directive (CV §3 d) and the layout of a biên bản under
Nghị định 30/2020/NĐ-CP — see docs/COPIES.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from layouts.documents import BookDocument, BookMeta, Page
from layouts.formatting import dated_line, format_date, long_date

TEMPLATE = "copies"
FIRST_PAGE_ROWS = 8  # substitutes that fit under the minutes' text on its first page
MORE_PAGE_ROWS = 26
ROWS_WITH_SIGNATURES = 10  # rows that still leave room for the closing and the signatures


@dataclass(frozen=True)
class Substitute:
    """One signer of the copy in place of the original one."""

    year: str
    role: str
    original: str
    substitute: str
    substitute_role: str


@dataclass(frozen=True)
class CopyPapers:
    """Everything the request form and the minutes print."""

    number: str  # "01/2026/BSHB"
    school: str
    agency: str  # "Phòng Giáo dục và Đào tạo huyện …"
    district: str
    province: str
    principal: str
    clerk: str  # who received the request and checked the identity document
    requester: str
    relation: str
    id_document: str
    address: str
    reason: str
    received_on: dt.date
    student: str
    date_of_birth: dt.date
    years: str  # "2021-2022 đến 2024-2025 (lớp 6A1 – 9A1)"
    class_name: str  # the student's last class (page footers)
    register_number: str
    issued_on: dt.date
    copy_code: str  # printed code of the copy's edition
    copy_pages: int
    substitutes: tuple[Substitute, ...] = ()


def _school_year(d: dt.date) -> str:
    """The school year a date falls in (a year starts in August-September): "2026-2027"."""
    start = d.year if d.month >= 8 else d.year - 1
    return f"{start}-{start + 1}"


def _request_page(p: CopyPapers) -> dict[str, object]:
    return {
        "addressee": f"Hiệu trưởng {p.school}",
        "requester": p.requester,
        "relation": p.relation,
        "id_document": p.id_document,
        "address": p.address or "……",
        "student": p.student,
        "date_of_birth": format_date(p.date_of_birth),
        "years": p.years,
        "register_number": p.register_number or "……",
        "reason": p.reason,
        "pledge": "Tôi xin cam đoan những thông tin trên là đúng sự thật và chịu trách nhiệm về việc sử dụng "
                  "bản sao học bạ được cấp.",
        "date": dated_line(p.district, p.received_on),
        "signatures": [
            {"title": "NGƯỜI NHẬN ĐƠN", "note": "(Ký và ghi rõ họ tên)", "name": p.clerk},
            {"title": "NGƯỜI LÀM ĐƠN", "note": "(Ký và ghi rõ họ tên)", "name": p.requester},
        ],
        "office_note": f"Đơn số {p.number}, nhận ngày {format_date(p.received_on)}. Văn phòng đã kiểm tra giấy tờ tùy thân "
                       f"của người làm đơn ({p.id_document}). Đơn được lưu cùng biên bản cấp bản sao học bạ "
                       "trong hồ sơ phục vụ công tác thanh tra, kiểm tra.",
    }


def _signatures(p: CopyPapers) -> list[dict[str, str]]:
    blocks = [{"title": "NGƯỜI NHẬN BẢN SAO", "note": "(Ký và ghi rõ họ tên)", "name": p.requester},
              {"title": "NGƯỜI LẬP BIÊN BẢN", "note": "(Ký và ghi rõ họ tên)", "name": p.clerk}]
    heads: dict[str, str] = {}
    for s in p.substitutes:
        if s.substitute != p.principal:
            heads.setdefault(s.substitute, s.substitute_role)
    for name, role in heads.items():
        blocks.append({"title": role.upper(), "note": "(Ký thay, ghi rõ họ tên)", "name": name})
    blocks.append({"title": "HIỆU TRƯỞNG", "note": "(Ký, ghi rõ họ tên và đóng dấu)", "name": p.principal})
    return blocks


def build_copy_papers(p: CopyPapers, *, duplex: bool = False) -> BookDocument:
    """The request form (page 1) and the minutes (page 2 and, with many substitutes, more)."""
    rows = [[s.year, f"{s.original} ({s.role})", s.substitute, s.substitute_role] for s in p.substitutes]
    chunks: list[list[list[str]]] = [rows[:FIRST_PAGE_ROWS]]
    rest = rows[FIRST_PAGE_ROWS:]
    while rest:
        chunks.append(rest[:MORE_PAGE_ROWS])
        rest = rest[MORE_PAGE_ROWS:]
    if len(chunks[-1]) > ROWS_WITH_SIGNATURES:
        chunks.append([])  # the closing and the signatures need a page of their own
    present = [f"Ông (bà) {p.principal} — Hiệu trưởng, chủ trì;",
               f"Ông (bà) {p.clerk} — nhân viên văn phòng, người lập biên bản;"]
    for name, role in dict.fromkeys((s.substitute, s.substitute_role) for s in p.substitutes
                                    if s.substitute != p.principal):
        present.append(f"Ông (bà) {name} — {role}, ký thay giáo viên không còn công tác tại trường;")
    present.append(f"Ông (bà) {p.requester} — người đề nghị cấp bản sao ({p.relation.lower()} của học sinh).")
    common = {
        "columns": ["Năm học", "Người ký trong học bạ gốc", "Người ký thay", "Chức vụ"],
        "delivery": f"Bản sao học bạ mã {p.copy_code} ({p.copy_pages} trang) đã được đóng dấu “BẢN SAO” trên trang bìa, "
                    f"đóng dấu giáp lai và giao cho ông (bà) {p.requester}.",
        "closing": "Biên bản được lập thành 02 bản: 01 bản lưu cùng đơn đề nghị trong hồ sơ của nhà trường phục vụ "
                   "công tác thanh tra, kiểm tra; 01 bản giao người đề nghị. Các thành viên đã đọc lại và cùng ký "
                   "xác nhận.",
        "signatures": _signatures(p),
    }
    subs_intro = ("Người ký xác nhận trên bản sao: Hiệu trưởng hiện nay. Các giáo viên không còn công tác tại "
                  "trường được tổ trưởng chuyên môn ký thay trên cơ sở đối chiếu với hồ sơ lưu tại nhà trường, "
                  "cụ thể như sau:" if rows else
                  "Người ký xác nhận trên bản sao: Hiệu trưởng hiện nay và các giáo viên đã ký học bạ gốc "
                  "(không có trường hợp ký thay).")
    pages = [Page(no=1, kind="copy-request", data=_request_page(p))]
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        if i == 0:
            data: dict[str, object] = {
                "agency": p.agency, "school": p.school, "number": f"Số: {p.number}",
                "opening": f"Hôm nay, {long_date(p.issued_on)}, tại {p.school}, "
                           "chúng tôi gồm:",
                "present": present,
                "basis": f"Căn cứ đơn đề nghị cấp bản sao học bạ số {p.number} ngày {format_date(p.received_on)} của ông (bà) "
                         f"{p.requester}; lý do: {p.reason}",
                "printed": f"Nhà trường đã in bản sao học bạ của học sinh {p.student} (sinh ngày {format_date(p.date_of_birth)}, "
                           f"số đăng bộ {p.register_number or '……'}) từ dữ liệu sổ điện tử của nhà trường, mã bản in "
                           f"{p.copy_code}, gồm {p.copy_pages} trang, ngày in {format_date(p.issued_on)}.",
                "checked": "Nội dung bản sao đã được đối chiếu với hồ sơ lưu tại nhà trường (sổ theo dõi và đánh giá "
                           "học sinh, sổ đăng bộ đã lưu trữ).",
                "substitutes_intro": subs_intro,
                "rows": chunk, "last": last, **common,
            }
            pages.append(Page(no=2, kind="copy-minutes", data=data))
        else:
            pages.append(Page(no=2 + i, kind="copy-minutes-more", data={
                "continued": f"Biên bản cấp bản sao học bạ số {p.number} (tiếp theo)",
                "rows": chunk, "last": last, **common}))
    if duplex:
        pages = [Page(no=q.no, kind=q.kind, side="verso" if q.no % 2 == 0 else "recto", data=q.data) for q in pages]
    meta = BookMeta(kind="copy_minutes", title="BIÊN BẢN CẤP BẢN SAO HỌC BẠ", school=p.school, district=p.district,
                    province=p.province, class_name=p.class_name, year=_school_year(p.issued_on),
                    regime="tt22", duplex=duplex, total_pages=len(pages))
    return BookDocument(book=meta, pages=tuple(pages))
