"""Compact signed QR payload printed on every page (format: ``signing/FORMAT.md``).

Binary layout (version 1, all integers big-endian)::

    0   1  version (1)
    1   1  doc type (bits 0-6) | copy flag (bit 7)
    2   4  key id = SHA-256(raw Ed25519 public key)[:4]
    6  16  edition id (UUID, RFC 4122 byte order)
   22   2  page number n (1..N)
   24   2  page count N
   26   3  issue date, packed year<<9 | month<<5 | day
   29  16  page digest = SHA-256(canonical JSON of the page data)[:16]
   45   1  facts length L (0 = none; only transcripts carry facts)
   46   L  transcript facts (see FORMAT.md)
 46+L  64  Ed25519 signature over b"SODIENTU-QR-V1:" + bytes[0 : 46+L]

Text form: ``"SDT1:" + base45(bytes)`` (QR alphanumeric mode). URL form: a configured base such as
``"HTTPS://SCHOOL.EXAMPLE/V/"`` + base45 with `` ``, ``%``, ``+`` and ``/`` percent-encoded.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signing.base45 import b45decode, b45encode
from signing.errors import PayloadError, SigningError
from signing.keys import KeyLookup, KeyStatus, TrustedKey, key_id_bytes, load_public_key

VERSION = 1
PREFIX = "SDT1:"
SIGNING_CONTEXT = b"SODIENTU-QR-V1:"
DIGEST_BYTES = 16
SIGNATURE_BYTES = 64
HEADER_BYTES = 46  # everything before the facts, including the facts-length byte
MAX_TEXT_CHARS = 1200
COPY_FLAG = 0x80
_URL_ESCAPES = {" ": "%20", "%": "%25", "+": "%2B", "/": "%2F"}


class DocType(enum.IntEnum):
    """Kind of printed document (byte 1, bits 0-6)."""

    MARK_BOOK = 1          # Sổ theo dõi và đánh giá học sinh (sổ điểm)
    TRANSCRIPT = 2         # Học bạ
    REGISTER = 3           # Sổ đăng bộ
    CORRECTION_RECORD = 4  # Biên bản sửa chữa
    COPY_MINUTES = 5       # Biên bản cấp bản sao
    OTHER = 127            # Other school records

    @property
    def label_vi(self) -> str:
        """Vietnamese name of the document type."""
        return _DOC_LABELS[self]


_DOC_LABELS = {
    DocType.MARK_BOOK: "Sổ theo dõi và đánh giá học sinh",
    DocType.TRANSCRIPT: "Học bạ",
    DocType.REGISTER: "Sổ đăng bộ",
    DocType.CORRECTION_RECORD: "Biên bản sửa chữa",
    DocType.COPY_MINUTES: "Biên bản cấp bản sao",
    DocType.OTHER: "Hồ sơ khác",
}

# Result codes for learning result (kết quả học tập / học lực) and conduct (rèn luyện / hạnh kiểm).
RESULT_CODES: dict[int, str] = {
    0: "",            # not assessed / not applicable
    1: "Tốt",
    2: "Khá",
    3: "Đạt",
    4: "Chưa đạt",
    5: "Giỏi",
    6: "Trung bình",
    7: "Yếu",
    8: "Kém",
}
_RESULT_BY_LABEL = {unicodedata.normalize("NFC", v).casefold(): k for k, v in RESULT_CODES.items()}


# --------------------------------------------------------------------------- canonical data

def _canon(obj: object) -> object:
    # the types page data is made of first, exactly (ASCII text is NFC already); anything else below
    kind = type(obj)
    if kind is str:
        return obj if obj.isascii() else unicodedata.normalize("NFC", obj)  # type: ignore[attr-defined,arg-type]
    if kind is dict:
        out: dict[str, object] = {}
        for k, v in obj.items():  # type: ignore[attr-defined]
            if type(k) is str and k.isascii():
                nk = k
            elif isinstance(k, str):
                nk = unicodedata.normalize("NFC", k)
            else:
                raise PayloadError("Dữ liệu trang có khóa không hợp lệ.", f"non-string key {k!r}")
            if nk in out:
                raise PayloadError("Dữ liệu trang có khóa trùng.", f"duplicate key after NFC: {nk!r}")
            out[nk] = v if type(v) is str and v.isascii() else _canon(v)
        return out
    if kind is list or kind is tuple:
        return [v if type(v) is str and v.isascii() else _canon(v) for v in obj]  # type: ignore[attr-defined]
    if obj is None or kind is int or kind is bool:
        return obj
    return _canon_other(obj)


def _canon_other(obj: object) -> object:
    if obj is None or isinstance(obj, (bool, int)):
        return obj
    if isinstance(obj, str):
        return unicodedata.normalize("NFC", obj)
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise PayloadError("Dữ liệu trang có số không hợp lệ.", f"non-finite Decimal {obj}")
        return format(obj, "f")
    if isinstance(obj, float):
        raise PayloadError("Dữ liệu trang không được chứa số thực dấu phẩy động.",
                           "float in canonical data; use Decimal or str")
    if isinstance(obj, (dt.date, dt.datetime, dt.time)):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, Mapping):
        out: dict[str, object] = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise PayloadError("Dữ liệu trang có khóa không hợp lệ.", f"non-string key {k!r}")
            nk = unicodedata.normalize("NFC", k)
            if nk in out:
                raise PayloadError("Dữ liệu trang có khóa trùng.", f"duplicate key after NFC: {nk!r}")
            out[nk] = _canon(v)
        return out
    if isinstance(obj, (list, tuple)):
        return [_canon(v) for v in obj]
    raise PayloadError("Dữ liệu trang có giá trị không hỗ trợ.", f"unsupported type {type(obj).__name__}")


def canonical_json(obj: object) -> bytes:
    """Canonical UTF-8 JSON: sorted keys, no whitespace, NFC strings, Decimal/date/UUID as strings."""
    return json.dumps(_canon(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def page_digest(data: object) -> bytes:
    """16-byte truncated SHA-256 of the page data (canonical JSON; bytes are hashed as given)."""
    raw = data if isinstance(data, (bytes, bytearray)) else canonical_json(data)
    return hashlib.sha256(raw).digest()[:DIGEST_BYTES]


# --------------------------------------------------------------------------- fields

@dataclass(frozen=True)
class TranscriptFacts:
    """Facts of a transcript page that a person checks by eye against the paper."""

    student_name: str
    date_of_birth: dt.date
    school: str
    school_year: int              # first calendar year, 2024 for "2024-2025"
    learning_result: str = ""     # one of RESULT_CODES' labels ("Tốt", "Khá", "Đạt", ...)
    conduct: str = ""             # idem

    @property
    def school_year_label(self) -> str:
        """School year as printed, e.g. "2024-2025"."""
        return f"{self.school_year}-{self.school_year + 1}"


@dataclass(frozen=True)
class PayloadFields:
    """Decoded (or to-be-encoded) content of a QR payload, without the signature."""

    doc_type: DocType
    edition_id: uuid.UUID
    page: int
    pages: int
    issued: dt.date
    digest: bytes
    facts: TranscriptFacts | None = None
    copy: bool = False
    key_id: str = ""              # filled from the signing key; 8 hex characters
    version: int = VERSION

    @property
    def human_code(self) -> str:
        """Short code printed under the QR, e.g. "A7K2-9QX4 · 3/41"."""
        return human_code(self.edition_id, self.page, self.pages)


# --------------------------------------------------------------------------- packing helpers

def _pack_date(d: dt.date) -> bytes:
    if not isinstance(d, dt.date) or not 1 <= d.year <= 0x7FFF:
        raise PayloadError("Ngày không hợp lệ.", f"bad date {d!r}")
    return ((d.year << 9) | (d.month << 5) | d.day).to_bytes(3, "big")


def _unpack_date(b: bytes) -> dt.date:
    n = int.from_bytes(b, "big")
    try:
        return dt.date(n >> 9, (n >> 5) & 0x0F, n & 0x1F)
    except ValueError:
        raise PayloadError("Mã QR chứa ngày không hợp lệ.", f"bad packed date {b.hex()}") from None


def _result_code(label: str, what: str) -> int:
    code = _RESULT_BY_LABEL.get(unicodedata.normalize("NFC", label or "").strip().casefold())
    if code is None:
        raise PayloadError(f"Kết quả {what} không hợp lệ: {label!r}.", f"unknown {what} result {label!r}")
    return code


def _short_text(s: str, what: str) -> bytes:
    b = unicodedata.normalize("NFC", s).encode("utf-8")
    if len(b) > 255:
        raise PayloadError(f"{what} quá dài để đưa vào mã QR.", f"{what} longer than 255 bytes")
    return bytes([len(b)]) + b


def _pack_facts(f: TranscriptFacts) -> bytes:
    if not f.student_name.strip():
        raise PayloadError("Thiếu họ tên học sinh.", "empty student name")
    if not 0 <= f.school_year <= 0xFFFF:
        raise PayloadError("Năm học không hợp lệ.", f"bad school year {f.school_year}")
    return (_pack_date(f.date_of_birth) + f.school_year.to_bytes(2, "big")
            + bytes([_result_code(f.learning_result, "học tập"), _result_code(f.conduct, "rèn luyện")])
            + _short_text(f.student_name, "Họ tên") + _short_text(f.school, "Tên trường"))


def _unpack_facts(b: bytes) -> TranscriptFacts:
    bad = PayloadError("Mã QR có phần thông tin học bạ không hợp lệ.", "malformed transcript facts")
    if len(b) < 9:
        raise bad
    dob = _unpack_date(b[0:3])
    year = int.from_bytes(b[3:5], "big")
    lr, cd = b[5], b[6]
    if lr not in RESULT_CODES or cd not in RESULT_CODES:
        raise bad
    pos = 7
    texts: list[str] = []
    for _ in range(2):
        if pos >= len(b):
            raise bad
        n = b[pos]
        chunk = b[pos + 1:pos + 1 + n]
        if len(chunk) != n:
            raise bad
        try:
            texts.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad from None
        pos += 1 + n
    if pos != len(b) or not texts[0]:
        raise bad
    return TranscriptFacts(texts[0], dob, texts[1], year, RESULT_CODES[lr], RESULT_CODES[cd])


def _body(fields: PayloadFields, kid: bytes) -> bytes:
    if fields.version != VERSION:
        raise PayloadError("Phiên bản mã QR không hỗ trợ.", f"unsupported version {fields.version}")
    doc = DocType(fields.doc_type)
    if not (1 <= fields.pages <= 0xFFFF and 1 <= fields.page <= fields.pages):
        raise PayloadError("Số trang không hợp lệ.", f"bad page {fields.page}/{fields.pages}")
    if not isinstance(fields.edition_id, uuid.UUID):
        raise PayloadError("Mã bản in không hợp lệ.", "edition_id must be a uuid.UUID")
    if len(fields.digest) != DIGEST_BYTES:
        raise PayloadError("Mã băm trang không hợp lệ.", f"digest must be {DIGEST_BYTES} bytes")
    facts = b""
    if fields.facts is not None:
        if doc is not DocType.TRANSCRIPT:
            raise PayloadError("Chỉ học bạ mới có thông tin học sinh trong mã QR.", "facts on a non-transcript")
        facts = _pack_facts(fields.facts)
        if len(facts) > 255:
            raise PayloadError("Thông tin học bạ quá dài để đưa vào mã QR.", "facts longer than 255 bytes")
    return (bytes([VERSION, int(doc) | (COPY_FLAG if fields.copy else 0)]) + kid + fields.edition_id.bytes
            + fields.page.to_bytes(2, "big") + fields.pages.to_bytes(2, "big") + _pack_date(fields.issued)
            + bytes(fields.digest) + bytes([len(facts)]) + facts)


def _parse_bytes(raw: bytes) -> tuple[PayloadFields, bytes, bytes]:
    """Return (fields, signed body, signature) or raise PayloadError."""
    if len(raw) < HEADER_BYTES + SIGNATURE_BYTES:
        raise PayloadError("Mã QR quá ngắn (bị cắt?).", f"payload too short: {len(raw)} bytes")
    if raw[0] != VERSION:
        raise PayloadError("Phiên bản mã QR không hỗ trợ.", f"unsupported payload version {raw[0]}")
    flen = raw[HEADER_BYTES - 1]
    if len(raw) != HEADER_BYTES + flen + SIGNATURE_BYTES:
        raise PayloadError("Độ dài mã QR không đúng.", f"payload length {len(raw)} != {HEADER_BYTES + flen + 64}")
    try:
        doc = DocType(raw[1] & ~COPY_FLAG)
    except ValueError:
        raise PayloadError("Loại tài liệu trong mã QR không hợp lệ.", f"unknown doc type {raw[1]}") from None
    page, pages = int.from_bytes(raw[22:24], "big"), int.from_bytes(raw[24:26], "big")
    if not 1 <= page <= pages:
        raise PayloadError("Số trang trong mã QR không hợp lệ.", f"bad page {page}/{pages}")
    facts = None
    if flen:
        if doc is not DocType.TRANSCRIPT:
            raise PayloadError("Mã QR có phần thông tin không hợp lệ.", "facts on a non-transcript")
        facts = _unpack_facts(raw[HEADER_BYTES:HEADER_BYTES + flen])
    fields = PayloadFields(
        doc_type=doc, edition_id=uuid.UUID(bytes=raw[6:22]), page=page, pages=pages,
        issued=_unpack_date(raw[26:29]), digest=raw[29:45], facts=facts, copy=bool(raw[1] & COPY_FLAG),
        key_id=raw[2:6].hex(), version=raw[0])
    body = raw[:HEADER_BYTES + flen]
    return fields, body, raw[HEADER_BYTES + flen:]


# --------------------------------------------------------------------------- text forms

def _url_base(base: str) -> str:
    parts = urlsplit(base)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise PayloadError("Địa chỉ xác thực không hợp lệ.", f"bad verification URL base {base!r}")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme.upper()}://{parts.netloc.upper()}{path}"


VERIFY_URL_ENV = "SODIENTU_VERIFY_URL"


def configured_url_base(address: str | None = None) -> str | None:
    """The QR URL base of this installation: ``$SODIENTU_VERIFY_URL`` (e.g. ``https://xacthuc.sonla.edu.vn``)
    + ``/V/``; None when unset (the QR then holds the plain ``SDT1:`` text)."""
    import os

    address = (address if address is not None else os.environ.get(VERIFY_URL_ENV, "")).strip()
    if not address:
        return None
    base = address.rstrip("/")
    if base.lower().endswith("/v"):
        base = base[:-2]
    # /V/ in upper case: the whole URL stays in the QR alphanumeric mode (one lower-case letter switches the
    # symbol to byte mode, three versions larger); the page answers /V/<code> and /v/<code> alike
    return _url_base(base + "/V/")


def payload_to_url(text: str, url_base: str) -> str:
    """Turn an ``SDT1:`` text into the URL form on ``url_base`` (scheme and host upper-cased)."""
    if not text.startswith(PREFIX):
        raise PayloadError("Mã QR không hợp lệ.", "expected an SDT1: payload")
    code = "".join(_URL_ESCAPES.get(c, c) for c in text[len(PREFIX):])
    return _url_base(url_base) + code


def payload_bytes(text: str) -> bytes:
    """Extract the binary payload from the text or URL form (no signature check)."""
    if not isinstance(text, str):
        raise PayloadError("Mã QR không hợp lệ.", f"payload must be str, not {type(text).__name__}")
    t = text.strip("\r\n\t\x00")
    if len(t) > MAX_TEXT_CHARS:
        raise PayloadError("Mã QR quá dài, không phải mã của sổ điện tử.", f"text too long ({len(t)})")
    try:
        if t[:len(PREFIX)].upper() == PREFIX:
            code = t[len(PREFIX):]
        elif t[:8].lower().startswith(("http://", "https://")):
            rest = t.split("://", 1)[1].split("#", 1)[0].split("?", 1)[0]
            code = unquote(rest.rsplit("/", 1)[-1], errors="strict") if "/" in rest else ""
        else:
            raise PayloadError("Đây không phải mã QR của sổ điện tử (sai tiền tố).", "wrong payload prefix")
        if not code:
            raise PayloadError("Mã QR rỗng.", "empty payload")
        return b45decode(code.upper())
    except PayloadError:
        raise
    except SigningError as exc:
        raise PayloadError("Mã QR bị hỏng (không giải mã được base45).", f"bad base45: {exc.message_en}") from None
    except Exception as exc:  # unquote(errors="strict") on odd input  # noqa: BLE001
        raise PayloadError("Mã QR bị hỏng.", f"cannot decode payload: {exc!r}") from None


# --------------------------------------------------------------------------- public API

def encode_payload(fields: PayloadFields, private_key: Ed25519PrivateKey, *, url_base: str | None = None) -> str:
    """Sign the fields and return the QR text (``SDT1:``+base45, or the URL form on ``url_base``)."""
    kid = key_id_bytes(private_key)
    if fields.key_id and fields.key_id.lower() != kid.hex():
        raise PayloadError("Mã khóa không khớp với khóa ký.", f"key_id {fields.key_id} != {kid.hex()}")
    body = _body(fields, kid)
    text = PREFIX + b45encode(body + private_key.sign(SIGNING_CONTEXT + body))
    return payload_to_url(text, url_base) if url_base else text


def decode_payload(text: str) -> PayloadFields:
    """Decode the QR text without checking the signature; raises only ``SigningError`` subclasses."""
    try:
        return _parse_bytes(payload_bytes(text))[0]
    except SigningError:
        raise
    except Exception as exc:  # defensive: never leak anything but a SigningError  # noqa: BLE001
        raise PayloadError("Mã QR không hợp lệ.", f"unexpected decode failure: {exc!r}") from None


class VerdictStatus(enum.Enum):
    """Outcome of checking a QR payload against the trust list."""

    GENUINE = "genuine"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    KEY_REVOKED = "key_revoked"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Verdict:
    """Result of ``verify_payload``: status, messages (vi for users, en for logs), decoded fields."""

    status: VerdictStatus
    message_vi: str
    message_en: str
    fields: PayloadFields | None = None
    key: TrustedKey | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        """True only for GENUINE."""
        return self.status is VerdictStatus.GENUINE


TrustedKeys = Mapping[str, Ed25519PublicKey | bytes] | KeyLookup


def _lookup(trusted: TrustedKeys, kid: str) -> TrustedKey | None:
    if isinstance(trusted, KeyLookup):
        return trusted.lookup(kid)
    pub = trusted.get(kid)
    if pub is None:
        return None
    return TrustedKey(kid, load_public_key(pub), KeyStatus.ACTIVE, dt.date.min)


def verify_payload(text: str, trusted_keys: TrustedKeys) -> Verdict:
    """Check a QR text's signature against the trusted keys; never raises on bad input."""
    try:
        fields, body, sig = _parse_bytes(payload_bytes(text))
    except SigningError as exc:
        return Verdict(VerdictStatus.MALFORMED, f"Mã không hợp lệ: {exc.message_vi}",
                       f"malformed: {exc.message_en}")
    except Exception as exc:  # noqa: BLE001
        return Verdict(VerdictStatus.MALFORMED, "Mã không hợp lệ: không đọc được nội dung mã.",
                       f"malformed: {exc!r}")
    try:
        entry = _lookup(trusted_keys, fields.key_id)
    except SigningError as exc:
        return Verdict(VerdictStatus.UNKNOWN_KEY, f"Không xác định được khóa ký: {exc.message_vi}",
                       f"trust list entry unusable: {exc.message_en}", fields)
    if entry is None:
        return Verdict(VerdictStatus.UNKNOWN_KEY,
                       f"Không rõ nguồn gốc: mã được ký bằng khóa {fields.key_id}, "
                       "không có trong danh sách khóa tin cậy của nhà trường.",
                       f"unknown key id {fields.key_id}", fields)
    try:
        entry.public_key.verify(sig, SIGNING_CONTEXT + body)
    except InvalidSignature:
        return Verdict(VerdictStatus.BAD_SIGNATURE,
                       "Đã bị sửa đổi: chữ ký không khớp với nội dung mã, tài liệu không phải bản gốc.",
                       "altered: Ed25519 signature does not verify", fields, entry)
    if entry.status is KeyStatus.REVOKED:
        when = f" ngày {entry.revoked_on:%d/%m/%Y}" if entry.revoked_on else ""
        return Verdict(VerdictStatus.KEY_REVOKED,
                       f"Không còn giá trị: khóa ký {entry.key_id} đã bị thu hồi{when}.",
                       f"signature valid but key {entry.key_id} is revoked", fields, entry)
    return Verdict(VerdictStatus.GENUINE,
                   "Hợp lệ: chữ ký của nhà trường đúng, nội dung mã không bị sửa đổi.",
                   f"genuine: signed by key {entry.key_id}", fields, entry)


# --------------------------------------------------------------------------- human code

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def edition_short_id(edition_id: uuid.UUID) -> str:
    """First 40 bits of the edition id in Crockford base32, as "XXXX-XXXX"."""
    n = int.from_bytes(edition_id.bytes[:5], "big")
    chars = "".join(CROCKFORD[(n >> (35 - 5 * i)) & 31] for i in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def human_code(edition_id: uuid.UUID, page: int, pages: int) -> str:
    """Short code printed under the QR: "A7K2-9QX4 · 3/41"."""
    return f"{edition_short_id(edition_id)} · {page}/{pages}"


def qr_chars_needed(n_bytes: int, prefix: str = PREFIX) -> int:
    """Number of QR characters for a payload of ``n_bytes`` in the ``SDT1:`` text form."""
    return len(prefix) + 3 * (n_bytes // 2) + 2 * (n_bytes % 2)


__all__ = [
    "PREFIX",
    "RESULT_CODES",
    "VERSION",
    "DocType",
    "PayloadFields",
    "TranscriptFacts",
    "Verdict",
    "VerdictStatus",
    "canonical_json",
    "configured_url_base",
    "decode_payload",
    "edition_short_id",
    "encode_payload",
    "human_code",
    "page_digest",
    "payload_bytes",
    "payload_to_url",
    "qr_chars_needed",
    "verify_payload",
]
