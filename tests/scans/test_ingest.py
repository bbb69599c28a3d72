"""A scanned book comes back: shuffled, turned, skewed, incomplete, mixed, unstamped, unsigned, smudged."""

from __future__ import annotations

import random

import pytest

import archive
from records.models import InkCheck, ScanPageStatus
from scans.ingest import assign_page, ingest, unmatched_pages
from tests.scans import scanbook
from tests.scans.conftest import BOOK_A_PAGES, kept

pytestmark = pytest.mark.slow


def _scanned_book(books) -> tuple[list, dict[str, int]]:
    """Book A back from the office with the troubles of the issue; returns images and where each went."""
    idx = {n: i for i, n in enumerate(BOOK_A_PAGES)}
    a = scanbook.signed_and_stamped(books.a.pdf, unstamped={idx[60]}, unsigned={idx[67]})
    b = scanbook.signed_and_stamped(books.b.pdf)
    pages = {f"A:{n}": a[idx[n]] for n in BOOK_A_PAGES if n != 27}  # 27 is missing
    pages["A:26"] = scanbook.turn(pages["A:26"], 180)
    pages["A:3"] = scanbook.turn(pages["A:3"], 2)
    scanbook.blot_code(pages["A:2"])
    pages["B:25"] = b[1]  # a page of another class's book
    order = list(pages)
    random.Random(14).shuffle(order)
    return [pages[k] for k in order], {k: i for i, k in enumerate(order)}


def test_a_scanned_book_gives_exactly_the_right_report(session, books, archive_store, tmp_path) -> None:
    images, where = _scanned_book(books)
    path = tmp_path / "so-9A1.pdf"
    path.write_bytes(scanbook.as_pdf(images))
    report = ingest(session, books.world.office, [path], workers=1)

    assert not report.refused
    [rep] = report.editions
    assert rep.edition_id == books.a.edition.id
    assert rep.came_back == (1, 3, 25, 26, 60, 67, 68)
    assert rep.missing == (2, 27)
    assert rep.duplicated == ()
    assert len(rep.foreign) == 1 and f"trang {where['B:25'] + 1}:" in rep.foreign[0]
    assert rep.no_stamp == (60,)
    assert rep.stamp_unknown == ()
    assert rep.no_signature == (67,)
    [unreadable] = report.unreadable
    assert unreadable.index == where["A:2"]

    by_index = {p.index: p for p in report.pages}
    assert abs(by_index[where["A:26"]].rotation - 180) < 0.5
    assert 1.5 < abs(by_index[where["A:3"]].rotation) < 2.5
    assert by_index[where["A:1"]].signatures is InkCheck.NONE  # the cover has no signature block
    assert by_index[where["A:25"]].signatures is InkCheck.PRESENT
    assert by_index[where["A:25"]].signature_zones == 2
    assert by_index[where["B:25"]].status is ScanPageStatus.FOREIGN
    assert by_index[where["B:25"]].edition_id == books.b.edition.id

    # what was kept: the original file, one PDF of book A's pages, one of book B's page, the unreadable page
    kinds = sorted((i.kind.value, str(i.edition_id)) for i in kept(session))
    assert kinds == sorted([("book_scan", "None"), ("book_scan", str(books.a.edition.id)),
                            ("book_scan", str(books.b.edition.id)), ("unmatched_scan", "None")])
    bundle = next(i for i in kept(session) if i.edition_id == books.a.edition.id)
    upright = scanbook.rasterise(archive.read_verified(archive_store, bundle), 50)
    assert len(upright) == 7 and all(im.width < im.height for im in upright)

    # the unreadable page is matched by hand; a re-scan brings the missing page and a duplicate
    assert [p.id for p in unmatched_pages(session)] == [unreadable.scan_page_id]
    assign_page(session, books.world.office, unreadable.scan_page_id, scanbook.short(books.a.edition.id), 2)
    assert unmatched_pages(session) == []
    idx = {n: i for i, n in enumerate(BOOK_A_PAGES)}
    a = scanbook.signed_and_stamped(books.a.pdf)
    again = tmp_path / "bo-sung.tif"
    again.write_bytes(scanbook.as_tiff([a[idx[27]], a[idx[25]]]))
    report2 = ingest(session, books.world.office, [again], workers=1)
    [rep2] = report2.editions
    assert rep2.came_back == (25, 27)
    assert rep2.missing == ()
    assert rep2.duplicated == (25,)
    assert rep2.no_stamp == (60,) and rep2.no_signature == (67,)


def test_parallel_ingest_gives_the_same_report(session, books, tmp_path) -> None:
    images, _where = _scanned_book(books)
    path = tmp_path / "so.pdf"
    path.write_bytes(scanbook.as_pdf(images))
    [rep] = ingest(session, books.world.office, [path], workers=2).editions
    assert (rep.came_back, rep.missing, rep.no_stamp, rep.no_signature) == (
        (1, 3, 25, 26, 60, 67, 68), (2, 27), (60,), (67,))


def test_forged_and_other_school_pages_are_foreign_and_not_filed_with_a_book(session, books, tmp_path) -> None:
    from dataclasses import replace

    from PIL import ImageDraw

    from layouts.publish import publish
    from signing.keys import generate_private_key
    from signing.payload import decode_payload, encode_payload
    from signing.testing import render_qr
    from tests.signing.helpers import make_world, small_markbook

    pages = scanbook.signed_and_stamped(books.a.pdf)
    # page 25 of book A, its code replaced by one signed with a key the school does not trust
    genuine = read_one_code(pages[3])
    forged = encode_payload(replace(decode_payload(genuine), key_id=""), generate_private_key())
    page = pages[3].copy()
    w, h = page.size
    ImageDraw.Draw(page).rectangle((w * 0.55, h * 0.80, w, h), fill="white")
    qr = render_qr(forged, dpi=200).convert("RGB")
    page.paste(qr, (w - qr.width - 80, h - qr.height - 120))
    # a page of another school's book (same database)
    other = make_world(session)
    theirs = publish(session, other.office, small_markbook((25,)), template="markbook", scope=other.scope(),
                     private_key=other.key)
    path = tmp_path / "lan.pdf"
    path.write_bytes(scanbook.as_pdf([pages[0], page, scanbook.rasterise(theirs.pdf)[0], pages[4]]))
    report = ingest(session, books.world.office, [path], school_id=books.world.school.id, workers=1)
    status = [(p.index, p.status) for p in report.pages]
    assert status == [(0, ScanPageStatus.MATCHED), (1, ScanPageStatus.FOREIGN), (2, ScanPageStatus.FOREIGN),
                      (3, ScanPageStatus.MATCHED)]
    assert "không được công nhận" in report.pages[1].note
    assert "trường khác" in report.pages[2].note
    [rep] = report.editions
    assert rep.came_back == (1, 26) and len(rep.foreign) == 2 and 25 in rep.missing


def read_one_code(img) -> str:
    from scans.normalise import find_qr

    [code] = find_qr(img.convert("L"))
    return code.text


def test_two_sided_book_and_grey_scans(session, books, tmp_path) -> None:
    """A verso's giáp lai zone is on its left edge; a grey scan cannot show seal ink: unknown, not missing."""
    from layouts.publish import Scope, publish
    from tests.factories import make_class
    from tests.signing.helpers import small_markbook

    klass = make_class(session, books.world.year, 9, "9A3")
    pub = publish(session, books.world.office, small_markbook((25, 26), duplex=True), template="markbook",
                  scope=Scope(books.world.school.id, class_id=klass.id, school_year_id=books.world.year.id),
                  private_key=books.world.key)
    archive.deposit_issued(session, books.world.office, pub)
    colour = scanbook.signed_and_stamped(pub.pdf, unstamped={0})  # page 25 (recto) without its seal
    (tmp_path / "mau.pdf").write_bytes(scanbook.as_pdf(colour))
    [rep] = ingest(session, books.world.office, [tmp_path / "mau.pdf"], workers=1).editions
    assert (rep.no_stamp, rep.stamp_unknown, rep.no_signature) == ((25,), (), ())
    grey = [im.convert("L") for im in scanbook.signed_and_stamped(pub.pdf)]
    (tmp_path / "den-trang.tif").write_bytes(scanbook.as_tiff(grey))
    report = ingest(session, books.world.office, [tmp_path / "den-trang.tif"], workers=1)
    [rep] = report.editions
    assert rep.duplicated == (25, 26) and rep.no_stamp == () and rep.stamp_unknown == (25, 26)
    assert rep.no_signature == ()
