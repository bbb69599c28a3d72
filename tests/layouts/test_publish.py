"""Publishing an edition: PDF/A-3b markers, attachments, XMP, fonts, overlap-stamp markers, QR placement.

What is *not* tested here (no PDF/A validator installs from the registries; veraPDF is Java): full
PDF/A-3b conformance — see signing/FORMAT.md §8 for the list of checks made and not made.
"""

from __future__ import annotations

import io
import json

import pikepdf
import pypdfium2 as pdfium
import pytest

from layouts.publish import publish, transcript_facts
from records.models import EditionKind, EditionStatus
from records.services import editions as es
from signing.manifest import DOCUMENT_NAME, MANIFEST_NAME
from signing.payload import payload_bytes
from signing.qr import read_qr_codes
from tests.signing.helpers import make_world, publish_small, register_certificate, small_markbook

MM = 72 / 25.4


@pytest.fixture
def world(session):
    return make_world(session)


def _fonts(resources: pikepdf.Dictionary, seen: set[int]) -> list[pikepdf.Dictionary]:
    out = []
    if resources is None:
        return out
    out += list((resources.get("/Font") or {}).values())
    for xobj in (resources.get("/XObject") or {}).values():
        if xobj.get("/Subtype") == "/Form" and xobj.objgen not in seen:
            seen.add(xobj.objgen)
            out += _fonts(xobj.get("/Resources"), seen)
    return out


def test_pdfa3b_markers_attachments_xmp_fonts_no_encryption(session, world) -> None:
    pub = publish_small(session, world)
    doc = pikepdf.open(io.BytesIO(pub.pdf))
    assert not doc.is_encrypted and "/Encrypt" not in doc.trailer
    # output intent
    intents = doc.Root.OutputIntents
    assert len(intents) >= 1 and intents[0].S == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0]
    # XMP identification
    meta = doc.open_metadata()
    assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
    assert meta["dc:identifier"] == f"urn:uuid:{pub.edition.id}"
    assert "Lớp 9A1" in meta["dc:title"]
    # every font embedded
    fonts = [f for page in doc.pages for f in _fonts(page.get("/Resources"), set())]
    assert fonts
    for font in fonts:
        if font.Subtype == "/Type3":
            continue
        desc = font.DescendantFonts[0].FontDescriptor if font.Subtype == "/Type0" else font.FontDescriptor
        assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")
    # attachments: associated files with AFRelationship /Data, listed in /AF
    af = {str(spec.F) for spec in doc.Root.AF}
    assert af == {DOCUMENT_NAME, MANIFEST_NAME}
    for spec in doc.Root.AF:
        assert spec.AFRelationship == "/Data"
        stream = spec.EF.F
        assert stream.Subtype == "/application/json" and "/ModDate" in stream.Params
    attached = json.loads(doc.attachments[DOCUMENT_NAME].get_file().read_bytes())
    assert [p["no"] for p in attached["pages"]] == [1, 25, 26]
    assert all(p["qr"] is None and p["code"] for p in attached["pages"])


def test_pdfa_markers_survive_the_pades_signature(session, world) -> None:
    pub = publish_small(session, world, (1,), pdf_signer=register_certificate(session, world))
    assert pub.edition.pdf_signed
    meta = pikepdf.open(io.BytesIO(pub.pdf)).open_metadata()
    assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"


def test_edition_records_pages_digests_and_payload_sizes(session, world) -> None:
    pub = publish_small(session, world)
    e = pub.edition
    assert e.kind is EditionKind.MARK_BOOK and e.status is EditionStatus.CURRENT
    assert e.page_count == 3 and e.book_pages == 68 and [p.number for p in e.pages] == [1, 25, 26]
    assert [p.digest for p in e.pages] == [m.digest for m in pub.manifest.pages]
    assert set(pub.payload_bytes) == {110} and set(pub.qr_versions) == {7}
    assert all(len(payload_bytes(m.qr)) == 110 for m in pub.manifest.pages)


def test_printing_is_the_office_right(session, world) -> None:
    from records.errors import PermissionDeniedError
    from records.models import Role
    from records.permissions import Actor
    from tests.factories import make_user

    teacher = Actor.load(session, make_user(session, world.school, [Role.SUBJECT_TEACHER]).id)
    with pytest.raises(PermissionDeniedError):
        publish(session, teacher, small_markbook((1,)), template="markbook", scope=world.scope(),
                private_key=world.key)
    assert es.list_editions(session, school_id=world.school.id) == []


def _marker_box(pdf: bytes, index: int, no: int) -> tuple[float, float, float, float, float, float]:
    doc = pdfium.PdfDocument(pdf)
    page = doc[index]
    width, height = page.get_size()
    tp = page.get_textpage()
    text = f"Giáp lai · trang {no}"
    search = tp.search(text, match_case=True)
    found = search.get_next()
    assert found is not None, f"no overlap marker on page {no}"
    start, count = found
    boxes = [tp.get_charbox(i) for i in range(start, start + count)]
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    return x0, y0, x1, y1, width, height


@pytest.mark.parametrize("duplex", [False, True])
def test_overlap_marker_on_the_outer_edge_and_qr_in_the_outer_corner(session, world, duplex) -> None:
    doc = small_markbook((1, 2, 3, 4), duplex=duplex)
    pub = publish(session, world.office, doc, template="markbook", scope=world.scope(), private_key=world.key)
    for index, page in enumerate(doc.pages):
        x0, y0, x1, y1, width, height = _marker_box(pub.pdf, index, page.no)
        outer_left = duplex and page.side == "verso"
        if outer_left:
            assert x1 < 12 * MM, (page.no, x0, x1)
        else:
            assert x0 > width - 12 * MM, (page.no, x0, x1)
        assert height * 0.3 < (y0 + y1) / 2 < height * 0.7  # vertically centred: fanned pages overlap it
        codes = read_qr_codes(_page_pdf(pub.pdf, index), dpi=100)
        assert len(codes) == 1
        xs = [c[0] for c in codes[0].position]
        qr_centre = sum(xs) / len(xs) / (100 / 72)
        assert (qr_centre < width / 2) if outer_left else (qr_centre > width / 2)
    assert duplex == any(p.side == "verso" for p in doc.pages)


def _page_pdf(pdf: bytes, index: int) -> bytes:
    src = pikepdf.open(io.BytesIO(pdf))
    out = pikepdf.new()
    out.pages.append(src.pages[index])
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def test_transcript_facts_from_a_document() -> None:
    import datetime as dt

    from layouts.documents import BookDocument, BookMeta, Page

    head = {"name": "Lò Thị Mai", "school": "Trường THCS Chiềng Khoa", "year": "2024-2025"}
    doc = BookDocument(
        BookMeta("transcript", "HỌC BẠ", "Trường THCS Chiềng Khoa", "Vân Hồ", "Sơn La", "9A", "2021-2025", "tt22",
                 total_pages=10),
        (Page(1, "transcript-cover", data={"student": "Lò Thị Mai"}), Page(2, "blank"),
         Page(9, "transcript-results", data={"head": head, "results": [["Học kì I", "Tốt", "Khá"],
                                                                          ["Học kì II", "Tốt", "Tốt"],
                                                                          ["Cả năm", "Tốt", "Tốt"]]})))
    facts = transcript_facts(doc, dt.date(2011, 3, 5))
    assert facts(doc.pages[1]) is None
    f = facts(doc.pages[2])
    assert (f.student_name, f.school, f.school_year, f.learning_result, f.conduct) == (
        "Lò Thị Mai", "THCS Chiềng Khoa", 2024, "Tốt", "Tốt")
    assert facts(doc.pages[0]).school_year == 2024


# --- the QR's printed size ----------------------------------------------------------------------

LONG_NAME = "Tòng Thị Hương Quỳnh Nguyệt"
LONG_SCHOOL = "Trường THCS và THPT Chiềng Khoa"
BAND_MM = 41.5  # the bottom margin (common.typ: qr-bottom 8 mm + qr-slot 33 mm + 0.5 mm)
SLOT_MM = 33.0
OUTER_MM = 12.0  # A4 outer margin


def _long_transcript():
    from dataclasses import replace

    from layouts.transcript import build_transcript
    from tests.layouts.transcript_samples import sample_input

    inp = sample_input(name=LONG_NAME, years=1)
    place = replace(inp.holder, school=LONG_SCHOOL)
    inp = replace(inp, holder=place, years=tuple(replace(y, place=place) for y in inp.years))
    return inp, build_transcript(inp, volume=True)


def _band_image(pdf: bytes, index: int, dpi: int):
    """The bottom-outer corner of an A4 recto down to the code line: the slot and its surroundings,
    ``BAND_MM`` high (the reserved bottom margin above the page code), 45 mm wide (grayscale)."""
    doc = pdfium.PdfDocument(pdf)
    page = doc[index]
    width, height = page.get_size()
    keep_w, top, bottom = 45 * MM, BAND_MM * MM, 8 * MM  # from the page's right and bottom edges
    bitmap = page.render(scale=dpi / 72, grayscale=True, crop=(width - keep_w, bottom, 0, height - top))
    return bitmap.to_pil().convert("L").copy()


def test_transcript_qr_is_printed_at_half_a_millimetre_per_module_and_scans(session, world) -> None:
    """A long name and school give the largest transcript code (version 10): it is drawn at its own
    size in the reserved band (never scaled below 0.5 mm a module, nothing else there), and a
    simulated 200 dpi office scan of the page decodes to a genuine code."""
    from layouts.publish import Scope
    from layouts.render import render_page_images
    from signing.qr import read_qr_codes
    from signing.testing import simulate_scan
    from signing.trust import DbTrustList
    from signing.verify import PageStatus, verify_code

    inp, doc = _long_transcript()
    pub = publish(session, world.office, doc, template="transcript", scope=Scope(world.school.id),
                  private_key=world.key, facts=transcript_facts(doc, inp.identity.date_of_birth))
    index = next(i for i, p in enumerate(doc.pages) if p.kind == "transcript-results")
    version = pub.qr_versions[index]
    assert version == 10  # the largest code a transcript page needs (FORMAT.md §6)
    modules = 4 * version + 17
    with pikepdf.open(io.BytesIO(pub.pdf)) as pdf:
        attached = json.loads(pdf.attachments[DOCUMENT_NAME].get_file().read_bytes())
    assert attached["pages"][index]["qr_mm"] == (modules + 8) * 0.5 == 32.5

    # measured on the page: the dark extent of the symbol in the reserved band at 1200 dpi
    dpi = 1200
    band = _band_image(pub.pdf, index, dpi).point(lambda v: 255 if v < 128 else 0)
    left, top, right, bottom = band.getbbox()  # every dark pixel of the band (content would widen it)
    px_mm = 25.4 / dpi
    module_w = (right - left) * px_mm / modules
    module_h = (bottom - top) * px_mm / modules
    tolerance = 1.5 * px_mm / modules  # anti-aliased edges: a pixel either way
    assert module_w >= 0.5 - tolerance and module_h >= 0.5 - tolerance, (module_w, module_h)
    assert module_w <= 0.5 + tolerance and module_h <= 0.5 + tolerance, (module_w, module_h)  # not enlarged
    # in the slot: its outer edge on the content's outer edge (less the 2 mm quiet zone), above the code
    # line, and the quiet zone free up to the content area
    band_w = band.width * px_mm
    assert abs((band_w - right * px_mm) - (OUTER_MM + 2.0)) < 0.1
    assert abs((band.height - bottom) * px_mm - 2.0) < 0.1  # quiet zone above the 8 mm code line
    assert top * px_mm >= BAND_MM - 8 - SLOT_MM + 2.0 - 0.1  # the band's top 0.5 mm gap + quiet zone
    assert left * px_mm >= 45 - OUTER_MM - SLOT_MM  # within the slot

    # a simulated office scan at 200 dpi (3° skew, blur, noise, JPEG 60) still verifies
    page = render_page_images(pub.pdf, dpi=400, pages=[index], grayscale=True)[0]
    page.info["dpi"] = (400, 400)
    trust = DbTrustList(session)
    for seed in (1, 2):
        scan = simulate_scan(page, dpi=200, seed=seed)
        codes = read_qr_codes(scan)
        assert [c.text for c in codes] == [pub.manifest.pages[index].qr], seed
        verdict = verify_code(codes[0].text, trust, session)
        assert verdict.status is PageStatus.GENUINE, verdict.message_en
        assert verdict.fields.facts.student_name == LONG_NAME


def test_every_page_code_fits_the_slot_or_publishing_refuses(session, world) -> None:
    from dataclasses import replace

    from layouts.errors import RenderError
    from layouts.publish import Scope

    inp, doc = _long_transcript()
    # a (hypothetical) 58-character name with a 55-character school: a version 12 code, 36.5 mm
    name = "Tòng Thị Hương Quỳnh Nguyệt Ánh Dương Phương Thảo Ngọc Diệp"
    pages = tuple(replace(p, data={**p.data, "head": {**p.data["head"], "name": name,
                                                     "school": LONG_SCHOOL + " huyện Vân Hồ tỉnh Sơn La"}})
                  if "head" in p.data else p for p in doc.pages)
    with pytest.raises(RenderError) as refused:
        publish(session, world.office, replace(doc, pages=pages), template="transcript",
                scope=Scope(world.school.id), private_key=world.key,
                facts=transcript_facts(replace(doc, pages=pages), inp.identity.date_of_birth))
    assert "rộng 36.5 mm, không vừa ô 33 mm" in refused.value.message_vi
    assert es.list_editions(session, school_id=world.school.id) == []


def test_a_draft_cannot_be_published(session, world) -> None:
    from layouts.errors import RenderError

    with pytest.raises(RenderError):
        publish(session, world.office, small_markbook((1,)).as_draft(), template="markbook", scope=world.scope(),
                private_key=world.key)
