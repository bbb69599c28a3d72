"""Archive fixtures: the same tests on a local folder and on a real S3 server (SeaweedFS, started here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from archive import LocalStore, S3Store, Store, use_store
from tests.archive.seaweed import Seaweed, SeaweedUnavailable, start_seaweed

BUCKET = "sodientu-tests"  # one bucket (a SeaweedFS collection); one prefix per test


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    """One SeaweedFS server for the run, stopped at the end (skips the S3 tests when it cannot start)."""
    try:
        server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    except SeaweedUnavailable as exc:
        pytest.skip(f"S3 server (SeaweedFS) unavailable: {exc}")
    try:
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> Store:
    """A fresh, empty store: a local folder, or a new bucket on the SeaweedFS server."""
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    server: Seaweed = request.getfixturevalue("seaweed")
    return S3Store(BUCKET, f"t-{uuid.uuid4().hex[:16]}/", client=server.client())


@pytest.fixture
def archived(session, store):  # type: ignore[no-untyped-def]
    """The test session's archive uses ``store``."""
    use_store(session, store)
    return store


def corrupt(store: Store, sha256: str, data: bytes) -> None:
    """Change one byte of a stored object behind the store's back."""
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    if isinstance(store, LocalStore):
        path = store.objects / sha256[:2] / sha256
        path.chmod(0o644)
        path.write_bytes(bytes(changed))
    else:
        assert isinstance(store, S3Store)
        store.client.put_object(Bucket=store.bucket, Key=store._key(sha256), Body=bytes(changed))


def drop(store: Store, sha256: str) -> None:
    """Lose a stored object behind the archive's back."""
    store.remove(sha256)
