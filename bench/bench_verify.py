"""Signing and verification figures: payload size and QR version, decode rate and time per page on
simulated office scans and phone photos, publishing overhead beyond the Typst render, verify time.

    .venv/bin/python bench/bench_verify.py [--seeds 10]

Uses an in-memory SQLite database, the synthetic 46-row mark book (tests/layouts/factories.py) and a
sample transcript (tests/layouts/transcript_samples.py). Scans: page rendered at 600 dpi, rotated by a
random angle in ±3°, optical blur, downsampled to 200 dpi (or 150), contrast 0.8, noise σ=10, JPEG q=60.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session

from layouts.documents import QR_SLOT_MM
from layouts.markbook import build_markbook
from layouts.publish import Scope, publish, transcript_facts
from layouts.render import render_page_images
from layouts.transcript import build_transcript
from records.db import make_engine
from records.models import Base, KeyKind, Role
from records.permissions import Actor
from records.services import editions as es
from signing.keys import generate_private_key, key_id, public_key_pem
from signing.payload import payload_bytes
from signing.qr import make_qr
from signing.testing import simulate_scan
from signing.trust import DbTrustList
from signing.verify import PageStatus, verify_file
from tests.factories import make_class, make_school, make_student, make_user, make_year
from tests.layouts.factories import make_markbook_input
from tests.layouts.transcript_samples import sample_input
from tests.signing.helpers import full_markbook, pdf_signer


def world(session: Session):  # type: ignore[no-untyped-def]
    school = make_school(session, name="Trường THCS Tô Hiệu")
    year = make_year(session, school)
    klass = make_class(session, year, 9, "9A1")
    clerk = Actor.load(session, make_user(session, school, [Role.OFFICE]).id)
    key = generate_private_key()
    es.register_key(session, Actor.system("bench"), key_id=key_id(key), kind=KeyKind.ED25519,
                    public_pem=public_key_pem(key), school_id=school.id)
    signer = pdf_signer()
    es.register_key(session, Actor.system("bench"), key_id=signer.fingerprint, kind=KeyKind.X509,
                    public_pem=signer.certificate_pem, school_id=school.id)
    return school, year, klass, clerk, key, signer


def scan_rate(session: Session, pdf: bytes, pages: list[int], seeds: int, dpi: int, label: str) -> None:
    trust = DbTrustList(session)
    ok = total = 0
    times = []
    for index in pages:
        paper = render_page_images(pdf, dpi=600, pages=[index])[0].convert("L")
        paper.info["dpi"] = (600, 600)
        for seed in range(seeds):
            rng = random.Random(seed * 131 + index)
            scan = simulate_scan(paper, dpi=dpi, angle=rng.uniform(-3, 3), blur=0.08, jpeg_quality=60, seed=seed)
            buf = io.BytesIO()
            scan.save(buf, "JPEG", quality=60)
            t = time.perf_counter()
            report = verify_file(buf.getvalue(), trust, session)
            times.append(time.perf_counter() - t)
            total += 1
            ok += report.pages and report.pages[0].status is PageStatus.GENUINE
    print(f"  {label:<44} {dpi} dpi: decoded+genuine {ok}/{total}; "
          f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms per page")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = Session(engine)
    school, year, klass, clerk, key, signer = world(session)
    scope = Scope(school.id, class_id=klass.id, school_year_id=year.id)

    print("Mark book (46 rows, 15 subjects, A4, 68 pages)")
    doc = full_markbook()
    runs = []
    for i in range(3):
        fresh = doc if i == 0 else build_markbook(make_markbook_input(seed=10 + i))  # fresh data: no memo hits
        t = time.perf_counter()
        pub = publish(session, clerk, fresh, template="markbook", scope=scope, private_key=key, pdf_signer=signer)
        runs.append((time.perf_counter() - t, pub))
    first = runs[-1][1]  # the current edition (each reprint superseded the previous one)
    print(f"  payload: {sorted(set(first.payload_bytes))} bytes, QR version {sorted(set(first.qr_versions))} (level M), "
          f"{make_qr(first.manifest.pages[0].qr).symbol_size(border=4)[0] * 0.5:.1f} mm at 0.5 mm/module")
    for total, pub in runs:
        t = pub.timings
        print(f"  publish {total:.2f} s = render {t.render:.2f} s + overhead {t.overhead:.2f} s "
              f"(QR sign+SVG {t.sign_qr:.2f}, text+manifest {t.text_and_manifest:.2f}, attach {t.attach:.2f}, "
              f"PAdES {t.pdf_signature:.2f}, record {t.record:.3f}); {len(pub.pdf) // 1024} kB")
    trust = DbTrustList(session)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        report = verify_file(first.pdf, trust, session)
        times.append(time.perf_counter() - t0)
    print(f"  verify published PDF (68 pages, QR render at 200 dpi + text + PAdES): "
          f"{statistics.median(times):.2f} s ({statistics.median(times) / 68 * 1000:.0f} ms/page), ok={report.ok}")
    for dpi in (200, 150):
        scan_rate(session, first.pdf, [0, 24, 54, 58], args.seeds, dpi, "mark book pages (cover, marks, summary, minutes)")

    print("Transcript (4 years, long name)")
    inp = sample_input()
    student = make_student(session, school)
    tdoc = build_transcript(inp, volume=True)
    facts = transcript_facts(tdoc, inp.identity.date_of_birth)
    t0 = time.perf_counter()
    tpub = publish(session, clerk, tdoc, template="transcript", scope=Scope(school.id, student_id=student.id),
                   private_key=key, facts=facts, issued_on=dt.date(2025, 6, 1))
    sizes = sorted({len(payload_bytes(p.qr)) for p in tpub.manifest.pages})
    print(f"  name {inp.identity.full_name!r}: payload {sizes} bytes, QR versions {sorted(set(tpub.qr_versions))}; "
          f"drawn at 0.5 mm/module: up to {max(make_qr(p.qr).symbol_size(border=4)[0] for p in tpub.manifest.pages) * 0.5:.1f} mm "
          f"(slot {QR_SLOT_MM:g} mm); "
          f"publish {time.perf_counter() - t0:.2f} s ({len(tdoc.pages)} pages)")
    pages = [i for i, p in enumerate(tdoc.pages) if p.kind != "blank"][:4]
    for dpi in (200, 150):
        scan_rate(session, tpub.pdf, pages, args.seeds, dpi, "transcript pages (facts in the code)")


if __name__ == "__main__":
    main()
