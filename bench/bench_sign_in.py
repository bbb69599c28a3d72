"""Benchmark of the sign-in page and of signing in, over real HTTP (waitress) on a SQLite school.

Usage: .venv/bin/python bench/bench_sign_in.py [--requests 200] [--db URL]

Without ``--db`` a temporary school is made with ``initialise_school``; with ``--db`` (e.g. the demo's
database) the page is served from it and, with ``--user``/``--password``, signing in is timed too.
Prints the median, 90th percentile and maximum of: GET /dang-nhap; POST /dang-nhap (argon2id verify,
session row) followed by the role's home page; and a signed-in home page.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import waitress

from records.db import make_engine, session_scope, upgrade
from records.services import setup
from web.app import create_app

PASSWORD = "mat-khau-do-toc-do"


def _figures(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[int(len(ms) * 0.9) - 1] if len(ms) >= 10 else ms[-1]
    print(f"{name:<44} n={len(ms):<4} median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f} ms   "
          f"max {ms[-1]:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default=None)
    parser.add_argument("--user", default="quantri")
    parser.add_argument("--password", default=PASSWORD)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        if args.db is None:
            engine = make_engine(url)
            upgrade(engine)
            with session_scope(engine) as session:
                setup.initialise_school(session, code="BENCH", name="Trường THCS Đo Tốc Độ", district="Huyện A",
                                        province="Tỉnh B", admin_username="quantri", admin_full_name="Quản Trị",
                                        admin_password=PASSWORD)
            engine.dispose()
        app = create_app(url)
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.effective_port}"
        try:
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            opener.open(f"{base}/dang-nhap").read()  # warm-up (templates compiled, first connection)
            page: list[float] = []
            for _ in range(args.requests):
                start = time.perf_counter()
                body = opener.open(f"{base}/dang-nhap").read()
                page.append(time.perf_counter() - start)
            _figures("GET /dang-nhap (sign-in page)", page)
            print(f"  page size {len(body)} bytes; CSS {len(opener.open(f'{base}/static/app.css').read())} bytes; "
                  "no script")
            signs: list[float] = []
            homes: list[float] = []
            for _ in range(max(5, min(20, args.requests // 10))):
                jar.clear()
                html = opener.open(f"{base}/dang-nhap").read().decode()
                token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
                data = urllib.parse.urlencode({"username": args.user, "password": args.password,
                                               "csrf_token": token}).encode()
                start = time.perf_counter()
                landed = opener.open(f"{base}/dang-nhap", data=data)
                landed.read()
                signs.append(time.perf_counter() - start)
                start = time.perf_counter()
                opener.open(landed.geturl()).read()
                homes.append(time.perf_counter() - start)
            _figures("POST /dang-nhap + home page (argon2id)", signs)
            _figures(f"signed-in home page ({landed.geturl().removeprefix(base)})", homes)
        finally:
            server.close()
            app.extensions["sodientu.engine"].dispose()


if __name__ == "__main__":
    main()
