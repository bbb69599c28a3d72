"""The correction request form and correction record: real workflow → PDF → text checks (CV §2.2.3 a)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select

from layouts.correction import build_correction, planned, print_correction, record_data
from layouts.render import extract_page_texts, page_count, render_page_images
from records import audit
from records.books.correction import read_correction
from records.db import make_engine, session_scope
from records.errors import ConflictError, PermissionDeniedError
from records.models import (
    Base,
    CorrectionRequest,
    Edition,
    EditionKind,
    EditionStatus,
    KeyKind,
    MarkKind,
    Role,
)
from records.permissions import Actor
from records.services import corrections, editions, marks
from records.services.marks import MarkInput
from signing.keys import generate_private_key, key_id, public_key_pem
from signing.trust import DbTrustList
from signing.verify import verify_file
from tests.factories import make_user
from tests.layouts.pdf_glyphs import MIN_PT, page_glyphs
from tests.records.factories_gov import IN_TERM1, IN_TERM2, World, make_world
from web.cli import cli

REASON = "Nhập nhầm điểm bài kiểm tra 15 phút, sổ cá nhân ghi 8,5"
NOTE = "Đồng ý, đã đối chiếu sổ cá nhân"


def flat(text: str) -> str:
    """Page text with every run of white space as one space (lines wrap where the layout decides)."""
    return " ".join(text.split())


def _world(session) -> World:
    world = make_world(session)
    marks.save_marks(session, world.actor(session, Role.SUBJECT_TEACHER), world.assignment1,
                     [MarkInput(e.id, MarkKind.REGULAR, 2, "6") for e in world.enrolments], today=IN_TERM1)
    return world


def _request(session, world: World, student: int = 0, value: str = "8.5", reason: str = REASON) -> CorrectionRequest:
    return corrections.request_correction(
        session, world.actor(session, Role.SUBJECT_TEACHER), enrolment_id=world.enrolments[student].id,
        subject_id=world.subject.id, term_id=world.term1.id, kind=MarkKind.REGULAR, slot=2, new_value=value,
        reason=reason, today=IN_TERM2)


def _apply(session, world: World, request: CorrectionRequest) -> None:
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), request, NOTE)
    corrections.apply(session, world.actor(session, Role.ADMINISTRATOR), request,
                      leader=world.users[Role.VICE_PRINCIPAL], board=world.board_witness,
                      requester_present=True)


def test_applied_correction_prints_the_form_and_the_record(session) -> None:
    world = _world(session)
    request = _request(session, world)
    _apply(session, world, request)
    pdf = print_correction(session, request.id, world.actor(session, Role.OFFICE))
    assert pdf.startswith(b"%PDF") and page_count(pdf) == 2
    form, record = (flat(t) for t in extract_page_texts(pdf))
    student = world.enrolments[0].student.full_name
    names = {role: world.users[role].full_name for role in Role if role is not Role.INSPECTOR}

    # the request form: Quốc hiệu, tiêu ngữ, place and date, title, addressee, the mark, reason, decision
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Vân Hồ, ngày",
                 "ĐƠN ĐỀ NGHỊ CHỈNH SỬA ĐIỂM", f"Kính gửi: Hiệu trưởng {world.school.name}",
                 f"Tôi tên là: {names[Role.SUBJECT_TEACHER]}", "Giáo viên bộ môn: Toán", "9A1 — Học kì I",
                 f"1 {student} 9A1 Toán Học kì I ĐĐGtx2 6,0 8,5", f"Lí do: {REASON}", "NGƯỜI LÀM ĐƠN",
                 "Ý KIẾN PHÊ DUYỆT CỦA HIỆU TRƯỞNG", f"Ý kiến: {NOTE}", "HIỆU TRƯỞNG", names[Role.PRINCIPAL],
                 "Đã sửa trên sổ điểm điện tử", f"Đơn số {request.id}"):
        assert text in form, text
    assert "BIÊN BẢN" not in form

    # the record: when, where, who was present, what the trace says was changed, three signatures
    entry = next(e for e in audit.entries(session, school_id=world.school.id, entity="mark", request_id=request.id)
                 if e.action == "correct")
    for text in ("PHÒNG GD&ĐT VÂN HỒ", world.school.name.upper(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "BIÊN BẢN CHỈNH SỬA DỮ LIỆU", f"theo đơn đề nghị số {request.id}", "Hôm nay, vào lúc",
                 f"tại {world.school.name}",
                 f"1. Ông (bà): {names[Role.VICE_PRINCIPAL]} Thành phần: Đại diện Ban giám hiệu",
                 f"2. Ông (bà): {world.board_witness.full_name} Thành phần: Đại diện Ban quản trị",
                 f"3. Ông (bà): {names[Role.SUBJECT_TEACHER]} Thành phần: Người đề nghị",
                 f"Hiệu trưởng {names[Role.PRINCIPAL]} phê duyệt", REASON,
                 f"1 {student} 9A1 Toán Học kì I ĐĐGtx2 6,0 8,5 {entry.id}",
                 f"{entry.id} ", entry.hash[:16], "Sửa điểm trên sổ điểm điện tử", f"mục nhật kí số {entry.id}",
                 "ĐẠI DIỆN BAN GIÁM HIỆU", "ĐẠI DIỆN BAN QUẢN TRỊ", "NGƯỜI ĐỀ NGHỊ"):
        assert text in record, text
    signatures = record[record.index("ĐẠI DIỆN BAN GIÁM HIỆU"):]
    for name in (names[Role.VICE_PRINCIPAL], world.board_witness.full_name, names[Role.SUBJECT_TEACHER]):
        assert name in signatures


def test_rejected_request_prints_the_form_with_the_rejection_and_no_record(session) -> None:
    world = _world(session)
    request = _request(session, world, value="9")
    corrections.reject(session, world.actor(session, Role.PRINCIPAL), request, "Không có căn cứ")
    pdf = print_correction(session, request.id, world.actor(session, Role.SUBJECT_TEACHER))
    assert page_count(pdf) == 1
    (form,) = (flat(t) for t in extract_page_texts(pdf))
    assert "ĐƠN ĐỀ NGHỊ CHỈNH SỬA ĐIỂM" in form and "BIÊN BẢN" not in form
    assert "Ý kiến: Không có căn cứ" in form and "Không duyệt: điểm giữ nguyên như đã nhập" in form
    assert world.users[Role.PRINCIPAL].full_name in form and "6,0 9,0" in form
    with pytest.raises(ConflictError) as refused:
        print_correction(session, request.id, world.actor(session, Role.PRINCIPAL), part="record")
    assert "chưa có biên bản chỉnh sửa dữ liệu" in refused.value.message_vi


def test_a_pending_request_prints_a_blank_decision_but_no_record(session) -> None:
    world = _world(session)
    request = _request(session, world)
    with pytest.raises(ConflictError) as refused:
        print_correction(session, request.id, world.actor(session, Role.PRINCIPAL), part="record")
    message = refused.value.message_vi
    assert f"Đơn số {request.id} chưa được thực hiện chỉnh sửa (Chờ duyệt)" in message, message
    pdf = print_correction(session, request.id, world.actor(session, Role.PRINCIPAL))
    (form,) = (flat(t) for t in extract_page_texts(pdf))
    assert "Chờ Hiệu trưởng phê duyệt" in form and "ngày …… tháng …… năm 20……" in form
    assert "Ý kiến:" in form and ".." not in form  # dotted lines for the principal to write on: drawn, not text
    from tests.layouts.pdf_glyphs import dotted_rules
    assert len(dotted_rules(pdf, 0)) >= 2
    # approved but not applied yet: still no record
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), request, NOTE)
    with pytest.raises(ConflictError):
        print_correction(session, request.id, world.actor(session, Role.PRINCIPAL), part="record")
    form = flat(extract_page_texts(print_correction(session, request.id, world.actor(session, Role.PRINCIPAL)))[0])
    assert "chờ Ban quản trị thực hiện chỉnh sửa" in form and f"Ý kiến: {NOTE}" in form


def test_only_readers_of_the_request_may_print_it(session) -> None:
    world = _world(session)
    request = _request(session, world)
    with pytest.raises(PermissionDeniedError):
        print_correction(session, request.id, world.user_actor(session, world.other_teacher))


def test_times_are_printed_in_vietnam_time_and_a_long_reason_stays_on_the_form(session) -> None:
    world = _world(session)
    long_reason = ("Trong buổi nhập điểm, do sơ suất khi đối chiếu danh sách lớp, tôi đã ghi nhầm 6 thay cho 8,5; "
                   "sổ theo dõi cá nhân và bài kiểm tra gốc của học sinh đều ghi 8,5 điểm. ") * 6
    request = _request(session, world, reason=long_reason)
    _apply(session, world, request)
    data = read_correction(session, world.actor(session, Role.PRINCIPAL), request.id).data
    late = copy.deepcopy(data)
    late["application"]["at"] = "31/12/2025 20:30 UTC"
    page = record_data(late)
    assert page["place_date"] == "Vân Hồ, ngày 01 tháng 01 năm 2026"
    assert page["opening"].startswith("Hôm nay, vào lúc 03 giờ 30 phút, ngày 01 tháng 01 năm 2026")
    document = build_correction(data)
    assert [p.kind for p in document.pages] == ["correction-request", "correction-record"]
    assert [p.kind for p in build_correction(data, part="record").pages] == ["correction-record"]
    pdf = print_correction(session, request.id, world.actor(session, Role.PRINCIPAL))
    assert "bài kiểm tra gốc của học sinh" in flat(extract_page_texts(pdf)[0])
    assert min(g.smallest for g in page_glyphs(pdf)) >= MIN_PT


#: Real-shaped names at the long end (compound family names, four-part given names; a school's full
#: official name) and a 2,000-character reason.
LONG_STUDENT = ("Công Tằng Tôn Nữ", "Thị Phương Hoàng", "Quỳnh Nguyệt Thượng")
LONG_TEACHER = "Nguyễn Phúc Hoàng Phủ Ngọc Thượng Khuyến Nghiêng"
LONG_SCHOOL = ("Trường Phổ thông Dân tộc Bán trú Trung học cơ sở Chiềng Khoong kết hợp Trung tâm Giáo dục "
               "Nghề nghiệp - Giáo dục Thường xuyên huyện Sông Mã")
LONG_REASON = ((
    "Trong buổi nhập điểm kiểm tra thường xuyên của lớp, do sơ suất khi đối chiếu danh sách lớp với sổ theo "
    "dõi cá nhân, tôi đã nhập nhầm điểm của em học sinh này sang dòng của em đứng liền trên; bài kiểm tra gốc "
    "có chữ kí của phụ huynh và sổ theo dõi cá nhân của giáo viên đều ghi 8,5 điểm. ") * 8)[:2000]


def test_the_longest_names_and_a_2000_character_reason_wrap_on_pages_of_the_form(session, tmp_path) -> None:
    """Issue 9: nothing shrunk, nothing below 7 pt, nothing cut: the reason goes on over the next page of
    the same form (its title "(tiếp theo)"), the pledge, signatures and approval after it."""
    assert len(LONG_REASON) == 2000
    world = _world(session)
    world.school.name = LONG_SCHOOL
    student = world.enrolments[0].student
    student.family_name, student.middle_name, student.given_name = LONG_STUDENT
    for role in (Role.SUBJECT_TEACHER, Role.PRINCIPAL, Role.VICE_PRINCIPAL):
        world.users[role].full_name = LONG_TEACHER
    session.flush()
    request = _request(session, world, reason=LONG_REASON)
    _apply(session, world, request)
    pdf = print_correction(session, request.id, world.actor(session, Role.PRINCIPAL))
    glyphs = page_glyphs(pdf)
    assert [g.small for g in glyphs] == [""] * len(glyphs) and min(g.smallest for g in glyphs) >= MIN_PT
    assert [g.outside for g in glyphs] == [""] * len(glyphs)
    texts = [flat(t) for t in extract_page_texts(pdf)]
    assert len(texts) >= 3  # the form over two pages at least, then the record
    plan = planned(build_correction(read_correction(session, world.actor(session, Role.PRINCIPAL), request.id).data))
    form = [p.data for p in plan.pages if p.kind == "correction-request"]
    assert len(form) >= 2 and plan.book.total_pages == len(texts)
    assert " ".join(d["reason"] for d in form if d["reason"]) == flat(LONG_REASON)  # whole, nothing dropped
    for page_text, d in zip(texts, form, strict=False):
        assert flat(d["reason"])[-40:] in page_text  # each share printed on its page
    assert "(tiếp theo)" in texts[1] and "(xem tiếp trang sau)" in texts[0]
    form_end = next(i for i, t in enumerate(texts) if "NGƯỜI LÀM ĐƠN" in t)
    assert form_end >= 1 and "HIỆU TRƯỞNG" in texts[form_end]  # the approval box after the reason
    assert "Nguyệt Thượng" in texts[0] and "BIÊN BẢN CHỈNH SỬA DỮ LIỆU" in " ".join(texts[form_end + 1:])
    for i, image in enumerate(render_page_images(pdf, dpi=80)):
        image.save(tmp_path / f"correction-{i + 1}.png")
    office, key = _office_with_key(session, world)  # published: the same pages, each with its QR code
    published = print_correction(session, request.id, office, private_key=key)
    assert page_count(published) == len(texts)
    assert session.scalars(select(Edition)).one().page_count == len(texts)


def _office_with_key(session, world: World):
    office = Actor.load(session, world.users[Role.OFFICE].id)
    key = generate_private_key()
    editions.register_key(session, Actor.system("test"), key_id=key_id(key), kind=KeyKind.ED25519,
                          public_pem=public_key_pem(key), school_id=world.school.id)
    return office, key


def test_published_as_an_edition_one_scope_per_request(session) -> None:
    world = _world(session)
    first, second = _request(session, world), _request(session, world, student=1, value="7")
    office, key = _office_with_key(session, world)
    pdf = print_correction(session, first.id, office, private_key=key)
    assert page_count(pdf) == 1
    print_correction(session, second.id, office, private_key=key)
    _apply(session, world, first)
    pdf = print_correction(session, first.id, office, private_key=key)
    assert page_count(pdf) == 2
    report = verify_file(pdf, DbTrustList(session), session)
    assert report.ok, (report.problems_vi, [p.problems_vi for p in report.pages])
    rows = session.query(Edition).filter(Edition.kind == EditionKind.CORRECTION_RECORD).order_by(
        Edition.created_at).all()
    assert [(e.part, e.status, e.page_count) for e in rows] == [
        (f"correction-{first.id}", EditionStatus.SUPERSEDED, 1),
        (f"correction-{second.id}", EditionStatus.CURRENT, 1),
        (f"correction-{first.id}", EditionStatus.CURRENT, 2),
    ]
    assert rows[2].student_id == world.enrolments[0].student_id
    with pytest.raises(PermissionDeniedError):  # printing editions is the office's
        print_correction(session, first.id, world.actor(session, Role.PRINCIPAL), private_key=key)


def test_correction_print_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    key = generate_private_key()
    (tmp_path / "k.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    with session_scope(engine) as session:
        world = _world(session)
        pending = _request(session, world)
        applied = _request(session, world, student=1)
        _apply(session, world, applied)
        editions.register_key(session, Actor.system("test"), key_id=key_id(key), kind=KeyKind.ED25519,
                              public_pem=public_key_pem(key), school_id=world.school.id)
        users = {role: u.username for role, u in world.users.items()}
        ids = (pending.id, applied.id)
        make_user(session, world.school, [Role.OFFICE], username="vanthu")
    engine.dispose()
    runner = CliRunner()
    out = tmp_path / "bb.pdf"
    result = runner.invoke(cli, ["correction", "print", str(ids[1]), "-o", str(out), "--as", users[Role.PRINCIPAL],
                                 "--db", url])
    assert result.exit_code == 0, result.output
    assert page_count(out.read_bytes()) == 2 and "Đã in" in result.output
    result = runner.invoke(cli, ["correction", "print", str(ids[0]), "--only", "record", "-o", str(out),
                                 "--as", users[Role.PRINCIPAL], "--db", url])
    assert result.exit_code == 1 and "chưa có biên bản chỉnh sửa dữ liệu" in result.output
    result = runner.invoke(cli, ["correction", "print", str(ids[1]), "-o", str(out), "--key", str(tmp_path / "k.pem"),
                                 "--as", "vanthu", "--db", url])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with session_scope(engine) as session:
        assert session.query(Edition).filter(Edition.kind == EditionKind.CORRECTION_RECORD).count() == 1
    engine.dispose()
