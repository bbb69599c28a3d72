"""``sodientu serve --workers 2``: several waitress processes on one socket start, answer and stop cleanly."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from records.db import make_engine, upgrade
from web import prefork

pytestmark = pytest.mark.skipif(not prefork.can_fork(), reason="worker processes need fork()")

CLI = [sys.executable, "-c", "from web.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text() if Path(f"/proc/{pid}").exists() else ""
    return {int(p) for p in text.split()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8"), response.getheader("Server") or ""
    finally:
        conn.close()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_two_workers_start_answer_and_stop(tmp_path: Path, stop: signal.Signals) -> None:
    url, port = _database(tmp_path), _free_port()
    env = {**os.environ, "SODIENTU_SECRET_KEY": "", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([*CLI, "-v", "serve", "--db", url, "--port", str(port), "--workers", "2", "--threads", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    workers: set[int] = set()
    try:
        workers = _wait_for(process, port, lambda found: len(found) == 2)  # two workers under the supervisor
        for _ in range(20):  # many short connections: the kernel hands them to either worker
            status, body, server = _get(port, "/xac-thuc")
            assert status == 200 and "Xác thực trang sổ" in body and server == "sodientu"
        status, body, _ = _get(port, "/v/KHONG-PHAI-MA")
        assert status == 200 and "không phải mã hợp lệ" in body
        assert _children(process.pid) == workers, "no worker died while answering"
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "2 tiến trình" in out
    assert "Traceback" not in err
    assert not any(_alive(pid) for pid in workers), "every worker ended with the supervisor"
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", port))


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    """(``-v``: the supervisor's English log lines go to stderr only when asked, see ``configure_logging``.)"""
    url, port = _database(tmp_path), _free_port()
    process = subprocess.Popen([*CLI, "-v", "serve", "--db", url, "--port", str(port), "--workers", "2", "--threads", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        workers = _wait_for(process, port, lambda found: len(found) == 2)
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        replaced = _wait_for(process, port, lambda found: len(found) == 2 and victim not in found)
        assert victim not in replaced and len(replaced) == 2
        for _ in range(10):
            assert _get(port, "/xac-thuc")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "starting another" in err


def _wait_for(process: subprocess.Popen[str], port: int, ready) -> set[int]:  # type: ignore[no-untyped-def]
    """The worker pids once ``ready(pids)`` holds and the port answers (imports are slow on a loaded machine)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        found = _children(process.pid)
        if ready(found):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return found
            except OSError:
                pass
        time.sleep(0.2)
    raise AssertionError("the workers did not come up")


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    url = _database(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run([*CLI, "serve", "--db", url, "--port", str(port), "--workers", "2"],
                              check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Không mở được cổng" in done.stderr and "Traceback" not in done.stderr


def test_default_workers_is_one_per_core() -> None:
    assert prefork.default_workers() == max(1, os.cpu_count() or 1)


def test_the_served_application_has_its_start_up_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker freezes the heap once its app is built (``gc.freeze``): a full collection then skips the
    start-up objects. Checked on the one-process path, waitress replaced by a recorder."""
    import gc

    import waitress

    seen: dict[str, object] = {}
    app = object()
    monkeypatch.setattr(waitress, "serve", lambda served, **_: seen.update(app=served, frozen=gc.get_freeze_count()))
    gc.unfreeze()
    try:
        assert prefork.serve(lambda: app, host="127.0.0.1", port=0, workers=1, threads=1) == 0
    finally:
        gc.unfreeze()
    assert seen["app"] is app
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 0
