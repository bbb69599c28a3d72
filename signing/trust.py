"""The trust list kept in the database (``records.models.SigningKey``) as a ``KeyLookup``.

Verification code takes any ``KeyLookup``: the in-memory ``TrustStore`` (tests, a verifier given
public keys on the command line) or ``DbTrustList`` below. Only public keys are read.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

from sqlalchemy.orm import Session

from records.models import KeyKind, KeyState, SigningKey
from records.services import editions as edition_service
from signing.errors import SigningKeyError
from signing.keys import KeyStatus, TrustedKey, TrustStore, load_public_key

_STATUS = {KeyState.ACTIVE: KeyStatus.ACTIVE, KeyState.RETIRED: KeyStatus.RETIRED, KeyState.REVOKED: KeyStatus.REVOKED}


def trusted_key(row: SigningKey) -> TrustedKey:
    """The trust-list entry of a database row (an Ed25519 key)."""
    return TrustedKey(
        key_id=row.key_id, public_key=load_public_key(row.public_pem), status=_STATUS[row.status],
        valid_from=row.valid_from, retired_on=row.retired_on, revoked_on=row.revoked_on, label=row.label,
    )


class DbTrustList:
    """``KeyLookup`` over the ``signing_key`` table (Ed25519 keys only), cached per instance."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[str, TrustedKey | None] = {}

    def lookup(self, key_id: str) -> TrustedKey | None:
        """The entry for this key id, or None when the database does not trust it."""
        kid = key_id.lower()
        if kid not in self._cache:
            row = edition_service.find_key(self._session, kid)
            if row is None or row.kind is not KeyKind.ED25519:
                self._cache[kid] = None
            else:
                try:
                    self._cache[kid] = trusted_key(row)
                except SigningKeyError:
                    self._cache[kid] = None
        return self._cache[kid]

    def certificates_pem(self) -> list[tuple[str, str, KeyStatus]]:
        """(key id, certificate PEM, status) of every X.509 certificate of the trust list."""
        return [(r.key_id, r.public_pem, _STATUS[r.status])
                for r in edition_service.list_keys(self._session, kind=KeyKind.X509)]


class SharedTrustList(DbTrustList):
    """``DbTrustList`` whose answers are shared by every request of the process for ``ttl`` seconds.

    The public page verifies thousands of codes signed by a handful of keys: reading and parsing the
    key for each request costs more than the signature check. The entry is checked at every
    verification against the key's row, read by the same query as the edition's state
    (``signing.verify``): a key revoked or retired in the database is seen at once (``forget``), by
    every worker process; ``ttl`` only bounds how long an unknown key stays unknown.
    """

    _shared: ClassVar[dict[tuple[str, str], tuple[float, TrustedKey | None]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, session: Session, ttl: float = 30.0) -> None:
        super().__init__(session)
        self._ttl = ttl
        self._db = session.get_bind().engine.url.render_as_string(hide_password=True)

    def lookup(self, key_id: str) -> TrustedKey | None:
        """The entry for this key id (shared for ``ttl`` seconds), or None."""
        kid = key_id.lower()
        now = time.monotonic()
        hit = self._shared.get((self._db, kid))
        if hit is not None and hit[0] > now:
            return hit[1]
        entry = super().lookup(kid)
        with self._lock:
            if len(self._shared) > 1000:
                self._shared.clear()
            self._shared[(self._db, kid)] = (now + self._ttl, entry)
        return entry

    def forget(self, key_id: str) -> None:
        """Drop the shared entry of this key (its database row changed): the next lookup reads it."""
        with self._lock:
            self._shared.pop((self._db, key_id.lower()), None)
        self._cache.pop(key_id.lower(), None)


# --- the trust file: the public trust list for offline verifiers -------------------------------

TRUST_FILE_FORMAT = "sodientu-trust"


def trust_rows_to_json(rows: list[SigningKey], school: str = "") -> bytes:
    """The public trust list as JSON (keys and certificates with status and dates; nothing secret)."""
    import json

    keys = [{"key_id": r.key_id, "kind": r.kind.value, "public_pem": r.public_pem, "status": r.status.value,
             "valid_from": r.valid_from.isoformat(), "retired_on": r.retired_on.isoformat() if r.retired_on else None,
             "revoked_on": r.revoked_on.isoformat() if r.revoked_on else None, "label": r.label} for r in rows]
    return json.dumps({"format": TRUST_FILE_FORMAT, "version": 1, "school": school, "keys": keys},
                      ensure_ascii=False, indent=2).encode("utf-8")


def trust_from_json(data: bytes) -> tuple[TrustStore, list[str]]:
    """Read a trust file: the Ed25519 trust store and the (non-revoked) certificate PEMs."""
    import datetime as dt
    import json

    try:
        obj = json.loads(data.decode("utf-8"))
        if obj.get("format") != TRUST_FILE_FORMAT:
            raise ValueError("not a sodientu trust file")
        entries = list(obj["keys"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError) as exc:
        raise SigningKeyError("Tệp danh sách khóa tin cậy không đọc được.", f"bad trust file: {exc!r}") from None
    store = TrustStore()
    certs: list[str] = []
    for e in entries:
        status = KeyStatus(e["status"])
        if e["kind"] == KeyKind.X509.value:
            if status is not KeyStatus.REVOKED:
                certs.append(e["public_pem"])
            continue
        store.add(e["public_pem"], valid_from=dt.date.fromisoformat(e["valid_from"]),
                  status=KeyStatus.RETIRED if status is not KeyStatus.ACTIVE else KeyStatus.ACTIVE, label=e.get("label", ""))
        if status is KeyStatus.REVOKED:
            store.revoke(e["key_id"], dt.date.fromisoformat(e["revoked_on"]) if e.get("revoked_on") else None)
    return store, certs
