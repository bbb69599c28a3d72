"""Verification of published PDFs, codes and scans: every verdict, and never a traceback."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import replace

import pikepdf
import pytest
from PIL import Image

from layouts.render import render_document, render_page_images
from records.errors import ValidationError
from records.models import EditionStatus, Role
from records.permissions import Actor
from records.services import editions as es
from signing.errors import SigningKeyError
from signing.keys import TrustStore, generate_private_key
from signing.payload import DocType, PayloadFields, encode_payload, human_code, payload_bytes
from signing.qr import qr_svg
from signing.testing import simulate_scan
from signing.trust import DbTrustList
from signing.verify import PageStatus, verify_code, verify_file
from tests.factories import make_user
from tests.signing.helpers import (
    copy_attachments,
    make_world,
    publish_small,
    register_certificate,
    replace_text_run,
    small_markbook,
)

MARKS_PAGE = 25  # "MÔN NGỮ VĂN — HỌC KÌ I"; page index 1 of the small book


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def published(session, world):
    return publish_small(session, world)


def statuses(report) -> list[PageStatus]:
    return [p.status for p in report.pages]


# --- published PDFs ----------------------------------------------------------------------------


def test_genuine_pdf_verifies_with_the_database(session, published) -> None:
    report = verify_file(published.pdf, DbTrustList(session), session)
    assert report.kind == "published-pdf"
    assert statuses(report) == [PageStatus.GENUINE] * 3, [p.message_vi for p in report.pages]
    assert report.ok and not report.offline
    assert report.pages[1].fields.page == MARKS_PAGE and report.pages[1].fields.pages == 68


def test_genuine_pdf_offline_says_only_the_signature_was_checked(session, world, published) -> None:
    trust = TrustStore()
    trust.add(world.key.public_key())
    report = verify_file(published.pdf, trust)
    # offline, an unsigned PDF cannot be proven byte-identical to the issued file: codes genuine, compare
    assert not report.ok and report.offline and report.needs_comparison
    assert statuses(report) == [PageStatus.CODE_GENUINE] * 3
    assert all("ngoại tuyến" in p.message_vi for p in report.pages)
    # with a PAdES signature covering the whole file, the file itself is proven offline
    signer = register_certificate(session, world)
    signed = publish_small(session, world, (1,), pdf_signer=signer)
    report = verify_file(signed.pdf, trust, certificates=[signer.certificate_pem])
    assert report.ok and report.offline, [p.message_vi for p in report.pages]
    assert all("Chỉ kiểm tra chữ ký" in p.message_vi for p in report.pages)


def test_one_mark_changed_in_the_content_stream_is_altered(session, published) -> None:
    tampered = replace_text_run(published.pdf, 1, "5,5", "8,5")
    report = verify_file(tampered, DbTrustList(session), session)
    # the file is not the issued file: no page of it is proven; the edited page names the changed mark
    assert statuses(report) == [PageStatus.ALTERED] * 3
    assert not report.ok
    assert "«5,5»" in report.pages[1].message_vi and "«8,5»" in report.pages[1].message_vi


def _rerender_with_changed_mark(published) -> bytes:
    """A forger's re-render: one mark changed, the old QR codes and printed codes reused."""
    doc = small_markbook()
    page = doc.pages[1]
    rows = [dict(r) for r in page.data["rows"]]
    rows[0] = {**rows[0], "cells": [*rows[0]["cells"][:5], "8,5", rows[0]["cells"][6]]}
    assert page.data["rows"][0]["cells"][5] == "5,5"
    forged = replace(doc, pages=(doc.pages[0], replace(page, data={**page.data, "rows": rows}), doc.pages[2]))
    codes = {}
    for p, m in zip(forged.pages, published.manifest.pages, strict=True):
        fields = verify_code(m.qr, _NoKeys()).fields  # decoding only; the forger reads the old codes
        codes[p.no] = (qr_svg(m.qr).svg, human_code(fields.edition_id, fields.page, fields.pages))
    return render_document("markbook", forged.with_codes(codes), pdf_standard="a-3b")


class _NoKeys:
    """A KeyLookup that knows no key (decoding only)."""

    def lookup(self, key_id: str) -> None:
        return None


def test_rerendered_page_with_changed_mark_and_old_qr_is_altered(session, published) -> None:
    forged = _rerender_with_changed_mark(published)
    # with the genuine attachments copied in: the text layer no longer matches the signed counts
    report = verify_file(copy_attachments(published.pdf, forged), DbTrustList(session), session)
    assert statuses(report) == [PageStatus.ALTERED] * 3
    assert "«5,5»" in report.pages[1].message_vi
    # without attachments: a digital page without the signed manifest is a re-made file
    report = verify_file(forged, DbTrustList(session), session)
    assert report.kind == "pdf"
    assert statuses(report) == [PageStatus.ALTERED] * 3
    assert not report.ok


def test_changed_attached_data_is_altered(session, published) -> None:
    doc = pikepdf.open(io.BytesIO(published.pdf))
    raw = doc.attachments["sodientu-document.json"].get_file().read_bytes()
    doc.attachments["sodientu-document.json"] = pikepdf.AttachedFileSpec(
        doc, raw.replace(b'"5,5"', b'"8,5"', 1), filename="sodientu-document.json", mime_type="application/json",
        relationship=pikepdf.Name.Data)
    buf = io.BytesIO()
    doc.save(buf)
    report = verify_file(buf.getvalue(), DbTrustList(session), session)
    assert not report.ok
    assert PageStatus.ALTERED in statuses(report)


def test_missing_page_is_reported(session, published) -> None:
    doc = pikepdf.open(io.BytesIO(published.pdf))
    del doc.pages[2]
    buf = io.BytesIO()
    doc.save(buf)
    report = verify_file(buf.getvalue(), DbTrustList(session), session)
    assert not report.ok
    assert any("thiếu trang" in p for p in report.problems_vi)


# --- codes -------------------------------------------------------------------------------------


def _flip_bit(text: str, byte: int, bit: int = 0) -> str:
    from signing.base45 import b45encode

    raw = bytearray(payload_bytes(text))
    raw[byte] ^= 1 << bit
    return "SDT1:" + b45encode(bytes(raw))


@pytest.mark.parametrize("byte", [1, 23, 30, 60, 109])
def test_one_bit_flipped_is_altered_or_malformed(session, published, byte) -> None:
    code = _flip_bit(published.manifest.pages[1].qr, byte)
    v = verify_code(code, DbTrustList(session), session)
    assert v.status in (PageStatus.ALTERED, PageStatus.MALFORMED)
    assert not v.ok


def test_unknown_key(session, world) -> None:
    stranger = generate_private_key()
    fields = PayloadFields(DocType.MARK_BOOK, uuid.uuid4(), 1, 2, dt.date(2026, 5, 30), b"\x01" * 16)
    v = verify_code(encode_payload(fields, stranger), DbTrustList(session), session)
    assert v.status is PageStatus.UNKNOWN_KEY


def test_signed_but_unrecorded_edition(session, world) -> None:
    fields = PayloadFields(DocType.MARK_BOOK, uuid.uuid4(), 1, 2, dt.date(2026, 5, 30), b"\x01" * 16)
    v = verify_code(encode_payload(fields, world.key), DbTrustList(session), session)
    assert v.status is PageStatus.UNKNOWN_EDITION


@pytest.mark.parametrize("text", [
    "", "hello", "https://example.com/", "SDT1:", "SDT1:%%%%", "SDT1:ABC", "SDT2:" + "A" * 165, "\x00" * 50,
    "SDT1:" + "9" * 3000,
])
def test_random_or_broken_codes_never_raise(session, text) -> None:
    v = verify_code(text, DbTrustList(session), session)
    assert v.status is PageStatus.MALFORMED


def test_truncated_code(session, published) -> None:
    text = published.manifest.pages[0].qr
    v = verify_code(text[:-12], DbTrustList(session), session)
    assert v.status is PageStatus.MALFORMED


def test_revoked_edition(session, world, published) -> None:
    principal = Actor.load(session, make_user(session, world.school, [Role.PRINCIPAL]).id)
    with pytest.raises(ValidationError):
        es.revoke_edition(session, principal, published.edition.id, "  ")
    es.revoke_edition(session, principal, published.edition.id, "Học bạ báo mất")
    report = verify_file(published.pdf, DbTrustList(session), session)
    assert statuses(report) == [PageStatus.REVOKED] * 3
    assert "Học bạ báo mất" in report.pages[0].message_vi
    public = verify_code(published.manifest.pages[0].qr, DbTrustList(session), session, public=True)
    assert public.status is PageStatus.REVOKED and "báo mất" not in public.message_vi


def test_reprint_supersedes_and_names_the_new_edition(session, world, published) -> None:
    again = publish_small(session, world)
    report = verify_file(published.pdf, DbTrustList(session), session)
    assert statuses(report) == [PageStatus.SUPERSEDED] * 3
    assert report.pages[0].superseded_by == again.edition.id
    assert human_code(again.edition.id, 1, 68).split(" ")[0] in report.pages[0].message_vi
    assert verify_file(again.pdf, DbTrustList(session), session).ok


def test_key_rotation_keeps_old_editions_verifiable_then_revocation_stops_them(session, world, published) -> None:
    from records.models import KeyKind
    from signing.keys import key_id, public_key_pem

    new_key = generate_private_key()
    es.register_key(session, Actor.system("test"), key_id=key_id(new_key), kind=KeyKind.ED25519,
                    public_pem=public_key_pem(new_key), school_id=world.school.id)
    assert verify_file(published.pdf, DbTrustList(session), session).ok  # retired key: still genuine
    with pytest.raises(SigningKeyError, match="retired"):
        publish_small(session, world)  # the retired key no longer signs
    world.key = new_key
    fresh = publish_small(session, world, (1,))
    assert verify_file(fresh.pdf, DbTrustList(session), session).ok
    es.revoke_key(session, Actor.system("test"), published.manifest.key_id, "khóa cũ bị lộ")
    assert statuses(verify_file(published.pdf, DbTrustList(session), session)) == [PageStatus.KEY_REVOKED] * 3
    assert verify_file(fresh.pdf, DbTrustList(session), session).ok


def test_correction_outdates_current_editions(session, world, published) -> None:
    from tests.factories import enrol, make_student

    student = make_student(session, world.school)
    enrolment = enrol(session, student, world.klass)
    changed = es.on_correction_applied(session, world.office, enrolment_id=enrolment.id, request_id=7)
    assert [e.id for e in changed] == [published.edition.id]
    assert published.edition.status is EditionStatus.OUTDATED
    report = verify_file(published.pdf, DbTrustList(session), session)
    assert statuses(report) == [PageStatus.OUTDATED] * 3


# --- scans and photos --------------------------------------------------------------------------


def _paper(pdf: bytes, index: int, dpi: int = 600) -> Image.Image:
    img = render_page_images(pdf, dpi=dpi, pages=[index])[0].convert("L")
    img.info["dpi"] = (dpi, dpi)
    return img


def test_office_scan_rotated_blurred_jpeg_still_verifies(session, published) -> None:
    scan = simulate_scan(_paper(published.pdf, 1), dpi=200, angle=3.0, blur=0.08, jpeg_quality=60, seed=3)
    buf = io.BytesIO()
    scan.save(buf, "JPEG", quality=60)
    report = verify_file(buf.getvalue(), DbTrustList(session), session, issued_pdf=lambda _eid: published.pdf)
    assert report.kind == "image"
    # a photo is never "genuine" by its code: the code is, and the genuine page is shown to compare
    assert statuses(report) == [PageStatus.CODE_GENUINE] and report.needs_comparison and not report.ok
    assert report.pages[0].fields.page == MARKS_PAGE and report.pages[0].genuine_page == 1
    assert report.pages[0].comparison.matches, report.pages[0].comparison


def test_png_at_200_dpi_and_multipage_tiff_and_scanned_pdf(session, published) -> None:
    pages = [simulate_scan(_paper(published.pdf, i), dpi=200, angle=-2.0, seed=i).convert("L") for i in range(3)]
    png = io.BytesIO()
    pages[0].save(png, "PNG")
    assert statuses(verify_file(png.getvalue(), DbTrustList(session), session)) == [PageStatus.CODE_GENUINE]
    tiff = io.BytesIO()
    pages[0].save(tiff, "TIFF", save_all=True, append_images=pages[1:])
    assert statuses(verify_file(tiff.getvalue(), DbTrustList(session), session)) == [PageStatus.CODE_GENUINE] * 3
    scanned = io.BytesIO()
    pages[0].save(scanned, "PDF", save_all=True, append_images=pages[1:], resolution=200)
    report = verify_file(scanned.getvalue(), DbTrustList(session), session)
    assert report.kind == "pdf" and statuses(report) == [PageStatus.CODE_GENUINE] * 3


def test_page_without_code_and_junk_files(session) -> None:
    blank = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(blank, "PNG")
    report = verify_file(blank.getvalue(), DbTrustList(session), session)
    assert statuses(report) == [PageStatus.NO_CODE] and not report.ok
    for junk in (b"", b"\x89PNG\r\n\x1a\nbroken", b"%PDF-1.7\n1 0 obj broken", bytes(range(256)) * 10):
        report = verify_file(junk, DbTrustList(session), session)
        assert not report.ok


# --- PDF signatures ----------------------------------------------------------------------------


def test_pades_signature_valid_then_any_change_reported(session, world) -> None:
    signer = register_certificate(session, world)
    pub = publish_small(session, world, (1,), pdf_signer=signer)
    report = verify_file(pub.pdf, DbTrustList(session), session)
    assert report.ok, (report.problems_vi, [s.message_vi for s in report.signatures])
    assert len(report.signatures) == 1 and report.signatures[0].trusted
    # an incremental update appended after signing (content unchanged): reported
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(pub.pdf))
    w.root["/Lang"] = pikepdf_name("vi-VN")
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    report = verify_file(out.getvalue(), DbTrustList(session), session)
    assert not report.ok and not report.signatures[0].covers_whole_file
    # a full rewrite (pikepdf save) breaks the signature
    doc = pikepdf.open(io.BytesIO(pub.pdf))
    doc.Root.Lang = pikepdf.String("vi-VN")
    buf = io.BytesIO()
    doc.save(buf)
    report = verify_file(buf.getvalue(), DbTrustList(session), session)
    assert not report.ok
    assert not all(s.intact and s.valid and s.covers_whole_file for s in report.signatures)
    # a signature stripped away: the edition was issued signed
    doc = pikepdf.open(io.BytesIO(pub.pdf))
    del doc.Root.AcroForm
    for page in doc.pages:
        if "/Annots" in page:
            del page.Annots
    buf = io.BytesIO()
    doc.save(buf)
    report = verify_file(buf.getvalue(), DbTrustList(session), session)
    assert not report.signatures and not report.ok
    assert any("không còn chữ ký" in p for p in report.problems_vi)


def pikepdf_name(text: str):
    from pyhanko.pdf_utils import generic

    return generic.TextStringObject(text)


def test_qr_carries_the_verification_url_of_the_install(session, world, monkeypatch) -> None:
    """Issue 10: a phone camera opens the page: the QR is https://<address>/V/<code>; offline verifiers parse it."""
    from signing.qr import read_qr_codes

    monkeypatch.setenv("SODIENTU_VERIFY_URL", "https://xacthuc.example.vn")
    pub = publish_small(session, world, (25,))
    (found,) = read_qr_codes(pub.pdf)
    assert found.text.startswith("HTTPS://XACTHUC.EXAMPLE.VN/V/")
    assert verify_file(pub.pdf, DbTrustList(session), session).ok
    trust = TrustStore()
    trust.add(world.key.public_key())
    assert verify_code(found.text, trust).status is PageStatus.GENUINE  # offline: the code inside the URL
    assert "/" + found.text.split("/", 3)[3] == "/V/" + found.text.split("/V/", 1)[1]  # the route /V/<code>
