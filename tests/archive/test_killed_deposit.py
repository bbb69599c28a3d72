"""A deposit killed half-way (SIGKILL of a real process) leaves the archive consistent, on both stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from archive import LocalStore, S3Store, check, open_store, use_store
from records.db import make_engine
from records.models import ArchiveItem

ROOT = Path(__file__).parents[2]


def _location(store) -> str:  # type: ignore[no-untyped-def]
    if isinstance(store, LocalStore):
        return str(store.root)
    assert isinstance(store, S3Store)
    endpoint = store.client.meta.endpoint_url
    return (f"s3://{store.bucket}/{store.prefix}?endpoint_url={endpoint}"
            "&access_key=sodientu&secret_key=sodientu-test")


@pytest.mark.parametrize("phase", ["stream", "metadata"])
def test_a_deposit_killed_half_way_leaves_no_half_file_and_no_metadata(store, tmp_path, phase) -> None:
    db_url = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "tests.archive.killed_deposit", db_url, _location(store),
                                phase, str(marker)], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(f"the depositing process ended early: {process.stderr.read().decode()[-800:]}")
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()  # type: ignore[union-attr]

    reopened = open_store(_location(store))
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            use_store(session, reopened)
            assert session.query(ArchiveItem).count() == 0  # no metadata without content (nor any)
            report = check(session)
    finally:
        engine.dispose()
    assert report.ok and report.items == 0
    held = list(reopened)
    if phase == "stream":
        assert held == []  # no half file under any name
    else:
        assert report.unreferenced == tuple(held) and len(held) == 1  # the whole content, named by its hash
        assert reopened.verify(held[0]) is True
    if isinstance(reopened, LocalStore):
        leftovers = list(reopened.tmp.iterdir()) if reopened.tmp.is_dir() else []
        assert len(leftovers) == (1 if phase == "stream" else 0)
        assert reopened.sweep_temporary(older_than_seconds=-1) == len(leftovers)
