"""Errors of the signing layer (all subclasses of ``records.errors.SodientuError``)."""

from __future__ import annotations

from records.errors import SodientuError


class SigningError(SodientuError):
    """Base of every error raised on purpose by ``signing``."""


class Base45Error(SigningError):
    """The text is not valid base45 (RFC 9285)."""


class PayloadError(SigningError):
    """A QR payload cannot be decoded (wrong prefix, bad length, bad field) or built."""


class SigningKeyError(SigningError):
    """A key cannot be generated, read or used."""


class KeyPassphraseError(SigningKeyError):
    """The passphrase of an encrypted private key is wrong or missing."""


class QrReadError(SigningError):
    """An image or PDF given for QR decoding cannot be read."""


class UploadRefused(QrReadError):
    """A file refused before decoding (too many pages, too large a page or image): ``signing.limits``."""
