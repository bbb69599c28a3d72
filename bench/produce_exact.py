"""Print a sample of the demo school's books with fixed edition ids and key, to compare two versions' PDFs.

    python bench/produce_exact.py prepare sqlite:////tmp/demo600.sqlite /tmp/exact-src   # once: DB copy + a key
    python bench/produce_exact.py run /tmp/exact-src /tmp/pdfs-new                        # then with each version
    PYTHONPATH=/tmp/old-tree .venv/bin/python bench/produce_exact.py run /tmp/exact-src /tmp/pdfs-old
    diff -r /tmp/pdfs-old /tmp/pdfs-new

``run`` prints, in this process (``run_batch`` without workers), on a fresh copy of the prepared database,
the mark books of the first classes, the registers and the transcripts of a few tasks (years and bound
volumes: the batched path) with the prepared key, issued on a fixed day, every edition id drawn from a
counter (``layouts.publish``'s ``uuid4``); Ed25519 signatures and Typst's output are deterministic, so two
versions of the produce side that print the same thing write the same bytes. Besides the PDFs it writes,
per PDF, its two attachments (document JSON, signed manifest) and the text of each page, so that a change
of the PDF bytes (compression, object layout) can be told from a change of what is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

if "PYTHONPATH" not in __import__("os").environ:  # else the tree it names (the other version)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = dt.date(2026, 6, 15)


def prepare(db_url: str, folder: Path) -> None:
    from sqlalchemy import select
    from sqlalchemy.engine import make_url

    from records.db import make_engine, session_scope
    from records.models import School
    from web.commands.demo import create_demo_key

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(make_url(db_url).database, folder / "demo.sqlite")  # type: ignore[arg-type]
    engine = make_engine(f"sqlite:///{folder / 'demo.sqlite'}")
    with session_scope(engine) as session:
        code = session.scalars(select(School.code).where(School.external.is_(False))).one()
    key = create_demo_key(engine, code, folder / "keys", TODAY)
    engine.dispose()
    (folder / "key.json").write_text(json.dumps({"file": str(key.private_file), "passphrase": key.passphrase,
                                                 "school": code}))


def run(folder: Path, out: Path, markbooks: int, transcripts: int) -> None:
    from layouts import publish
    from layouts.batch import MARKBOOK, TRANSCRIPT, BatchConfig, BatchPool, run_batch, year_end_jobs
    from records.db import make_engine, session_scope
    from records.models import Role, School
    from web.commands.demo import _user_with_role

    counter = iter(range(1, 10**9))
    publish.uuid = type("FixedIds", (), {"uuid4": staticmethod(lambda: uuid.UUID(int=next(counter))),  # type: ignore[attr-defined]
                                         "UUID": uuid.UUID})
    key = json.loads((folder / "key.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite"
        shutil.copyfile(folder / "demo.sqlite", db)
        engine = make_engine(f"sqlite:///{db}")
        from sqlalchemy import select

        with session_scope(engine) as session:
            school_id = session.scalars(select(School.id).where(School.code == key["school"])).one()
            office = _user_with_role(session, school_id, Role.OFFICE)
            jobs = year_end_jobs(session, key["school"], TODAY.year - 1)
        engine.dispose()
        marks = [j for j in jobs if j.kind == MARKBOOK][:markbooks]
        trs = [j for j in jobs if j.kind == TRANSCRIPT]
        vols = [j for j in trs if j.option("volume")][:transcripts // 2]
        years = [j for j in trs if not j.option("volume")][:transcripts - len(vols)]
        regs = [j for j in jobs if j.kind not in (MARKBOOK, TRANSCRIPT)]
        chosen = marks + regs + vols + years
        config = BatchConfig(f"sqlite:///{db}", str(out), key["file"], key["passphrase"], office, issued_on=TODAY,
                             workers=0)
        shutil.rmtree(out, ignore_errors=True)
        with BatchPool(0) as pool:
            report = run_batch(config, chosen, pool=pool)
    if report.failures:
        sys.exit("failures: " + "; ".join(o.error_en or "" for o in report.failures))
    import pikepdf

    from signing.manifest import page_texts

    for f in report.files:
        pdf = (out / f.path).read_bytes()
        side = out / "parts" / f.path
        side.mkdir(parents=True, exist_ok=True)
        with pikepdf.open(out / f.path) as doc:
            for name, spec in doc.attachments.items():
                (side / name).write_bytes(spec.get_file().read_bytes())
        (side / "texts.json").write_text(json.dumps(page_texts(pdf), ensure_ascii=False, indent=0), "utf-8")
    print(f"{len(report.files)} files, {report.pages} pages in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("db")
    p.add_argument("folder", type=Path)
    r = sub.add_parser("run")
    r.add_argument("folder", type=Path)
    r.add_argument("out", type=Path)
    r.add_argument("--markbooks", type=int, default=3)
    r.add_argument("--transcripts", type=int, default=32)
    args = parser.parse_args()
    if args.cmd == "prepare":
        prepare(args.db, args.folder)
    else:
        run(args.folder, args.out, args.markbooks, args.transcripts)


if __name__ == "__main__":
    main()
