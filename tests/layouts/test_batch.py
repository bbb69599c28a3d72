"""layouts.batch without a database: jobs, tasks, paths (printing itself: tests/test_demo_print.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from layouts import batch
from records.errors import ValidationError


def test_tasks_put_big_books_between_transcript_groups_and_volumes_first() -> None:
    books = [batch.make_job(batch.MARKBOOK, i) for i in range(3)]
    register = batch.make_job(batch.REGISTER, "2022-2026", school_code="X")
    transcripts = [batch.make_job(batch.TRANSCRIPT, f"HS{i}", year="2025-2026", volume=i % 4 == 0)
                   for i in range(10)]
    tasks = batch.make_tasks([*books, register, *transcripts], transcripts_per_task=3)
    assert [len(t) for t in tasks] == [1, 3, 1, 3, 1, 3, 1, 1]
    assert tasks[0] == (books[0],) and tasks[6] == (register,)
    assert [j.ids[0] for j in tasks[1]] == ["HS0", "HS4", "HS8"]  # the volumes first
    assert sorted(j.ids[0] for t in tasks for j in t if j.kind == batch.TRANSCRIPT) == sorted(
        f"HS{i}" for i in range(10))


def test_jobs_are_hashable_and_know_their_options() -> None:
    job = batch.make_job(batch.TRANSCRIPT, "HS1", "học bạ HS1", year="2025-2026", volume=True)
    assert job.option("volume") is True and job.option("duplex", False) is False
    assert job.title == "học bạ HS1" and batch.make_job(batch.MARKBOOK, 7).title.endswith("7")
    assert len({job, batch.make_job(batch.TRANSCRIPT, "HS1", "học bạ HS1", volume=True, year="2025-2026")}) == 1
    with pytest.raises(ValidationError):
        batch.make_job("diary", 1)


def test_file_names_are_safe() -> None:
    assert batch._safe("9A/1") == "9A-1" and batch._safe("..") == "_" and batch._safe("CS22\n0001") == "CS22-0001"


def test_the_workers_run_at_a_lower_priority_than_the_run() -> None:
    """The parent's trail verdict, which every task waits for, must not share the cores evenly with the workers."""
    import os

    parent = os.nice(0)
    with batch.BatchPool(1, nice=3) as pool:
        assert pool.executor is not None
        assert pool.executor.submit(os.nice, 0).result(timeout=60) == min(19, parent + 3)
    with batch.BatchPool(1, nice=0) as pool:
        assert pool.executor is not None
        assert pool.executor.submit(os.nice, 0).result(timeout=60) == parent
    assert batch.WORKER_NICE > 0


def test_a_spooled_task_is_taken_back_only_unchanged(tmp_path: Path) -> None:
    """A task produced before the run's verdict waits in a spool file (``_start_task``); the parent keeps its digest,
    so that a file changed or swapped on disk is refused instead of recorded (its jobs then fail)."""
    job = batch.make_job(batch.TRANSCRIPT, "HS1", year="2025-2026")
    pending = batch._Pending((job,), {}, [], {job: {7: b"\x01" * 16}}, 0.5, 1.25)
    spool = batch._spool(pending, str(tmp_path))
    again = batch._unspool(spool)
    assert (again.jobs, again.printed, again.cpu) == (pending.jobs, pending.printed, pending.cpu)
    assert not list(tmp_path.iterdir())  # taken back: the file is gone
    changed = batch._spool(pending, str(tmp_path))
    data = bytearray(Path(changed.path).read_bytes())
    data[-2] ^= 1
    Path(changed.path).write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="changed"):
        batch._unspool(changed)
    other = batch._spool(batch._Pending((job, job), {}, [], {}, 0.0, 0.0), str(tmp_path))
    with pytest.raises(RuntimeError, match="not the task's"):
        batch._unspool(batch._Spool(other.path, other.sha256, (job,)))
