"""Issue 10: forgeries of pages, files and photos that the verifier once called genuine — each now caught."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image, ImageDraw

from layouts.render import render_page_images
from signing.qr import read_qr_codes
from signing.testing import simulate_scan
from signing.trust import DbTrustList
from signing.verify import PageStatus, genuine_page_png, verify_file
from tests.signing.helpers import make_world, publish_small, register_certificate, replace_text_run


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def published(session, world):
    return publish_small(session, world)


def statuses(report) -> list[PageStatus]:
    return [p.status for p in report.pages]


def _save(doc: pikepdf.Pdf) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- digital files -----------------------------------------------------------------------------


def white_box_and_raster_marks(pdf: bytes, page_index: int = 1) -> bytes:
    """A white box over the marks and a raster image of new marks drawn on it; text layer untouched."""
    doc = pikepdf.open(io.BytesIO(pdf))
    page = doc.pages[page_index]
    art = Image.new("L", (120, 28), 255)
    ImageDraw.Draw(art).text((4, 6), "8,5  9,0", fill=0)
    image = pikepdf.Stream(doc, art.tobytes())
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = art.width, art.height, 8
    image.ColorSpace = pikepdf.Name.DeviceGray
    page.Resources.XObject = page.Resources.get("/XObject", pikepdf.Dictionary())
    page.Resources.XObject.Forged = image
    page.contents_add(doc.make_stream(b"q 1 g 150 560 60 14 re f Q q 60 0 0 14 150 560 cm /Forged Do Q"))
    return _save(doc)


def strip_attachments_and_to_unicode(pdf: bytes) -> bytes:
    """Remove the data and manifest attachments and every font's /ToUnicode (text no longer extractable)."""
    doc = pikepdf.open(io.BytesIO(pdf))
    for name in list(doc.attachments):
        del doc.attachments[name]
    if "/AF" in doc.Root:
        del doc.Root.AF
    for page in doc.pages:
        for font in page.Resources.get("/Font", {}).values():
            if "/ToUnicode" in font:
                del font.ToUnicode
    return _save(doc)


def test_attack_white_box_and_raster_marks_over_the_original(session, world, published) -> None:
    forged = white_box_and_raster_marks(published.pdf)
    report = verify_file(forged, DbTrustList(session), session)
    assert report.kind == "published-pdf" and not report.ok
    assert PageStatus.GENUINE not in statuses(report)
    assert any("không trùng từng byte" in p for p in report.problems_vi)
    # offline (no recorded hash): not genuine either
    from signing.keys import TrustStore

    trust = TrustStore()
    trust.add(world.key.public_key())
    offline = verify_file(forged, trust)
    assert not offline.ok and PageStatus.GENUINE not in statuses(offline)


def test_attack_white_box_on_a_pades_signed_edition(session, world) -> None:
    signer = register_certificate(session, world)
    signed = publish_small(session, world, (1, 25), pdf_signer=signer)
    assert verify_file(signed.pdf, DbTrustList(session), session).ok
    forged = white_box_and_raster_marks(signed.pdf)
    report = verify_file(forged, DbTrustList(session), session)
    assert not report.ok and PageStatus.GENUINE not in statuses(report)


@pytest.mark.parametrize("pades", [False, True])
def test_attack_stripped_attachments_and_to_unicode_with_edited_mark(session, world, pades) -> None:
    signer = register_certificate(session, world) if pades else None
    pub = publish_small(session, world, pdf_signer=signer)
    forged = strip_attachments_and_to_unicode(replace_text_run(pub.pdf, 1, "5,5", "8,5"))
    report = verify_file(forged, DbTrustList(session), session)
    assert report.kind == "pdf"  # not a published PDF any more — and not a scan either
    assert statuses(report) == [PageStatus.ALTERED] * 3, [p.message_vi for p in report.pages]
    assert "không phải ảnh quét" in report.pages[1].message_vi
    assert not report.ok


# --- photos and scans --------------------------------------------------------------------------


def _paper(pdf: bytes, index: int, dpi: int = 300) -> Image.Image:
    img = render_page_images(pdf, dpi=dpi, pages=[index])[0].convert("L")
    img.info["dpi"] = (dpi, dpi)
    return img


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _qr_box(img: Image.Image, pad: int = 12) -> tuple[int, int, int, int]:
    (code,) = read_qr_codes(img)
    xs = [x for x, _ in code.position]
    ys = [y for _, y in code.position]
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def _verify_photo(session, published, data: bytes):
    return verify_file(data, DbTrustList(session), session, issued_pdf=lambda _eid: published.pdf)


def test_attack_fabricated_marks_next_to_a_genuine_qr(session, published) -> None:
    page = _paper(published.pdf, 1)
    draw = ImageDraw.Draw(page)
    draw.rectangle((700, 900, 1500, 1400), fill=255)  # marks whited out and written anew
    draw.text((720, 950), "10  10  9,5  10", fill=0)
    report = _verify_photo(session, published, _png(simulate_scan(page, dpi=200, angle=1.5, seed=4)))
    (v,) = report.pages
    # the code alone never makes a photo genuine: the genuine page is shown for a person to compare
    assert v.status is PageStatus.CODE_GENUINE and not report.ok
    assert "so từng điểm" in v.message_vi
    shown = genuine_page_png(lambda _eid: published.pdf, v.fields.edition_id, v.genuine_page)
    assert shown is not None and Image.open(io.BytesIO(shown)).size[0] > 500


def test_attack_blank_page_carrying_a_genuine_qr(session, published) -> None:
    page = _paper(published.pdf, 1)
    blank = Image.new("L", page.size, 255)
    blank.info["dpi"] = page.info["dpi"]
    box = _qr_box(page)
    blank.paste(page.crop(box), box[:2])
    report = _verify_photo(session, published, _png(simulate_scan(blank, dpi=200, angle=-2.0, seed=5)))
    assert statuses(report) == [PageStatus.ALTERED], report.pages[0].message_vi
    assert "không giống trang gốc" in report.pages[0].message_vi


def test_attack_code_of_the_cover_pasted_on_a_marks_page(session, published) -> None:
    cover, marks = _paper(published.pdf, 0), _paper(published.pdf, 1)
    src, dst = _qr_box(cover), _qr_box(marks)
    marks.paste(Image.new("L", (dst[2] - dst[0], dst[3] - dst[1]), 255), dst[:2])
    marks.paste(cover.crop(src), dst[:2])
    report = _verify_photo(session, published, _png(simulate_scan(marks, dpi=200, seed=6)))
    assert statuses(report) == [PageStatus.ALTERED]  # the page kind does not fit the code


def test_attack_code_of_page_a_pasted_on_page_b(session, published) -> None:
    """Student A's code on student B's page: same template, so the layout may fit — never genuine."""
    a, b = _paper(published.pdf, 1), _paper(published.pdf, 2)
    src, dst = _qr_box(a), _qr_box(b)
    b.paste(a.crop(src), dst[:2])
    report = _verify_photo(session, published, _png(simulate_scan(b, dpi=200, seed=7)))
    (v,) = report.pages
    assert v.status in (PageStatus.CODE_GENUINE, PageStatus.ALTERED) and not report.ok
    assert v.genuine_page == 1  # the page the code names is the one shown to compare


def test_attack_two_codes_on_one_page(session, published) -> None:
    a, b = _paper(published.pdf, 1), _paper(published.pdf, 2)
    src = _qr_box(a)
    b.paste(a.crop(src), (200, 200))
    report = _verify_photo(session, published, _png(simulate_scan(b, dpi=200, seed=8)))
    assert statuses(report) == [PageStatus.ALTERED] and "2 mã QR" in report.pages[0].message_vi


def test_attack_scan_mixing_two_editions_and_a_duplicated_page(session, world, published) -> None:
    other = publish_small(session, world, (26,))  # a reprint: another edition
    pages = [simulate_scan(_paper(published.pdf, i), dpi=200, seed=i) for i in (0, 1, 1)]
    pages.append(simulate_scan(_paper(other.pdf, 0), dpi=200, seed=9))
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=200)
    report = verify_file(buf.getvalue(), DbTrustList(session), session)
    assert report.kind == "pdf" and not report.ok
    assert report.pages[2].status is PageStatus.ALTERED and "lặp lại" in report.pages[2].message_vi
    assert any("2 bản in khác nhau" in p for p in report.problems_vi)


def test_a_transcript_page_lists_its_subject_results_as_issued(session, world) -> None:
    """Issue 10, item 1: beside a transcript verdict, the page's subject results as issued."""
    from layouts.publish import Scope, publish, transcript_facts
    from layouts.transcript import build_transcript
    from signing.verify import issued_page_lines
    from tests.layouts.transcript_samples import sample_input

    inp = sample_input(years=1)
    doc = build_transcript(inp, volume=False)
    pub = publish(session, world.office, doc, template="transcript", scope=Scope(world.school.id),
                  private_key=world.key, facts=transcript_facts(doc, inp.identity.date_of_birth))
    subjects = next(i for i, p in enumerate(doc.pages) if p.kind == "transcript-subjects")
    lines = dict(issued_page_lines(pub.pdf, subjects))
    row = doc.pages[subjects].data["rows"][0]
    assert lines[row["name"]].startswith(f"HK I {row['t1'] or '—'}") and "Cả năm" in lines[row["name"]]
    results = next(i for i, p in enumerate(doc.pages) if p.kind == "transcript-results")
    assert any("Cả năm" == label for label, _ in issued_page_lines(pub.pdf, results))
