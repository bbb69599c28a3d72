"""PDF signatures (PAdES baseline B-B) with pyHanko: sign an edition, validate a file.

The school provides a PKCS#12 file (certificate + private key, passphrase-protected); for the
demo ``make_self_signed_p12`` creates one. Sign *last*: stamping, attaching and metadata are done
before, because any later rewrite of the file (a pikepdf save) breaks the signature. After
signing only incremental updates are possible, and ``validate_pdf`` reports every one of them.

Validation checks ``intact`` (the signed bytes are unchanged) *and* ``valid`` and the coverage
(TECH-NOTES §6: a rewritten file can still report ``valid``); the trust roots are the school's
certificates from the trust list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from signing.errors import SigningError, SigningKeyError

DEFAULT_FIELD = "ChuKyNhaTruong"


class PdfSignatureError(SigningError):
    """A PDF cannot be signed (bad PKCS#12, wrong passphrase, unreadable PDF)."""


@dataclass(frozen=True)
class PdfSigner:
    """A loaded signer: pyHanko's signer object and the certificate (PEM) it signs with."""

    signer: object
    certificate_pem: str
    subject: str

    @property
    def fingerprint(self) -> str:
        """Key id of the certificate in the trust list: first 16 hex of SHA-256 of its DER."""
        return certificate_key_id(self.certificate_pem)


def certificate_key_id(cert_pem: str | bytes) -> str:
    """First 16 hex characters of the SHA-256 fingerprint of a PEM certificate."""
    data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise SigningKeyError("Chứng thư số không đọc được.", f"bad certificate: {exc}") from None
    return cert.fingerprint(hashes.SHA256()).hex()[:16]


def make_self_signed_p12(common_name: str, organisation: str, passphrase: str | bytes, *,
                         days: int = 3650, locality: str = "") -> bytes:
    """A self-signed RSA-2048 certificate and key as PKCS#12 (demo only: a real school uses its CA's)."""
    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if locality:
        attrs.insert(1, x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    name = x509.Name(attrs)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        common_name.encode("utf-8"), key, cert, None, serialization.BestAvailableEncryption(pw))


def load_p12(p12: bytes, passphrase: str | bytes | None) -> PdfSigner:
    """Load a PKCS#12 file's key and certificate as a pyHanko signer."""
    from pyhanko.sign import signers

    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        _key, cert, _extra = pkcs12.load_key_and_certificates(p12, pw)
    except ValueError as exc:
        raise PdfSignatureError("Không mở được tệp chứng thư số (PKCS#12): sai mật khẩu hoặc tệp hỏng.",
                                f"cannot load PKCS#12: {exc}") from None
    if cert is None:
        raise PdfSignatureError("Tệp PKCS#12 không có chứng thư số.", "PKCS#12 without certificate")
    signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=pw)
    if signer is None:
        raise PdfSignatureError("Không mở được tệp chứng thư số (PKCS#12).", "pyHanko could not load PKCS#12")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return PdfSigner(signer, pem, cert.subject.rfc4514_string())


def sign_pdf(pdf: bytes, signer: PdfSigner, *, reason: str = "Xác nhận bản in của nhà trường",
             location: str = "", field_name: str = DEFAULT_FIELD) -> bytes:
    """Sign the PDF as PAdES B-B (an incremental update; the earlier bytes are kept as they are)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason, location=location or None,
                                            subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
        out = signers.sign_pdf(writer, meta, signer=signer.signer)  # type: ignore[arg-type]
    except Exception as exc:  # pyHanko raises many kinds; the caller needs one  # noqa: BLE001
        raise PdfSignatureError("Không ký được tệp PDF.", f"PAdES signing failed: {exc!r}") from None
    return out.getvalue()


@dataclass(frozen=True)
class PdfSignatureCheck:
    """Result of validating one PDF signature."""

    field_name: str
    signer: str
    signed_at: dt.datetime | None
    intact: bool           # the signed byte ranges hash to the signed digest
    valid: bool            # the cryptographic signature verifies
    trusted: bool          # the certificate chains to a trusted school certificate
    covers_whole_file: bool  # nothing was appended after signing
    certificate_key_id: str
    message_vi: str
    message_en: str

    @property
    def ok(self) -> bool:
        """Intact, valid, trusted and covering the whole file."""
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def validate_pdf(pdf: bytes, trust_roots_pem: list[str]) -> list[PdfSignatureCheck]:
    """Validate every signature of the PDF against the given certificates; [] when it is unsigned."""
    from asn1crypto import pem as asn1pem
    from asn1crypto import x509 as asn1x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for text in trust_roots_pem:
        try:
            _t, _h, der = asn1pem.unarmor(text.encode())
            roots.append(asn1x509.Certificate.load(der))
        except (ValueError, TypeError):
            continue
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001  - a broken file is a verdict, not a crash
        return [PdfSignatureCheck("", "", None, False, False, False, False, "",
                                  "Không đọc được cấu trúc chữ ký của tệp PDF (tệp bị hỏng hoặc bị sửa).",
                                  f"cannot read signatures: {exc!r}")]
    out = []
    for sig in sigs:
        name = sig.field_name or ""
        try:
            cert = sig.signer_cert
            signer = cert.subject.human_friendly
            kid = hashlib.sha256(cert.dump()).hexdigest()[:16]
        except Exception:  # noqa: BLE001
            signer, kid = "", ""
        try:
            ctx = ValidationContext(trust_roots=roots, allow_fetching=False) if roots else None
            st = validate_pdf_signature(sig, ctx)
            intact, valid, trusted = bool(st.intact), bool(st.valid), bool(st.trusted) and bool(roots)
            whole = st.coverage == SignatureCoverageLevel.ENTIRE_FILE
            when = st.signer_reported_dt
        except Exception as exc:  # noqa: BLE001
            out.append(PdfSignatureCheck(name, signer, None, False, False, False, False, kid,
                                         "Chữ ký PDF không kiểm tra được (tệp bị hỏng hoặc bị sửa).",
                                         f"validation failed: {exc!r}"))
            continue
        if not intact or not valid:
            vi = "Chữ ký PDF KHÔNG hợp lệ: nội dung đã bị sửa sau khi ký."
            en = f"signature broken (intact={intact}, valid={valid})"
        elif not whole:
            vi = "Chữ ký PDF đúng, nhưng tệp đã bị thêm hoặc sửa nội dung SAU khi ký."
            en = f"signature valid but file changed after signing (coverage={st.coverage})"
        elif not trusted:
            vi = "Chữ ký PDF nguyên vẹn, nhưng chứng thư số không thuộc danh sách tin cậy của nhà trường."
            en = "signature intact but the certificate is not trusted"
        else:
            vi = f"Chữ ký PDF hợp lệ ({signer}); tệp không bị thay đổi sau khi ký."
            en = "signature valid, trusted, covers the whole file"
        out.append(PdfSignatureCheck(name, signer, when, intact, valid, trusted, whole, kid, vi, en))
    return out


__all__ = [
    "DEFAULT_FIELD",
    "PdfSignatureCheck",
    "PdfSignatureError",
    "PdfSigner",
    "certificate_key_id",
    "load_p12",
    "make_self_signed_p12",
    "sign_pdf",
    "validate_pdf",
]
