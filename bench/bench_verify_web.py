"""Throughput and latency of the public verification page, served by waitress on loopback.

Usage: .venv/bin/python bench/bench_verify_web.py [--clients 4] [--requests 4000] [--threads 4] [--kind post]
       [--workers 1,2]

Builds a temporary SQLite school with a registered key and a recorded edition, serves
``web.app.create_app`` the way ``sodientu serve --workers N`` does (``web.prefork``: N waitress processes
on one listening socket) in a child process, once per worker count, and sends a
bounded load of ``--requests`` verifications of a pasted code (``--kind post``: POST /xac-thuc;
``get``: GET /v/<code>, the URL a phone opens; ``short``: the typed short code) from ``--clients``
keep-alive connections in worker processes. Prints requests per second and p50 / p90 / p99 latency.
The rate limit is raised for the run (one address sends everything). Photo uploads are not measured.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _school(url: str) -> str:
    """A school, a key, an edition of one page; returns its QR text."""
    import datetime as dt
    import uuid

    from records.db import make_engine, session_scope
    from records.models import Base, EditionKind, KeyKind, Role
    from records.permissions import Actor
    from records.services import editions as es
    from signing.keys import generate_private_key, key_id, public_key_pem
    from signing.payload import DocType, PayloadFields, encode_payload
    from tests.factories import make_class, make_school, make_user, make_year

    engine = make_engine(url)
    Base.metadata.create_all(engine)
    key = generate_private_key()
    with session_scope(engine) as session:
        school = make_school(session, name="Trường THCS Tô Hiệu")
        year = make_year(session, school)
        klass = make_class(session, year, 9, "9A1")
        clerk = make_user(session, school, [Role.OFFICE])
        es.register_key(session, Actor.system("bench"), key_id=key_id(key), kind=KeyKind.ED25519,
                        public_pem=public_key_pem(key), school_id=school.id)
        edition_id = uuid.uuid4()
        digest = bytes(range(16))
        fields = PayloadFields(DocType.MARK_BOOK, edition_id, 25, 68, dt.date(2026, 5, 30), digest)
        code = encode_payload(fields, key)
        es.create_edition(session, Actor.load(session, clerk.id), es.EditionDraft(
            edition_id=edition_id, kind=EditionKind.MARK_BOOK, school_id=school.id, title="Sổ 9A1",
            issued_on=dt.date(2026, 5, 30), book_pages=68, pages=(es.PrintedPage(25, "marks", digest),),
            key_id=key_id(key), document_sha256="0" * 64, pdf_sha256=None, pdf_signed=False, class_id=klass.id,
            school_year_id=year.id, part="all", copy=False))
    engine.dispose()
    return code


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVER = """
import logging, sys
sys.path.insert(0, {root!r})
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is 1": the load is the point
from web import prefork
from web.app import create_app
prefork.serve(lambda: create_app({url!r}, SODIENTU_VERIFY_RATE=(10**9, 60.0)), host="127.0.0.1", port={port},
              workers={workers}, threads={threads}, connection_limit=200, backlog=256)
"""


def _processes(pid: int) -> list[int]:
    """The server process and its workers."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(p) for p in (children.read_text().split() if children.exists() else []))]


def _client(port: int, method: str, path: str, body: bytes, n: int, out: mp.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    times = []
    errors = 0
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        times.append(time.perf_counter() - t0)
        if response.status != 200 or "Hợp lệ".encode() not in data and "Mã thật".encode() not in data:
            errors += 1
    conn.close()
    out.put((times, errors))


def _run(url: str, code: str, args: argparse.Namespace, workers: int) -> None:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), url=url, port=port,
                                                                   workers=workers, threads=args.threads)],
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        for _ in range(1200):  # the server imports Flask, SQLAlchemy, … (slow on a loaded machine)
            if workers == 1 or len(_processes(server.pid)) > workers:  # every worker forked
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    pass
            if server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        from signing.payload import decode_payload, human_code

        fields = decode_payload(code)
        if args.kind == "post":
            method, path, body = "POST", "/xac-thuc", urllib.parse.urlencode({"code": code}).encode()
        elif args.kind == "short":
            short = human_code(fields.edition_id, fields.page, fields.pages)
            method, path, body = "POST", "/xac-thuc", urllib.parse.urlencode({"code": short}).encode()
        else:
            from signing.payload import payload_to_url

            method, path, body = "GET", "/" + payload_to_url(code, "https://x.example/v/").split("/", 3)[3], b""
        # warm-up: imports, the key cache, in every worker (new connections land on any of them)
        queue: mp.Queue = mp.Queue()
        for _ in range(4 * workers):
            _client(port, method, path, body, 25, queue)
            queue.get()
        pids = _processes(server.pid)
        cpu_before = sum(_cpu_seconds(pid) for pid in pids)
        per = args.requests // args.clients
        clients = [mp.Process(target=_client, args=(port, method, path, body, per, queue)) for _ in range(args.clients)]
        started = time.perf_counter()
        for c in clients:
            c.start()
        results = [queue.get() for _ in clients]
        elapsed = time.perf_counter() - started
        cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu_before
        for c in clients:
            c.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    times = sorted(t for ts, _ in results for t in ts)
    errors = sum(e for _, e in results)

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(p / 100 * len(times)))] * 1000

    print(f"{args.kind}: {len(times)} requests, {args.clients} clients, {workers} waitress process(es) of "
          f"{args.threads} threads, load {os.getloadavg()[0]:.1f}")
    print(f"  {len(times) / elapsed:.0f} requests/s; latency p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms, "
          f"p99 {pct(99):.1f} ms, max {times[-1] * 1000:.1f} ms, mean {statistics.mean(times) * 1000:.1f} ms; "
          f"errors {errors}")
    per_request = cpu / len(times) * 1000
    print(f"  server CPU {per_request:.2f} ms/request (user+system of the waitress processes): "
          f"{1000 / per_request:.0f} requests/s per idle core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per process")
    parser.add_argument("--kind", choices=("post", "get", "short"), default="post")
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}",
                        help="comma-separated worker process counts to measure (default: 1 and one per core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'web.sqlite'}"
        code = _school(url)
        for workers in dict.fromkeys(int(w) for w in args.workers.split(",")):
            _run(url, code, args, workers)


if __name__ == "__main__":
    main()
