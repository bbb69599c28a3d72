"""The signed manifest of a published PDF and the page-text check (FORMAT.md §7).

A published PDF carries two attachments (PDF/A-3 associated files, AFRelationship /Data):

* ``sodientu-document.json`` — the book document exactly as rendered (pages with their data);
* ``sodientu-manifest.json`` — ``{"manifest": {...}, "signature": base64}`` where the manifest
  lists, for every physical page, the QR text, the page-data digest, and what the page's text
  layer showed when the school printed it: the count of every token of the page data that is
  printed, and a digest of the sorted multiset of all tokens on the page. The signature is
  Ed25519 by the same key as the QR codes over ``b"SODIENTU-MANIFEST-V1:" + canonical JSON``.

Why the text counts: the QR digest proves what the page data *was*; the PDF's visible content is
checked by re-extracting its text. A mark edited in the content stream, or a page re-rendered with
a changed mark behind the old QR, changes the count of the old mark's token (and the text digest).
Values of the page data that the layout does not print (layout hints, status codes) are simply
absent from the counts, so the check needs no list of "printed keys".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.errors import PayloadError
from signing.keys import KeyLookup, KeyStatus, key_id
from signing.payload import canonical_json

FORMAT = "sodientu-manifest"
VERSION = 1
MANIFEST_CONTEXT = b"SODIENTU-MANIFEST-V1:"
DOCUMENT_NAME = "sodientu-document.json"
MANIFEST_NAME = "sodientu-manifest.json"
_MAX_VALUE_CHARS = 2000  # longer strings (embedded SVG photos) are never printed as text


# --- tokens ----------------------------------------------------------------------------------


class _SpaceTable(dict[int, int]):
    """``str.translate`` table: control, format and separator characters → space (filled on demand)."""

    def __missing__(self, code: int) -> int:
        value = 0x20 if unicodedata.category(chr(code)) in ("Cc", "Cf", "Zs", "Zl", "Zp") else code
        self[code] = value
        return value


_SPACES = _SpaceTable()


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_SPACES)


def text_tokens(text: str) -> list[str]:
    """Tokens of a page's extracted text: NFC, split on white space and control characters."""
    return _clean(text).split()


def data_strings(data: object) -> Iterable[str]:
    """Every string value of the page data (keys excluded), depth first."""
    if isinstance(data, str):
        if len(data) <= _MAX_VALUE_CHARS and not data.lstrip().startswith("<svg"):
            yield data
    elif isinstance(data, Mapping):
        for value in data.values():
            yield from data_strings(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from data_strings(value)


_TOKENS: dict[str, list[str]] = {}  # text_tokens of the values seen (marks, names, labels repeat a lot)


def data_tokens(data: object) -> set[str]:
    """The distinct tokens of the page data's string values (those of ``data_strings``)."""
    if len(_TOKENS) > 200_000:
        _TOKENS.clear()
    out: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            tokens = _TOKENS.get(item)
            if tokens is None:
                keep = len(item) <= _MAX_VALUE_CHARS and not item.lstrip().startswith("<svg")
                tokens = _TOKENS[item] = text_tokens(item) if keep else []
            out.update(tokens)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return out


def text_digest(tokens: Sequence[str]) -> str:
    """SHA-256 (hex) of the sorted multiset of tokens, one per line."""
    return hashlib.sha256("\n".join(sorted(tokens)).encode("utf-8")).hexdigest()


def printed_counts(data: object, tokens: Sequence[str]) -> dict[str, int]:
    """How many times each token of the page data occurs in the page text (printed tokens only)."""
    wanted = data_tokens(data)
    counts = Counter(t for t in tokens if t in wanted)
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class TextCheck:
    """Result of comparing a page's text with the manifest: ``ok`` and what differs."""

    ok: bool
    changed: tuple[tuple[str, int, int], ...] = ()  # (token, expected count, found count)
    other_text_changed: bool = False


def check_text(expected_counts: Mapping[str, int], expected_digest: str, tokens: Sequence[str]) -> TextCheck:
    """Compare a page's tokens with the counts and digest recorded when it was printed."""
    found = Counter(t for t in tokens if t in expected_counts)
    changed = tuple((t, n, found.get(t, 0)) for t, n in expected_counts.items() if found.get(t, 0) != n)
    other = text_digest(tokens) != expected_digest
    return TextCheck(not changed and not other, changed, other and not changed)


# --- the manifest ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestPage:
    """One physical page in the manifest."""

    position: int  # 1-based index of the page in the PDF
    number: int  # n of "page n/N"
    digest: str  # hex, same as in the QR
    qr: str  # the QR text printed on the page
    text_sha256: str
    printed: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON object of the page entry."""
        return {"position": self.position, "no": self.number, "digest": self.digest, "qr": self.qr,
                "text_sha256": self.text_sha256, "printed": self.printed}


@dataclass(frozen=True)
class Manifest:
    """The signed statement of what each page of a published PDF showed."""

    edition_id: str
    key_id: str
    document_sha256: str
    pages: tuple[ManifestPage, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON object of the manifest (what is signed)."""
        return {"format": FORMAT, "version": VERSION, "edition": self.edition_id, "key_id": self.key_id,
                "document_sha256": self.document_sha256, "pages": [p.to_dict() for p in self.pages]}


def sign_manifest(manifest: Manifest, private_key: Ed25519PrivateKey) -> bytes:
    """The attachment bytes: ``{"manifest": …, "signature": base64(Ed25519)}`` as UTF-8 JSON."""
    if key_id(private_key) != manifest.key_id:
        raise PayloadError("Khóa ký không khớp với bản kê.", "manifest key id does not match the signing key")
    body = manifest.to_dict()
    sig = private_key.sign(MANIFEST_CONTEXT + canonical_json(body))
    return json.dumps({"manifest": body, "signature": base64.b64encode(sig).decode()}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class ManifestCheck:
    """A parsed manifest and whether its signature holds."""

    manifest: Manifest | None
    signature_ok: bool
    key_revoked: bool
    message_vi: str
    message_en: str


def read_manifest(raw: bytes, trust: KeyLookup) -> ManifestCheck:
    """Parse and verify a manifest attachment; never raises on bad input."""
    try:
        obj = json.loads(raw.decode("utf-8"))
        body = obj["manifest"]
        sig = base64.b64decode(obj["signature"], validate=True)
        if body.get("format") != FORMAT or body.get("version") != VERSION:
            raise ValueError("unknown manifest format")
        pages = tuple(
            ManifestPage(int(p["position"]), int(p["no"]), str(p["digest"]), str(p["qr"]), str(p["text_sha256"]),
                         {str(k): int(v) for k, v in dict(p["printed"]).items()})
            for p in body["pages"])
        manifest = Manifest(str(body["edition"]), str(body["key_id"]), str(body["document_sha256"]), pages)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError) as exc:
        return ManifestCheck(None, False, False, "Bản kê đính kèm trong tệp bị hỏng.", f"bad manifest: {exc!r}")
    entry = trust.lookup(manifest.key_id)
    if entry is None:
        return ManifestCheck(manifest, False, False,
                             f"Bản kê được ký bằng khóa {manifest.key_id} không có trong danh sách tin cậy.",
                             f"manifest key {manifest.key_id} unknown")
    try:
        entry.public_key.verify(sig, MANIFEST_CONTEXT + canonical_json(body))
    except InvalidSignature:
        return ManifestCheck(manifest, False, False, "Bản kê đính kèm đã bị sửa (chữ ký không khớp).",
                             "manifest signature does not verify")
    revoked = entry.status is KeyStatus.REVOKED
    return ManifestCheck(manifest, True, revoked, "Bản kê đính kèm có chữ ký đúng.", "manifest signature valid")


__all__ = [
    "DOCUMENT_NAME",
    "MANIFEST_NAME",
    "Manifest",
    "ManifestCheck",
    "ManifestPage",
    "TextCheck",
    "check_text",
    "data_strings",
    "data_tokens",
    "printed_counts",
    "read_manifest",
    "sign_manifest",
    "text_digest",
    "text_tokens",
]


def page_texts(pdf: bytes) -> list[str]:
    """The text layer of each page (NFC), pdfium's reading order; [] when unreadable.

    The one extraction both the printing side (the counts it signs) and the verifier use, so the two
    can never disagree on a genuine file.
    """
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return []
    try:
        out = []
        for page in doc:
            tp = page.get_textpage()
            out.append(unicodedata.normalize("NFC", tp.get_text_range()))
            tp.close()
            page.close()
        return out
    finally:
        doc.close()
