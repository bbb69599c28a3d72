"""``sodientu scans ingest``: scanned books come back, are matched page by page, and are archived.

Steps (``ingest``):

1. every file is checked (``scans.source``): a hostile or broken file is refused whole, before
   anything is written;
2. every page is normalised (``scans.normalise``: upright, deskewed, JPEG) and its code read and
   verified (``scans.codes``) — in worker processes when there are many pages;
3. pages are matched to the recorded edition pages; the file's book is the edition given with
   ``expected`` or else the one holding most of the file's pages, and a page of another edition is
   *foreign* (kept and filed with its own edition); a page already returned is a *duplicate*; a
   page without a usable code is *unreadable* and waits for :func:`assign_page`;
4. stamp and signature ink is looked for in the zones of the issued page (``scans.zones``);
5. in one short write: the original files, one PDF of the normalised pages per edition and every
   unreadable page are deposited (``scans.archiving``), and a row per page is recorded.

The report (:class:`IngestReport`) says per edition which pages came back, which are missing,
duplicated or foreign, and which lack the overlap stamp or signatures.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.errors import IntegrityError, NotFoundError, ValidationError
from records.models import (
    Edition,
    EditionKind,
    InkCheck,
    ScanBatch,
    ScanPage,
    ScanPageStatus,
    School,
    User,
)
from records.models.base import utcnow
from records.permissions import Action, Actor, require
from scans import archiving
from scans.codes import CodeReader, PageCode, editions_by_code
from scans.errors import ScanError, ScanFileError
from scans.normalise import NormalisedPage, normalise
from scans.source import ScanFile, close_documents, open_scan, page_image
from scans.zones import InkFound, PageGeometry, measure, page_geometry
from signing.payload import edition_short_id

log = logging.getLogger(__name__)
PARALLEL_FROM = 8  # pages; below this, workers cost more than they save


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageOutcome:
    """What became of one scanned page."""

    file: str
    index: int  # 0-based page of the file
    status: ScanPageStatus
    edition_id: uuid.UUID | None = None
    page_number: int | None = None
    rotation: float = 0.0
    stamp: InkCheck = InkCheck.UNKNOWN
    signatures: InkCheck = InkCheck.UNKNOWN
    signature_zones: int = 0
    signed_zones: int = 0
    note: str = ""
    scan_page_id: int | None = None


@dataclass(frozen=True)
class EditionReport:
    """One edition after the ingest: its pages (n of N) by what the scans show."""

    edition_id: uuid.UUID
    code: str  # short code printed under the QR
    title: str
    pages: tuple[int, ...]  # the edition's page numbers
    came_back: tuple[int, ...]  # in this ingest
    missing: tuple[int, ...]  # never came back (this ingest and earlier ones)
    duplicated: tuple[int, ...]  # came back more than once (this ingest and earlier ones)
    foreign: tuple[str, ...]  # pages of other books found among this book's pages ("file p.3: ABCD-1234 5/68")
    no_stamp: tuple[int, ...]
    stamp_unknown: tuple[int, ...]
    no_signature: tuple[int, ...]


@dataclass(frozen=True)
class RefusedFile:
    """A file refused whole (nothing of it was kept)."""

    file: str
    message_vi: str
    message_en: str


@dataclass
class IngestReport:
    """Everything an ingest did, for the command's output and the tests."""

    pages: list[PageOutcome] = field(default_factory=list)
    editions: list[EditionReport] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def unreadable(self) -> list[PageOutcome]:
        """Pages waiting to be matched by hand."""
        return [p for p in self.pages if p.status is ScanPageStatus.UNREADABLE]

    @property
    def ok(self) -> bool:
        """True when nothing was refused, unreadable, foreign, missing, unstamped or unsigned."""
        return not (self.refused or self.unreadable or any(
            e.missing or e.duplicated or e.foreign or e.no_stamp or e.no_signature for e in self.editions))


# --- page work (runs in worker processes) -----------------------------------------------------

_FILES: dict[int, ScanFile] = {}
_PDFS: dict[str, bytes] = {}


def _read_page(task: tuple[int, int]) -> NormalisedPage | RefusedFile:
    file_no, index = task
    scan = _FILES[file_no]
    try:
        return normalise(page_image(scan, index))
    except ScanFileError as exc:
        return RefusedFile(scan.name, exc.message_vi, exc.message_en)


def _geometry(path: str, position: int, dpi: float) -> PageGeometry:
    data = _PDFS.get(path)
    if data is None:
        data = _PDFS[path] = Path(path).read_bytes()
    return page_geometry(data, position, dpi)


def _check_ink(task: tuple[str, int, NormalisedPage]) -> tuple[PageGeometry, InkFound]:
    path, position, page = task
    geometry = _geometry(path, position, page.dpi)
    qr = page.qr.corners if page.qr else None
    return geometry, measure(page.jpeg, qr, page.colour, geometry)


def _run(fn: Callable, tasks: Sequence, workers: int, progress: Callable[[int], None]) -> Iterator:  # type: ignore[type-arg]
    if workers <= 1 or len(tasks) < PARALLEL_FROM:
        for t in tasks:
            yield fn(t)
            progress(1)
        return
    ctx = multiprocessing.get_context("fork")  # workers inherit the files already read (no copying)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for result in pool.map(fn, tasks, chunksize=2):
            yield result
            progress(1)


# --- matching ---------------------------------------------------------------------------------


@dataclass
class _Page:
    file_no: int
    page: NormalisedPage
    status: ScanPageStatus = ScanPageStatus.UNREADABLE
    code: PageCode | None = None
    edition: Edition | None = None
    position: int | None = None  # of the matched page in the edition's PDF
    note: str = ""
    ink: InkFound | None = None
    geometry: PageGeometry | None = None


def _match(session: Session, reader: CodeReader, pages: list[_Page], editions: dict[uuid.UUID, Edition],
           school: School) -> None:
    for p in pages:
        if p.page.qr is None:
            p.note = "Không đọc được mã QR trên trang."
            continue
        reading = reader.read(p.page.qr.text)
        if reading.code is None:  # a code, but not a genuine one of ours: not to be filed as a book page
            p.status = ScanPageStatus.FOREIGN
            p.note = f"Mã QR không được công nhận: {reading.problem_vi}"
            continue
        code = reading.code
        edition = editions.get(code.edition_id) or session.get(Edition, code.edition_id)
        if edition is None:
            p.status, p.code = ScanPageStatus.FOREIGN, code
            p.note = f"Mã của bản in {edition_short_id(code.edition_id)} không có trong danh sách bản in của trường."
            continue
        if edition.school_id != school.id:
            p.status, p.code = ScanPageStatus.FOREIGN, code
            p.note = f"Trang của một trường khác (bản in {edition_short_id(edition.id)}); không lưu vào hồ sơ của trường."
            continue
        editions[edition.id] = edition
        row = next((r for r in edition.pages if r.number == code.page), None)
        if row is None or row.digest != code.digest_hex:
            p.status, p.code = ScanPageStatus.FOREIGN, code
            p.note = f"Mã không khớp với trang {code.page} của bản in {edition_short_id(edition.id)} đã ghi nhận."
            continue
        p.status, p.code, p.edition, p.position = ScanPageStatus.MATCHED, code, edition, row.position


def _book_of_file(pages: list[_Page], expected: set[uuid.UUID]) -> set[uuid.UUID]:
    if expected:
        return expected
    counts = Counter(p.edition.id for p in pages if p.edition is not None)
    if not counts:
        return set()
    top = max(counts.values())
    return {e for e, n in counts.items() if n == top}


def _returned_before(session: Session, edition_ids: Iterable[uuid.UUID]) -> set[tuple[uuid.UUID, int]]:
    ids = list(edition_ids)
    if not ids:
        return set()
    rows = session.execute(select(ScanPage.edition_id, ScanPage.page_number).where(
        ScanPage.edition_id.in_(ids),
        ScanPage.status.in_((ScanPageStatus.MATCHED, ScanPageStatus.ASSIGNED, ScanPageStatus.FOREIGN))))
    return {(e, n) for e, n in rows if e is not None and n is not None}


def _ink_status(found: bool | None, has_zone: bool) -> InkCheck:
    if not has_zone:
        return InkCheck.NONE
    if found is None:
        return InkCheck.UNKNOWN
    return InkCheck.PRESENT if found else InkCheck.ABSENT


# --- archiving ------------------------------------------------------------------------------


def bundle_pdf(pages: Sequence[NormalisedPage]) -> bytes:
    """A PDF of normalised page images, each page at its scanned size (JPEGs kept as they are)."""
    pdf = pikepdf.new()
    for page in pages:
        w, h = page.size
        image = pikepdf.Stream(pdf, page.jpeg)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = w, h, 8
        image.ColorSpace = pikepdf.Name.DeviceRGB if page.mode == "RGB" else pikepdf.Name.DeviceGray
        image.Filter = pikepdf.Name.DCTDecode
        pw, ph = w * 72 / page.dpi, h * 72 / page.dpi
        new = pdf.add_blank_page(page_size=(pw, ph))
        new.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        new.Contents = pdf.make_stream(f"q {pw:.3f} 0 0 {ph:.3f} 0 0 cm /Im0 Do Q".encode())
    import io

    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _school_of(session: Session, actor: Actor, school_id: int | None) -> School:
    if school_id is None:
        ids = sorted({g.school_id for g in actor.grants if g.school_id is not None})
        if len(ids) != 1:
            raise ValidationError("Hãy chọn trường (--school) để lưu các trang quét.", "ambiguous school for ingest")
        school_id = ids[0]
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError(f"Không tìm thấy trường có mã số {school_id}.", f"no school {school_id}")
    return school


# --- the entry point --------------------------------------------------------------------------


def ingest(session: Session, actor: Actor, paths: Sequence[str | Path], *, school_id: int | None = None,
           expected: Iterable[uuid.UUID] = (), workers: int | None = None, progress: bool = False,
           names: Sequence[str] | None = None) -> IngestReport:
    """Ingest scanned files (the caller commits). Refused files are in the report, never half-kept."""
    started = time.perf_counter()
    school = _school_of(session, actor, school_id)
    require(session, actor, Action.ARCHIVE_WRITE, school)
    report = IngestReport()
    files: dict[int, ScanFile] = {}
    for i, path in enumerate(paths):
        try:
            files[i] = open_scan(path, name=names[i] if names else None)
        except ScanFileError as exc:
            report.refused.append(RefusedFile(Path(path).name, exc.message_vi, exc.message_en))
    total = sum(f.pages for f in files.values())
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    bar = _progress_bar(total * 2, progress)
    _FILES.clear()
    _FILES.update(files)
    pages: list[_Page] = []
    broken: set[int] = set()
    tasks = [(n, i) for n, f in files.items() for i in range(f.pages)]
    for (n, _i), result in zip(tasks, _run(_read_page, tasks, workers, bar.update), strict=True):
        if isinstance(result, RefusedFile):
            if n not in broken:
                report.refused.append(result)
            broken.add(n)
        elif n not in broken:
            pages.append(_Page(n, result))
    close_documents()
    pages = [p for p in pages if p.file_no not in broken]
    for n in broken:
        files.pop(n)
    editions: dict[uuid.UUID, Edition] = {}
    _match(session, CodeReader(session), pages, editions, school)
    _classify(session, pages, set(expected), editions)
    _look_for_ink(session, pages, editions, workers, bar.update)
    bar.close()
    _record(session, actor, school, files, pages, editions, report)
    report.editions = [edition_report(session, e, pages) for e in editions.values()
                       if any(p.edition is e and p.status is not ScanPageStatus.FOREIGN for p in pages)]
    report.editions.sort(key=lambda r: r.title)
    report.seconds = time.perf_counter() - started
    return report


def _classify(session: Session, pages: list[_Page], expected: set[uuid.UUID],
              editions: dict[uuid.UUID, Edition]) -> None:
    seen = _returned_before(session, editions)
    by_file: dict[int, list[_Page]] = {}
    for p in pages:
        by_file.setdefault(p.file_no, []).append(p)
    for file_pages in by_file.values():
        book = _book_of_file(file_pages, expected)
        for p in file_pages:
            if p.status is not ScanPageStatus.MATCHED or p.edition is None or p.code is None:
                continue
            if book and p.edition.id not in book:
                p.status = ScanPageStatus.FOREIGN
                p.note = f"Trang của sổ khác ({p.edition.title}) lẫn vào tệp này."
            key = (p.edition.id, p.code.page)
            if key in seen and p.status is ScanPageStatus.MATCHED:
                p.status = ScanPageStatus.DUPLICATE
                p.note = f"Trang {p.code.page} của bản in này đã được quét trước đó."
            seen.add(key)


def _look_for_ink(session: Session, pages: list[_Page], editions: dict[uuid.UUID, Edition], workers: int,
                  update: Callable[[int], None]) -> None:
    todo = [p for p in pages if p.edition is not None and p.position is not None]
    update(len(pages) - len(todo))
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix="sodientu-scans-") as tmp:
        paths: dict[uuid.UUID, str] = {}
        for e in {p.edition.id: p.edition for p in todo if p.edition}.values():
            try:
                pdf = archiving.issued(session, e.id)
            except IntegrityError as exc:  # the archive lost or damaged it: `archive check` says so; go on
                log.warning("issued PDF of %s unreadable: %s", e.id, exc.message_en)
                pdf = None
            if pdf is not None:
                paths[e.id] = str(Path(tmp) / f"{e.id}.pdf")
                Path(paths[e.id]).write_bytes(pdf)
        checkable = [p for p in todo if p.edition and p.edition.id in paths]
        update(len(todo) - len(checkable))
        tasks = [(paths[p.edition.id], p.position, p.page) for p in checkable if p.edition and p.position]
        _PDFS.clear()
        for p, (geometry, ink) in zip(checkable, _run(_check_ink, tasks, workers, update), strict=True):
            p.geometry, p.ink = geometry, ink


def _outcome(name: str, p: _Page) -> PageOutcome:
    g, ink = p.geometry, p.ink
    zones = len(g.signatures) if g else 0
    signed = sum(ink.signatures) if ink else 0
    stamp = InkCheck.UNKNOWN if g is None or ink is None else _ink_status(ink.stamp, g.stamp is not None)
    if g is None or ink is None or not ink.aligned:
        sig = InkCheck.UNKNOWN
    else:
        sig = InkCheck.NONE if zones == 0 else (InkCheck.PRESENT if signed == zones else InkCheck.ABSENT)
    return PageOutcome(name, p.page.index, p.status, p.edition.id if p.edition else (p.code.edition_id if p.code else None),
                       p.code.page if p.code else None, p.page.rotation, stamp, sig, zones, signed, p.note)


def _record(session: Session, actor: Actor, school: School, files: dict[int, ScanFile], pages: list[_Page],
            editions: dict[uuid.UUID, Edition], report: IngestReport) -> None:
    """Deposit and record everything in the caller's transaction (nothing before this point is written)."""
    kept: dict[int, tuple[str, int]] = {}  # id(page) -> (item sha, page in item)
    by_edition: dict[tuple[uuid.UUID, str], list[_Page]] = {}
    for p in pages:
        if p.edition is not None:
            by_edition.setdefault((p.edition.id, _archive_kind(p)), []).append(p)
    for (eid, kind), group in by_edition.items():
        edition = editions[eid]
        group.sort(key=lambda p: (p.code.page if p.code else 0, p.file_no, p.page.index))
        data = bundle_pdf([p.page for p in group])
        sha = archiving.keep(
            session, actor, data, kind=kind, school_id=edition.school_id, edition_id=eid,
            filename=f"scan-{edition_short_id(eid)}-{hashlib.sha256(data).hexdigest()[:8]}.pdf",
            title=f"Bản quét — {edition.title}", media_type="application/pdf",
            metadata={"pages": [p.code.page for p in group if p.code]})
        for k, p in enumerate(group, start=1):
            kept[id(p)] = (sha, k)
    for p in pages:
        if p.edition is None:
            name = files[p.file_no].name
            sha = archiving.keep(
                session, actor, p.page.jpeg, kind=archiving.UNMATCHED_SCAN, school_id=school.id,
                filename=f"{Path(name).stem}-trang-{p.page.index + 1}.jpg",
                title=f"Trang quét chưa nhận diện — {name}, trang {p.page.index + 1}", media_type="image/jpeg",
                metadata={"file": name, "page": p.page.index + 1, "note": p.note})
            kept[id(p)] = (sha, 1)
    user = session.get(User, actor.user_id) if actor.user_id else None
    for n, scan in files.items():
        file_sha = archiving.keep(
            session, actor, scan.data, kind=archiving.BOOK_SCAN, school_id=school.id, filename=scan.name,
            title=f"Tệp quét gốc — {scan.name}", media_type=_MEDIA[scan.kind], metadata={"original": True})
        batch = ScanBatch(school_id=school.id, file_name=scan.name[:300], file_sha256=file_sha,
                          page_count=scan.pages, created_by_id=user.id if user else None,
                          created_by_name=actor.username)
        session.add(batch)
        session.flush()
        for p in (q for q in pages if q.file_no == n):
            out = _outcome(scan.name, p)
            sha, k = kept[id(p)]
            row = ScanPage(batch_id=batch.id, index=p.page.index, item_sha256=sha, item_page=k, status=out.status,
                           edition_id=p.edition.id if p.edition else None, page_number=out.page_number if p.edition else None,
                           rotation=out.rotation, stamp=out.stamp, signatures=out.signatures,
                           signature_zones=out.signature_zones, signed_zones=out.signed_zones,
                           qr_text=p.page.qr.text if p.page.qr else None, note=out.note[:300] or None)
            session.add(row)
            session.flush()
            report.pages.append(PageOutcome(**{**out.__dict__, "scan_page_id": row.id}))
        audit.append(session, actor, "scans_ingest", "scan_batch", batch.id, None,
                     {"file": scan.name, "sha256": file_sha, "pages": scan.pages,
                      "status": dict(Counter(p.status.value for p in report.pages if p.file == scan.name))},
                     school_id=school.id)


def _archive_kind(p: _Page) -> str:
    """What a returned page is kept as: a book scan, or the signed papers of a transcript copy."""
    if p.edition is None or p.edition.kind is not EditionKind.COPY_MINUTES or p.code is None:
        return archiving.BOOK_SCAN
    row = next((r for r in p.edition.pages if r.number == p.code.page), None)
    return archiving.COPY_REQUEST if row is not None and row.kind == "copy-request" else archiving.COPY_MINUTES


_MEDIA = {"pdf": "application/pdf", "tiff": "image/tiff", "jpeg": "image/jpeg", "png": "image/png"}


def edition_report(session: Session, edition: Edition, pages: Sequence[_Page] = ()) -> EditionReport:
    """The state of an edition's returned pages: this ingest's pages plus what the database holds."""
    session.flush()
    rows = session.scalars(select(ScanPage).where(ScanPage.edition_id == edition.id).order_by(ScanPage.id)).all()
    numbers = tuple(sorted(r.number for r in edition.pages))
    # a page filed among another book's pages is still a page of its own edition that came back
    returned = [r for r in rows if r.status is not ScanPageStatus.UNREADABLE]
    counts = Counter(r.page_number for r in returned)
    this = {id(p) for p in pages}
    now = sorted({p.code.page for p in pages if id(p) in this and p.edition is edition and p.code
                  and p.status in (ScanPageStatus.MATCHED, ScanPageStatus.DUPLICATE)})
    book_batches = {r.batch_id for r in returned}
    foreign = [
        f"{r.batch.file_name}, trang {r.index + 1}: {r.note or ''}".strip()
        for r in session.scalars(select(ScanPage).where(ScanPage.batch_id.in_(book_batches or {-1}),
                                                         ScanPage.status == ScanPageStatus.FOREIGN)
                                 .order_by(ScanPage.batch_id, ScanPage.index))
    ]
    best: dict[int, ScanPage] = {}
    for r in returned:  # the latest scan of a page decides its stamp and signatures
        if r.page_number is not None:
            best[r.page_number] = r
    return EditionReport(
        edition_id=edition.id,
        code=edition_short_id(edition.id),
        title=edition.title,
        pages=numbers,
        came_back=tuple(now),
        missing=tuple(n for n in numbers if counts[n] == 0),
        duplicated=tuple(sorted(n for n, c in counts.items() if c > 1 and n is not None)),
        foreign=tuple(foreign),
        no_stamp=tuple(sorted(n for n, r in best.items() if r.stamp is InkCheck.ABSENT)),
        stamp_unknown=tuple(sorted(n for n, r in best.items() if r.stamp is InkCheck.UNKNOWN)),
        no_signature=tuple(sorted(n for n, r in best.items() if r.signatures is InkCheck.ABSENT)),
    )


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def _progress_bar(total: int, show: bool):  # type: ignore[no-untyped-def]
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="bước", desc="Đọc trang quét", leave=False)


# --- matching by hand -------------------------------------------------------------------------


def assign_page(session: Session, actor: Actor, scan_page_id: int, edition_code: str, page_number: int) -> ScanPage:
    """Match an unreadable page by hand to page ``page_number`` of an edition (by its printed code)."""
    row = session.get(ScanPage, scan_page_id)
    if row is None:
        raise NotFoundError(f"Không có trang quét số {scan_page_id}.", f"no scan page {scan_page_id}")
    if row.status is not ScanPageStatus.UNREADABLE:
        raise ValidationError(f"Trang quét số {scan_page_id} đã được nhận diện ({row.status.value}).",
                              f"scan page {scan_page_id} is {row.status.value}")
    found = editions_by_code(session, edition_code)
    if len(found) != 1:
        raise NotFoundError(f"Không xác định được bản in «{edition_code}» ({len(found)} bản in khớp).",
                            f"{len(found)} editions match {edition_code!r}")
    edition = found[0]
    require(session, actor, Action.ARCHIVE_WRITE, session.get(School, edition.school_id))
    if all(p.number != page_number for p in edition.pages):
        raise ValidationError(f"Bản in {edition_short_id(edition.id)} không có trang {page_number}.",
                              f"edition has no page {page_number}")
    before = {"status": row.status.value}
    already = _returned_before(session, [edition.id])
    row.status = ScanPageStatus.DUPLICATE if (edition.id, page_number) in already else ScanPageStatus.ASSIGNED
    row.edition_id, row.page_number = edition.id, page_number
    row.assigned_by_name, row.assigned_at = actor.username, utcnow()
    row.stamp = row.signatures = InkCheck.UNKNOWN  # no code to align the page with: a person checks it
    audit.append(session, actor, "scans_assign", "scan_page", row.id, before,
                 {"status": row.status.value, "edition": str(edition.id), "page": page_number},
                 school_id=edition.school_id)
    session.flush()
    return row


def unmatched_pages(session: Session, school_id: int | None = None) -> list[ScanPage]:
    """Pages still waiting to be matched by hand, oldest first."""
    q = select(ScanPage).join(ScanBatch).where(ScanPage.status == ScanPageStatus.UNREADABLE)
    if school_id is not None:
        q = q.where(ScanBatch.school_id == school_id)
    return list(session.scalars(q.order_by(ScanPage.id)))


__all__ = ["EditionReport", "IngestReport", "PageOutcome", "RefusedFile", "ScanError", "assign_page",
           "bundle_pdf", "edition_report", "ingest", "unmatched_pages"]
