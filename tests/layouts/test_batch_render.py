"""Transcripts printed in ONE Typst compile and split (layouts/README.md, D-BATCH-1): each book's PDF holds
only its own book, is PDF/A-3b like a single compile, signs exactly what the book printed alone signs and
looks the same, pixel for pixel."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zlib

import pikepdf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from layouts import publish, render
from layouts.errors import LayoutOverflowError
from layouts.transcript import build_transcript
from records.models import EditionKind
from tests.layouts.transcript_samples import sample_input

ISSUED = dt.date(2026, 6, 15)
NAMES = ("Lò Thị Hương Giang", "Quàng Văn Thượng", "Hoàng Thị Mỹ Duyên")


def _photo(seed: int) -> bytes:
    img = Image.new("RGB", (300, 400), ((seed * 70) % 256, 90, 160))
    for x in range(0, 300, 7):
        img.putpixel((x, (x * seed) % 400), (255, 255, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def books() -> list[tuple[publish.ProduceRequest, str]]:
    """Three students' year prints and bound volumes (the volumes with a photo), with their student codes."""
    out = []
    for seed, name in enumerate(NAMES, 1):
        inp = sample_input(seed=seed, name=name, photo=_photo(seed))
        for doc in (build_transcript(inp, year="2024-2025"), build_transcript(inp, volume=True)):
            out.append((publish.ProduceRequest(doc, EditionKind.TRANSCRIPT,
                                               facts=publish.transcript_facts(doc, inp.identity.date_of_birth)),
                        inp.student_code))
    return out


def _ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid5(uuid.NAMESPACE_URL, f"book-{k}") for k in range(n)]


@pytest.fixture(scope="module")
def printed(books) -> tuple[list[publish.Produced], list[publish.Produced]]:
    """Each book printed alone and in one batch, with the same edition ids (uuid4 pinned)."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    with pytest.MonkeyPatch.context() as mp:
        ids = iter(_ids(len(books)))
        mp.setattr(publish.uuid, "uuid4", lambda: next(ids))
        alone = [publish.produce(req.document, template="transcript", kind=req.kind, private_key=key,
                                 issued_on=ISSUED, facts=req.facts) for req, _code in books]
        ids = iter(_ids(len(books)))
        batch = publish.produce_many([req for req, _code in books], template="transcript", private_key=key,
                                     issued_on=ISSUED)
    assert not [b for b in batch if isinstance(b, Exception)]
    return alone, batch  # type: ignore[return-value]


def _attachments(pdf: bytes) -> dict[str, bytes]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return {name: spec.get_file().read_bytes() for name, spec in doc.attachments.items()}


def test_what_is_signed_is_what_the_book_alone_signs(printed) -> None:
    alone, batch = printed
    for one, many in zip(alone, batch, strict=True):
        assert many.edition_id == one.edition_id
        assert many.pages == one.pages  # page digests
        assert many.manifest == one.manifest  # QR payloads, page text digests, printed counts
        assert many.document_json == one.document_json and many.document_sha256 == one.document_sha256
        assert _attachments(many.pdf) == _attachments(one.pdf)  # the attached document and signed manifest
        assert render.extract_page_texts(many.pdf) == render.extract_page_texts(one.pdf)
        assert many.pdf != one.pdf  # the bytes depend on the batch (fonts, object numbers): never compared


def test_pages_look_the_same_pixel_for_pixel(printed, tmp_path) -> None:
    alone, batch = printed
    for one, many in list(zip(alone, batch, strict=True))[:2]:
        a = render.render_page_images(one.pdf, dpi=100, grayscale=False)
        b = render.render_page_images(many.pdf, dpi=100, grayscale=False)
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert x.tobytes() == y.tobytes()


def _objects(pdf: bytes) -> list[bytes]:
    """Every string, name and (decoded) stream of a PDF, as bytes."""
    out: list[bytes] = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    out.append(obj.read_bytes())
                except pikepdf.PdfError:
                    out.append(obj.read_raw_bytes())
                out.append(repr(dict(obj.stream_dict.items())).encode())
            else:
                out.append(repr(obj).encode("utf-8", "replace"))
        out.append(repr(doc.trailer).encode("utf-8", "replace"))
    return out


def _needles(value: str) -> list[bytes]:
    return [value.encode("utf-8"), value.encode("utf-16-be"), value.encode("utf-8").hex().encode(),
            value.encode("utf-16-be").hex().upper().encode()]


def test_a_split_pdf_holds_nothing_of_its_neighbours(books, printed) -> None:
    _alone, batch = printed
    for k, own in enumerate(batch):
        blobs = _objects(own.pdf)
        for j, (req, code) in enumerate(books):
            if j // 2 == k // 2:
                continue  # the same student's other book
            other = batch[j]
            for value in (NAMES[j // 2], code, str(other.edition_id), other.edition_id.hex, other.document_sha256,
                          other.manifest.pages[0].qr[-40:]):
                for needle in _needles(value):
                    assert not any(needle in blob for blob in blobs), (k, j, value)


def test_a_split_pdf_has_its_own_images_pages_and_identifiers(printed) -> None:
    alone, batch = printed
    for one, many in zip(alone, batch, strict=True):
        with pikepdf.open(io.BytesIO(one.pdf)) as a, pikepdf.open(io.BytesIO(many.pdf)) as b:
            assert len(b.pages) == len(a.pages) and len(b.objects) <= len(a.objects) + 10
            assert _images(b) == _images(a)  # its own photo, no neighbour's
            # the same catalog, trailer, document information and XMP keys as a single compile
            assert set(b.Root.keys()) == set(a.Root.keys()) and "/StructTreeRoot" not in b.Root
            assert set(b.trailer.keys()) == set(a.trailer.keys())
            assert dict(b.docinfo) == dict(a.docinfo)  # the title attach_and_identify set, not a neighbour's
            ma, mb = a.open_metadata(), b.open_metadata()
            assert set(mb) == set(ma)
            for key in ma:
                if not key.endswith(("}DocumentID", "}InstanceID", "}History")):  # each book its own identifier
                    assert mb[key] == ma[key], key
            assert mb["{http://ns.adobe.com/xap/1.0/t/pg/}NPages"] == str(len(b.pages))
            assert mb["pdfaid:part"] == "3" and mb["pdfaid:conformance"] == "B"
            assert b.Root.OutputIntents[0].S == "/GTS_PDFA1"
            for page in b.pages:
                assert "/StructParents" not in page.obj and "/Annots" not in page.obj
    ids = []
    for p in batch:  # each book its own identifier (trailer and XMP), not the batch's
        with pikepdf.open(io.BytesIO(p.pdf)) as doc:
            meta = doc.open_metadata()
            ids.append(str(doc.trailer.ID[0]))
            assert meta["xmpMM:DocumentID"] == meta["xmpMM:InstanceID"] == ids[-1]
            assert ids[-1] in str(meta["xmpMM:History"]) or ids[-1] in doc.Root.Metadata.read_bytes().decode()
    assert len(set(ids)) == len(ids)


def _images(doc: pikepdf.Pdf) -> set[str]:
    out = set()
    for page in doc.pages:
        for xobj in (page.obj.Resources.get("/XObject") or {}).values():
            assert xobj.Subtype == "/Image"
            out.add(hashlib.sha256(xobj.read_raw_bytes()).hexdigest())
    return out


def test_a_batch_whose_book_overflows_names_that_book() -> None:
    docs = [build_transcript(sample_input(seed=s), year="2024-2025") for s in (1, 2)]
    docs[1].pages[1].data["homeroom_comment"] = "Em chăm ngoan, học tốt, tích cực. " * 300
    with pytest.raises(LayoutOverflowError) as err:
        render.render_batch("transcript", docs, pdf_standard=publish.PDF_STANDARD)
    assert "'transcript'" in err.value.message_en
    # produce_many renders book by book then: the good book is printed, the overflowing one fails alone
    key = Ed25519PrivateKey.generate()
    reqs = [publish.ProduceRequest(d, EditionKind.TRANSCRIPT) for d in docs]
    out = publish.produce_many(reqs, template="transcript", private_key=key, issued_on=ISSUED)
    assert isinstance(out[0], publish.Produced) and isinstance(out[1], LayoutOverflowError)


def test_split_keeps_only_the_pages_of_each_book() -> None:
    docs = [build_transcript(sample_input(seed=s, name=n), year="2024-2025").to_dict()
            for s, n in ((1, NAMES[0]), (2, NAMES[1]))]
    pdf = render.render_pdf("transcripts", render.batch_json([render.document_json(d) for d in docs]),
                            pdf_standard=publish.PDF_STANDARD)
    parts = render.split_pdf(pdf, [len(d["pages"]) for d in docs], [b"a" * 16, b"b" * 16])
    assert [render.page_count(p) for p in parts] == [len(d["pages"]) for d in docs]
    assert NAMES[0] in render.extract_page_texts(parts[0])[0] and NAMES[1] not in "".join(
        render.extract_page_texts(parts[0]))
    assert zlib.crc32(parts[0]) != zlib.crc32(parts[1])


def test_a_book_attached_while_the_batch_is_split_is_the_book_split_then_attached() -> None:
    """``produce_many`` attaches each book's data while the batch is split (``render_batch``'s ``edit``), before
    its one save: the same bytes as a split book saved, opened again, attached and saved (``attach_and_identify``)."""
    docs = [build_transcript(sample_input(seed=s, name=n), year="2024-2025").to_dict()
            for s, n in ((1, NAMES[0]), (2, NAMES[1]))]
    pdf = render.render_pdf("transcripts", render.batch_json([render.document_json(d) for d in docs]),
                            pdf_standard=publish.PDF_STANDARD)
    counts, idents = [len(d["pages"]) for d in docs], [b"a" * 16, b"b" * 16]
    ids = _ids(2)

    def attach(k: int, book: pikepdf.Pdf) -> None:
        publish._attach_into(book, f'{{"book":{k}}}'.encode(), b'{"manifest":{}}', title=f"Học bạ {k}",
                             school="Trường THCS Tô Hiệu", edition_id=ids[k], issued=ISSUED)

    once = render.split_pdf(pdf, counts, idents, [lambda book, k=k: attach(k, book) for k in range(2)])
    twice = [publish.attach_and_identify(p, f'{{"book":{k}}}'.encode(), b'{"manifest":{}}', title=f"Học bạ {k}",
                                         school="Trường THCS Tô Hiệu", edition_id=ids[k], issued=ISSUED)
             for k, p in enumerate(render.split_pdf(pdf, counts, idents))]
    assert once == twice
    assert _attachments(once[1])["sodientu-document.json"] == b'{"book":1}'
