"""The one door to the ``typst`` package: documents in, PDF bytes out.

Every compile goes through a :class:`typst.Compiler` reused per thread, which sees only the
fonts vendored in ``layouts/fonts`` (system and Typst-embedded fonts are excluded, so every
machine prints the same bytes) and whose root is ``layouts/templates``. The document travels
as JSON in ``sys.inputs.doc``; a template reads it with ``json(bytes(sys.inputs.doc))``.

Typst only *warns* about an unknown font family and says nothing about a glyph that no font
has (it prints a blank box). Both are turned into :class:`RenderError` here: warnings that
mention fonts or glyphs fail the render, and every character of the document and of the
template sources is checked against the character maps of the vendored fonts before
compiling.

Also here: rendering PDF pages to images and extracting their text (pypdfium2), for tests,
previews and the verifier.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import typst

from layouts.errors import LayoutOverflowError, RenderError

LAYOUTS_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = LAYOUTS_DIR / "templates"
FONTS_DIR = LAYOUTS_DIR / "fonts"

#: Pinned creation date: identical input gives identical bytes.
FIXED_TIMESTAMP = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())

#: The fonts every layout may use. Each text style must cover every printed character.
TEXT_FONT_FILES = (
    "LiberationSerif-Regular.ttf",
    "LiberationSerif-Bold.ttf",
    "LiberationSerif-Italic.ttf",
    "LiberationSerif-BoldItalic.ttf",
)

_FONT_WARNING_WORDS = ("font", "glyph", "fallback")
_local = threading.local()


def _fonts() -> typst.Fonts:
    """The project's fonts only (of the calling thread, created on first use)."""
    fonts = getattr(_local, "fonts", None)
    if fonts is None:
        fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS_DIR)]
        )
        _local.fonts = fonts
    return fonts


def _compiler() -> typst.Compiler:
    """The Compiler of the calling thread (created on first use)."""
    comp = getattr(_local, "compiler", None)
    if comp is None:
        comp = typst.Compiler(root=str(TEMPLATES_DIR), font_paths=_fonts(), ignore_system_fonts=True)
        _local.compiler = comp
    return comp


_query_cpu = 0.0  # CPU seconds spent in query_document by this process (benchmarks split them out)
_dump_dir: Path | None = None


def query_seconds() -> float:
    """CPU seconds this process spent in :func:`query_document` (the measuring passes) so far."""
    return _query_cpu


def set_dump_dir(folder: str | Path | None) -> None:
    """Benchmarks: write every measuring document (template + JSON) into ``folder`` (None: stop)."""
    global _dump_dir
    _dump_dir = Path(folder) if folder is not None else None


def query_document(template: str, document: Any, selector: str) -> list[Any]:
    """Lay a book document out and return the ``value`` of every ``metadata`` matching ``selector``.

    The measuring pass of a page plan: a template reports where each row landed
    (``#metadata((..., page: here().page())) <label>``) and the builder paginates from that.
    """
    doc = document.to_dict() if hasattr(document, "to_dict") else document
    path = template_path(template)
    text = document_json(doc)
    check_glyphs(text, what="document")
    global _query_cpu
    if _dump_dir is not None:
        _dump_dir.mkdir(parents=True, exist_ok=True)
        (_dump_dir / f"measure-{template}.{os.getpid()}.{time.perf_counter_ns()}.json").write_text(text, "utf-8")
    started = time.process_time()
    comp = typst.Compiler(input=str(path), root=str(TEMPLATES_DIR), font_paths=_fonts(),
                          ignore_system_fonts=True, sys_inputs={"doc": text})
    try:
        return list(json.loads(comp.query(selector, field="value")))
    except (typst.TypstError, RuntimeError) as exc:  # query may report compile errors as RuntimeError
        raise RenderError(
            "Không in được sổ: lỗi trong mẫu in. Vui lòng báo cho quản trị hệ thống.",
            f"typst query of {path.name} failed: {getattr(exc, 'message', exc)}\n{getattr(exc, 'diagnostic', '')}",
        ) from exc
    finally:
        _query_cpu += time.process_time() - started


def template_path(template: str) -> Path:
    """The .typ file of a template name such as ``"markbook"``."""
    path = (TEMPLATES_DIR / f"{template}.typ").resolve()
    if path.parent != TEMPLATES_DIR or not path.is_file():
        raise RenderError(f"Không tìm thấy mẫu in «{template}».", f"unknown layout template {template!r}")
    return path


def document_json(document: Mapping[str, Any] | str | bytes) -> str:
    """The document as compact JSON text, NFC-normalised (Typst shapes precomposed letters best)."""
    if isinstance(document, bytes):
        text = document.decode("utf-8")
    elif isinstance(document, str):
        text = document
    else:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return unicodedata.normalize("NFC", text)


def render_pdf(
    template: str,
    document: Mapping[str, Any] | str | bytes,
    *,
    pdf_standard: str | Sequence[str] | None = None,
) -> bytes:
    """Compile ``templates/<template>.typ`` with the document; raise RenderError on any font problem."""
    path = template_path(template)
    check_glyphs(_template_chars(str(path.parent)), what="templates")
    return compile_template(path, document_json(document), pdf_standard=pdf_standard)


def compile_template(
    path: Path,
    document_text: str,
    *,
    root: Path | None = None,
    pdf_standard: str | Sequence[str] | None = None,
) -> bytes:
    """Compile one .typ file with ``sys.inputs.doc`` = ``document_text`` (our fonts only, pinned timestamp)."""
    check_glyphs(document_text, what="document")
    standards: list[str] = []
    if pdf_standard:
        standards = [pdf_standard] if isinstance(pdf_standard, str) else list(pdf_standard)
    try:
        pdf, warnings = _compiler().compile_with_warnings(
            input=str(path),
            format="pdf",
            sys_inputs={"doc": document_text},
            pdf_standards=standards,  # type: ignore[arg-type]
            timestamp=FIXED_TIMESTAMP,
            pdf_tags=False,
            root=str(root or TEMPLATES_DIR),
        )
    except typst.TypstError as exc:
        raise RenderError(
            "Không in được sổ: lỗi trong mẫu in. Vui lòng báo cho quản trị hệ thống.",
            f"typst compile of {path.name} failed: {exc.message}\n{getattr(exc, 'diagnostic', '')}",
        ) from exc
    font_problems = [w.message for w in warnings if any(k in w.message.lower() for k in _FONT_WARNING_WORDS)]
    if font_problems:
        raise RenderError(
            "Không in được sổ: thiếu phông chữ hoặc ký tự (" + "; ".join(font_problems) + ").",
            f"font problem while rendering {path.name}: " + "; ".join(font_problems),
        )
    return bytes(pdf)  # type: ignore[arg-type]


def render_document(template: str, document: Any, *, pdf_standard: str | Sequence[str] | None = None) -> bytes:
    """Render a book document (a ``BookDocument`` or its dict); every page must come out as one page."""
    doc = document.to_dict() if hasattr(document, "to_dict") else document
    pdf = render_pdf(template, doc, pdf_standard=pdf_standard)
    _check_pages(template, len(doc["pages"]), page_count(pdf))
    return pdf


def render_document_texts(
    template: str, document: Any, *, pdf_standard: str | Sequence[str] | None = None
) -> tuple[bytes, list[str]]:
    """``render_document`` and the text of each page (``extract_page_texts``), from one parse of the PDF."""
    doc = document.to_dict() if hasattr(document, "to_dict") else document
    pdf = render_pdf(template, doc, pdf_standard=pdf_standard)
    texts = extract_page_texts(pdf)
    _check_pages(template, len(doc["pages"]), len(texts))
    return pdf, texts


#: Templates that can print many books in one compile, and the entry that does (``sys.inputs.doc`` is
#: ``{"docs": [...]}``; layouts/README.md, D-BATCH-1).
BATCH_TEMPLATES = {"transcript": "transcripts"}


@dataclass(frozen=True)
class BatchRender:
    """One compile of many books, split: each book's PDF and the text of each of its pages."""

    pdfs: tuple[bytes, ...]
    texts: tuple[tuple[str, ...], ...]
    source: str  # the compiled input (``batch_json``; benchmarks dump it)


def render_batch(template: str, documents: Sequence[Any], *,
                 pdf_standard: str | Sequence[str] | None = None,
                 edit: Callable[[int, tuple[str, ...], Any], None] | None = None) -> BatchRender:
    """Render many book documents of one template in ONE Typst compile and split the PDF into one PDF per book.

    Each book's PDF holds its own pages only (``split_pdf``); the page texts are read from the compiled PDF
    once. A total page count other than the sum of the documents' pages is re-rendered book by book, so the
    overflowing book is the one named (``LayoutOverflowError``); Typst's fixed cost per compile (cache walk,
    font subsetting, PDF writing) is paid once per batch instead of once per book.

    ``edit(k, texts, pdf)`` (``layouts.publish.produce_many``: the attachments and identification) is called
    with each book's ``pikepdf.Pdf`` before it is saved, and the text of its pages: one save per book
    instead of a save here and another after opening it again (the same bytes).
    """
    docs = [d.to_dict() if hasattr(d, "to_dict") else d for d in documents]
    counts = [len(d["pages"]) for d in docs]
    texts_json = [document_json(d) for d in docs]
    source = batch_json(texts_json)
    pdf = render_pdf(BATCH_TEMPLATES[template], source, pdf_standard=pdf_standard)
    texts = extract_page_texts(pdf)
    if len(texts) != sum(counts):
        for d in docs:  # name the book that overflows
            render_document(template, d, pdf_standard=pdf_standard)
        _check_pages(BATCH_TEMPLATES[template], sum(counts), len(texts))
    idents = [hashlib.md5(t.encode("utf-8"), usedforsecurity=False).digest() for t in texts_json]
    out, start = [], 0
    for n in counts:
        out.append(tuple(texts[start:start + n]))
        start += n
    edits = None
    if edit is not None:
        edits = [lambda book, k=k: edit(k, out[k], book) for k in range(len(counts))]
    pdfs = split_pdf(pdf, counts, idents, edits)
    return BatchRender(tuple(pdfs), tuple(out), source)


def batch_json(document_texts: Sequence[str]) -> str:
    """The input of a batch entry (``transcripts.typ``): ``{"docs": [...]}`` from the documents' JSON texts."""
    return '{"docs":[' + ",".join(document_texts) + "]}"


#: Catalog entries of a Typst PDF that a split PDF keeps (the rest is ``/Pages`` and ``/Type``): a catalog
#: with anything else (outline, names, structure tree, forms…) could point at another book and is refused.
_SPLIT_CATALOG_KEYS = ("/Lang", "/ViewerPreferences", "/OutputIntents", "/Metadata")
_SPLIT_INFO_KEYS = ("/Creator", "/Producer", "/CreationDate", "/ModDate")


def split_pdf(pdf: bytes, counts: Sequence[int], idents: Sequence[bytes],
              edits: Sequence[Callable[[Any], None]] | None = None) -> list[bytes]:
    """Split a compiled batch into one PDF per book: ``counts[i]`` pages each, in order.

    A book's PDF is a new file holding its pages (with what they use: contents, fonts, colour spaces,
    images) and the batch's catalog entries of PDF/A (``/OutputIntents``, ``/Metadata``, ``/Lang``,
    ``/ViewerPreferences``), nothing else; its identifier (trailer ``/ID``, XMP ``xmpMM:DocumentID``,
    ``InstanceID`` and history) is ``idents[i]`` (16 bytes, the batch's replaced) and its XMP page count its
    own. The document title is not set here: ``layouts.publish.attach_and_identify`` sets it (XMP and Info).
    Font subsets are the batch's (glyph shapes of every book of the batch, not their texts).
    ``edits[i]`` gets book i's ``pikepdf.Pdf`` before it is saved (see ``render_batch``).
    """
    import base64
    import io
    import re

    import pikepdf

    out: list[bytes] = []
    with pikepdf.open(io.BytesIO(pdf)) as src:
        if len(src.pages) != sum(counts):
            raise RenderError("Không in được sổ: số trang không khớp.",
                              f"split: {len(src.pages)} pages in the PDF, {sum(counts)} in the documents")
        extra = set(src.Root.keys()) - {"/Type", "/Pages", *_SPLIT_CATALOG_KEYS}
        if extra:
            raise RenderError("Không in được sổ: lỗi trong mẫu in. Vui lòng báo cho quản trị hệ thống.",
                              f"split: the batch's catalog has {sorted(extra)}, which may point into other books")
        batch_id = str(src.trailer.ID[0])  # Typst: 16 bytes in base64, also in the XMP identifiers
        xmp = src.Root.Metadata.read_bytes().decode("utf-8")
        start = 0
        for i, (n, ident) in enumerate(zip(counts, idents, strict=True)):
            book_id = base64.b64encode(ident).decode("ascii")
            book_xmp = re.sub(r"<xmpTPg:NPages>\d+</xmpTPg:NPages>", f"<xmpTPg:NPages>{n}</xmpTPg:NPages>",
                              xmp.replace(batch_id, book_id))
            dst = pikepdf.Pdf.new()
            dst.pages.extend(src.pages[start:start + n])
            start += n
            for key in _SPLIT_CATALOG_KEYS[:-1]:
                if key in src.Root:
                    dst.Root[key] = dst.copy_foreign(src.make_indirect(src.Root[key]))
            meta = pikepdf.Stream(dst, book_xmp.encode("utf-8"))
            meta.Type, meta.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
            dst.Root.Metadata = dst.make_indirect(meta)
            info = pikepdf.Dictionary({k: src.docinfo[k] for k in _SPLIT_INFO_KEYS if k in src.docinfo})
            dst.trailer.Info = dst.make_indirect(info)
            dst.trailer.ID = pikepdf.Array([pikepdf.String(book_id), pikepdf.String(book_id)])
            if edits is not None:
                edits[i](dst)
            buf = io.BytesIO()
            # an edited book is saved as ``publish.attach_and_identify`` saved it (XMP PDF version fixed): the bytes
            # of a split book saved, opened again, edited and saved
            dst.save(buf, min_version=src.pdf_version, deterministic_id=True, fix_metadata_version=edits is not None)
            out.append(buf.getvalue())
    return out


def _check_pages(template: str, expected: int, got: int) -> None:
    if got != expected:
        raise LayoutOverflowError(
            "Không in được sổ: nội dung một trang bị tràn sang trang sau. Vui lòng báo cho quản trị hệ thống.",
            f"layout overflow in {template!r}: {expected} pages in the document, {got} in the PDF",
        )


# --- memory --------------------------------------------------------------------------

#: typst-py evicts, after every compile, the memoised results that the last 10 compiles did not use.
_EVICT_AGE = 10
_EMPTY_SOURCE = b"#set page(width: 1cm, height: 1cm)\n"


def process_rss_mb() -> float | None:
    """Resident memory of this process in MB (Linux; None elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


_trimmed_mb: float | None = None  # resident size of this process right after its last flush


def trim_cache(limit_mb: float = 320.0, growth_mb: float = 0.0, release_mb: float = 0.0) -> bool:
    """Drop Typst's memoised results of earlier documents when this process holds more than ``limit_mb``.

    A big book stays cached for 10 more compiles (a 60-page mark book: ~100 MB), so a process
    printing mark books one after the other grows to ~1 GB; ten compiles of an empty page (~0.8 ms
    each on an empty cache, more on a full one: each compile scans the whole cache) flush it.
    ``growth_mb`` > 0: flush only when the process has also grown by that much since its last flush
    (a process that the flush cannot bring under ``limit_mb`` otherwise flushes after every book).
    Returns True when it trimmed.
    """
    global _trimmed_mb
    rss = process_rss_mb()
    if rss is None or rss < limit_mb:
        return False
    if growth_mb > 0 and _trimmed_mb is not None and rss < _trimmed_mb + growth_mb:
        return False
    compiler = _compiler()
    for _ in range(_EVICT_AGE):
        compiler.compile(input=_EMPTY_SOURCE, format="pdf")
    rss = process_rss_mb()
    if rss is None or rss >= release_mb:
        release_free_memory()
        rss = process_rss_mb()
    _trimmed_mb = rss
    return True


def release_free_memory() -> None:
    """Give the memory freed by the eviction back to the system (glibc ``malloc_trim``; elsewhere nothing).

    Without it the freed memory stays in the allocator's free lists and the resident size never
    drops (measured: a process at 302 MB after three mark books stayed at 302 MB after the eviction,
    and came down to 169 MB with ``malloc_trim``).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, looked up once per process in the C library this process already runs with
    (``dlopen(NULL)``): ``ctypes.util.find_library`` ran ``ldconfig`` in a forked child, a copy of the whole
    process for a moment (a worker ~300 MB; the parent after its trail check: a 300 MB fifth process in a
    run's sampled peak, bench/README.md "The cache flush, again")."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS) or no dlopen
        return None


# --- glyph coverage -------------------------------------------------------------------

def _cmap_codepoints(font_file: Path) -> frozenset[int]:
    """Code points mapped by a font's best Unicode cmap (fontTools), .notdef excluded.

    fontTools replaced a hand-written cmap parser: the same code points, 7.7 ms against 1.7 ms for the
    four text fonts, once per process (``covered_codepoints`` is cached).
    """
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(font_file, lazy=True) as font:
            cmap = font.getBestCmap()
    except (TTLibError, OSError, KeyError) as exc:
        raise RenderError("Phông chữ hỏng.", f"{font_file.name}: cannot read its cmap ({exc})") from None
    if cmap is None:
        raise RenderError("Phông chữ hỏng.", f"{font_file.name} has no Unicode cmap")
    return frozenset(cp for cp, glyph in cmap.items() if glyph != ".notdef")


def advance_widths(font_file: Path, codepoints: Iterable[int]) -> dict[str, float]:
    """Advance width in em of each given character that the font maps (hmtx, no kerning; fontTools)."""
    from fontTools.ttLib import TTFont

    with TTFont(font_file, lazy=True) as font:
        cmap = font.getBestCmap() or {}
        upm = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        return {chr(cp): round(metrics[cmap[cp]][0] / upm, 4) for cp in codepoints
                if cp in cmap and cmap[cp] != ".notdef"}


#: Characters whose widths the templates know (Vietnamese text, digits, punctuation).
METRIC_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x323), (0x1E00, 0x1EFF), (0x2010, 0x2044))
METRICS_FILE = TEMPLATES_DIR / "metrics.json"


def font_metrics() -> dict[str, Any]:
    """The JSON that templates use to size one-line texts without measuring them in Typst."""
    cps = [cp for lo, hi in METRIC_RANGES for cp in range(lo, hi + 1)]
    return {
        "_comment": "Generated by layouts.render.write_font_metrics() from layouts/fonts; do not edit.",
        "regular": advance_widths(FONTS_DIR / "LiberationSerif-Regular.ttf", cps),
        "italic": advance_widths(FONTS_DIR / "LiberationSerif-Italic.ttf", cps),
        "bold": advance_widths(FONTS_DIR / "LiberationSerif-Bold.ttf", cps),
    }


def write_font_metrics() -> None:
    """Regenerate ``templates/metrics.json`` (after changing the vendored fonts)."""
    METRICS_FILE.write_text(json.dumps(font_metrics(), ensure_ascii=False, sort_keys=True) + "\n", "utf-8")


@lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """Code points that every style of the text font can print."""
    sets = [_cmap_codepoints(FONTS_DIR / name) for name in TEXT_FONT_FILES]
    common = sets[0]
    for s in sets[1:]:
        common = common & s
    return common


@lru_cache(maxsize=8)
def _template_chars(templates_dir: str) -> str:
    """Every character used in the template sources (cached; templates do not change at run time)."""
    return "".join(sorted({ch for p in Path(templates_dir).glob("*.typ") for ch in p.read_text("utf-8")}))


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` (after NFC) that the vendored text font cannot print."""
    covered = covered_codepoints()
    chars = set(unicodedata.normalize("NFC", text))
    return sorted(ch for ch in chars if ord(ch) not in covered and ch not in "\n\r\t")


def check_glyphs(text: str, *, what: str = "document") -> None:
    """Raise RenderError when a character of ``text`` has no glyph in the vendored fonts."""
    missing = missing_glyphs(text)
    if missing:
        shown = " ".join(f"{ch} (U+{ord(ch):04X})" for ch in missing[:12])
        raise RenderError(
            f"Không in được sổ: phông chữ không có ký tự {shown}.",
            f"no glyph in the vendored fonts for characters of the {what}: {shown}",
        )


# --- reading PDFs back ----------------------------------------------------------------

def page_count(pdf: bytes) -> int:
    """Number of pages of a PDF."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def render_page_images(
    pdf: bytes, *, dpi: float = 60, pages: Iterable[int] | None = None, grayscale: bool = True
) -> list[Any]:
    """PIL images of the given 0-based page indices (all pages by default) at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        indices = range(len(doc)) if pages is None else list(pages)
        images = []
        for i in indices:
            page = doc[i]
            bitmap = page.render(scale=dpi / 72, grayscale=grayscale)
            images.append(bitmap.to_pil().copy())
            bitmap.close()
            page.close()
        return images
    finally:
        doc.close()


def extract_page_texts(pdf: bytes) -> list[str]:
    """The text of each page (NFC), in pdfium's reading order — the same extraction the verifier uses."""
    from signing.manifest import page_texts

    texts = page_texts(pdf)
    if not texts and page_count(pdf):
        raise RenderError("Không đọc được văn bản của tệp PDF vừa in.", "rendered PDF has no readable text layer")
    return texts
