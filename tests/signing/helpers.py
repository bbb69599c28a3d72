"""Helpers for the signing tests: a school with keys, small published books, and PDF tampering."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import pikepdf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from layouts.documents import BookDocument
from layouts.markbook import PrintOptions, build_markbook
from layouts.publish import Published, Scope, publish
from records.models import Class, KeyKind, Role, School, SchoolYear
from records.permissions import Actor
from records.services import editions as es
from signing.keys import generate_private_key, key_id, public_key_pem
from signing.pdfsign import PdfSigner, load_p12, make_self_signed_p12
from tests.factories import make_class, make_school, make_user, make_year
from tests.layouts.factories import make_markbook_input

PASSPHRASE = "mat-khau-thu-nghiem"


@dataclass
class World:
    """A school, a year, a class, an office clerk and the school's keys."""

    school: School
    year: SchoolYear
    klass: Class
    office: Actor
    key: Ed25519PrivateKey

    def scope(self) -> Scope:
        """The class's mark book."""
        return Scope(self.school.id, class_id=self.klass.id, school_year_id=self.year.id)


def make_world(session: Session) -> World:
    """A school with a registered active Ed25519 key and an office clerk."""
    school = make_school(session, name="Trường THCS Tô Hiệu")
    year = make_year(session, school)
    klass = make_class(session, year, 9, "9A1")
    clerk = make_user(session, school, [Role.OFFICE])
    key = generate_private_key()
    es.register_key(session, Actor.system("test"), key_id=key_id(key), kind=KeyKind.ED25519,
                    public_pem=public_key_pem(key), school_id=school.id)
    return World(school, year, klass, Actor.load(session, clerk.id), key)


@lru_cache(maxsize=1)
def pdf_signer() -> PdfSigner:
    """A self-signed demo certificate (made once per test run: RSA key generation is slow)."""
    return load_p12(make_self_signed_p12("Trường THCS Tô Hiệu", "Trường THCS Tô Hiệu", PASSPHRASE), PASSPHRASE)


def register_certificate(session: Session, world: World) -> PdfSigner:
    """Add the demo certificate to the school's trust list."""
    signer = pdf_signer()
    if es.find_key(session, signer.fingerprint) is None:
        es.register_key(session, Actor.system("test"), key_id=signer.fingerprint, kind=KeyKind.X509,
                        public_pem=signer.certificate_pem, school_id=world.school.id)
    return signer


@lru_cache(maxsize=4)
def full_markbook(duplex: bool = False) -> BookDocument:
    """The synthetic 46-row mark book (68 pages one-sided)."""
    return build_markbook(make_markbook_input(), PrintOptions(duplex=duplex))


def small_markbook(numbers: tuple[int, ...] = (1, 25, 26), duplex: bool = False) -> BookDocument:
    """A few pages of the mark book (full-book numbers kept): fast to render, real layout."""
    doc = full_markbook(duplex)
    return replace(doc, pages=tuple(p for p in doc.pages if p.no in numbers))


def publish_small(session: Session, world: World, numbers: tuple[int, ...] = (1, 25, 26), **kw: object) -> Published:
    """Publish a few pages of the class's mark book."""
    return publish(session, world.office, small_markbook(numbers), template="markbook", scope=world.scope(),
                   private_key=world.key, **kw)  # type: ignore[arg-type]


# --- tampering ---------------------------------------------------------------------------------


def _to_unicode_map(font: pikepdf.Dictionary) -> dict[int, str]:
    data = font.ToUnicode.read_bytes().decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for i, gid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[gid] = chr(start + i)
    return out


def replace_text_run(pdf: bytes, page_index: int, old: str, new: str) -> bytes:
    """Edit the content stream: the first text run showing exactly ``old`` shows ``new`` (same font)."""
    doc = pikepdf.open(io.BytesIO(pdf))
    page = doc.pages[page_index]
    fonts = {str(k): _to_unicode_map(v) for k, v in page.Resources.Font.items()}
    ops = pikepdf.parse_content_stream(page)
    current = None
    done = False
    out = []
    for operands, op in ops:
        if str(op) == "Tf":
            current = str(operands[0])
        if not done and str(op) in ("TJ", "Tj") and current in fonts:
            cmap = fonts[current]
            rev = {v: k for k, v in cmap.items()}
            items = list(operands[0]) if str(op) == "TJ" else [operands[0]]
            strings = [bytes(x) for x in items if isinstance(x, pikepdf.String)]
            text = "".join(cmap.get(int.from_bytes(s[i:i + 2], "big"), "?") for s in strings for i in range(0, len(s), 2))
            if text == old and all(ch in rev for ch in new):
                encoded = b"".join(rev[ch].to_bytes(2, "big") for ch in new)
                operands = [pikepdf.Array([pikepdf.String(encoded)])]
                op = pikepdf.Operator("TJ")
                done = True
        out.append((operands, op))
    if not done:
        raise AssertionError(f"no text run {old!r} with glyphs for {new!r} on page {page_index}")
    page.Contents = doc.make_stream(pikepdf.unparse_content_stream(out))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def copy_attachments(source_pdf: bytes, target_pdf: bytes) -> bytes:
    """Put the attachments (document, manifest) of one PDF into another (a forger's move)."""
    src = pikepdf.open(io.BytesIO(source_pdf))
    dst = pikepdf.open(io.BytesIO(target_pdf))
    for name, spec in src.attachments.items():
        dst.attachments[name] = pikepdf.AttachedFileSpec(dst, spec.get_file().read_bytes(), filename=name,
                                                         mime_type="application/json",
                                                         relationship=pikepdf.Name.Data)
    buf = io.BytesIO()
    dst.save(buf)
    return buf.getvalue()
