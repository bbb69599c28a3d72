"""The content-addressed stores, the same tests on the local folder and on S3 (SeaweedFS)."""

from __future__ import annotations

import hashlib
import io

import pytest

from archive import LocalStore, open_store
from archive.errors import ArchiveConfigError, ArchiveStoreError, ObjectMissingError
from tests.archive.conftest import corrupt


def test_put_returns_the_sha256_and_reads_back(store) -> None:
    data = b"%PDF-1.7 hoc ba " * 1000
    stored = store.put(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert store.exists(stored.sha256) and store.size(stored.sha256) == len(data)
    assert store.read(stored.sha256) == data
    assert list(store) == [stored.sha256]
    assert store.verify(stored.sha256) is True


def test_same_content_is_one_object_and_a_stream_is_read_to_its_end(store) -> None:
    data = bytes(range(256)) * 9000  # > one chunk
    a = store.put(data)
    b = store.put(io.BytesIO(data))
    assert a == b and list(store) == [a.sha256]


def test_missing_and_malformed_names(store) -> None:
    absent = "0" * 64
    assert not store.exists(absent) and store.verify(absent) is None
    with pytest.raises(ObjectMissingError):
        store.read(absent)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(ArchiveStoreError):
            store.exists(bad)


def test_a_changed_byte_is_found_and_a_new_put_repairs_it(store) -> None:
    data = b"so dang bo " * 500
    stored = store.put(data)
    corrupt(store, stored.sha256, data)
    assert store.verify(stored.sha256) is False
    store.put(data)
    assert store.verify(stored.sha256) is True


class Broken(io.RawIOBase):
    """A stream that fails after some bytes (a scanner cable pulled, a full disk)."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise OSError("device went away")
        n = min(self.left, 1 << 16 if size < 0 else size)
        self.left -= n
        return b"x" * n


def test_a_put_failing_half_way_leaves_nothing_visible(store) -> None:
    with pytest.raises((OSError, ArchiveStoreError)):
        store.put(Broken(3 << 20))
    assert list(store) == []
    if isinstance(store, LocalStore):
        assert list(store.tmp.iterdir()) == []  # the temporary file went too


def test_open_store_locations(tmp_path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert isinstance(open_store(f"file://{tmp_path}"), LocalStore)
    with pytest.raises(ArchiveConfigError):
        open_store("ftp://example.org/x")
    with pytest.raises(ArchiveConfigError):
        open_store("  ")


def test_put_many_stores_each_object_as_put_does(store, monkeypatch) -> None:
    """A print task's PDFs in one call: same names and bytes as ``put``; a duplicate and a corrupted copy repaired;
    on a local folder two file-system syncs in all, contents synced before any object gets its name."""
    from archive import store as store_module

    datas = [b"%%PDF-1.7 hoc ba %d " % i * 300 for i in range(5)]
    first = store.put(datas[0])
    corrupt(store, first.sha256, datas[0])
    events: list[str] = []
    if isinstance(store, LocalStore):
        real = store_module._syncfs
        monkeypatch.setattr(store_module, "_syncfs",
                            lambda path: events.append(f"sync:{len(list(store))}") or real(path))
    stored = store.put_many([*datas, datas[1]])
    assert [s.sha256 for s in stored] == [hashlib.sha256(d).hexdigest() for d in [*datas, datas[1]]]
    assert sorted(store) == sorted({s.sha256 for s in stored})
    assert all(store.read(s.sha256) == d for s, d in zip(stored, [*datas, datas[1]], strict=True))
    assert store.verify(first.sha256) is True
    if isinstance(store, LocalStore) and store_module._syncfs_available():
        assert events == ["sync:1", "sync:5"]  # one before the names (only the old object named), one after
        assert list(store.tmp.iterdir()) == []
