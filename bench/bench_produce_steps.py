"""CPU of each piece of the produce step (no database, no pool), on real books of the demo school.

    python bench/bench_produce_steps.py /tmp/exact-src [--markbooks 2] [--transcripts 24] [--rounds 3]

Takes the database and key prepared by ``bench/produce_exact.py prepare``, builds the documents of a few mark
books and transcripts (year prints and volumes) in this process, then times, per page or per book, each piece
of ``layouts.publish.produce`` / ``produce_many`` and the cache flush the batch runs after them: page digests,
payload signatures, QR symbols and their SVG, the Typst compile, text extraction, the split of a batch, the
manifest and attachments, the flush. CPU seconds (``time.process_time``: all threads), best of ``--rounds``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if "PYTHONPATH" not in os.environ:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = dt.date(2026, 6, 15)


def load_docs(folder: Path, markbooks: int, transcripts: int) -> tuple[list[Any], Any]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from layouts.batch import MARKBOOK, TRANSCRIPT, _load, year_end_jobs
    from records.db import make_engine
    from records.models import Role, School
    from records.permissions import Actor
    from signing.keys import load_private_key
    from web.commands.demo import _user_with_role

    key = json.loads((folder / "key.json").read_text())
    engine = make_engine(f"sqlite:///{folder / 'demo.sqlite'}", read_only=True)
    with Session(engine) as session:
        school_id = session.scalars(select(School.id).where(School.code == key["school"])).one()
        actor = Actor.by_username(session, _user_with_role(session, school_id, Role.OFFICE))
        jobs = year_end_jobs(session, key["school"], TODAY.year - 1)
        trs = [j for j in jobs if j.kind == TRANSCRIPT]
        chosen = ([j for j in jobs if j.kind == MARKBOOK][:markbooks]
                  + [j for j in trs if j.option("volume")][:transcripts // 2]
                  + [j for j in trs if not j.option("volume")][:transcripts - transcripts // 2])
        docs = [d for job in chosen for d in _load(session, actor, job, TODAY)]
    engine.dispose()
    return docs, load_private_key(key["file"], key["passphrase"])


def best(rounds: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--markbooks", type=int, default=2)
    parser.add_argument("--transcripts", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")

    from layouts import publish, render
    from layouts.batch import _produce_groups
    from layouts.publish import ProduceRequest, document_attachment, transcript_facts
    from signing.manifest import page_texts, printed_counts, text_digest, text_tokens
    from signing.payload import PayloadFields, canonical_json, encode_payload, page_digest
    from signing.qr import qr_symbol, rows_svg

    docs, key = load_docs(args.folder, args.markbooks, args.transcripts)
    pages = [p for d in docs for p in d.document.pages]
    print(f"{len(docs)} books, {len(pages)} pages")
    for d in docs:
        d.edition_kind = publish.edition_kind(d.document)
        d.facts = transcript_facts(d.document, d.date_of_birth) if d.date_of_birth else None
    render._compiler()
    render.covered_codepoints()
    rows: dict[str, float] = {}
    n = len(pages)

    rows["page_digest (canonical JSON + sha256)"] = best(args.rounds, lambda: [page_digest(p.data) for p in pages])
    rows["canonical_json alone"] = best(args.rounds, lambda: [canonical_json(p.data) for p in pages])
    fields = [PayloadFields(doc_type=publish.DOC_TYPE_OF[publish.EditionKind.TRANSCRIPT], edition_id=__import__("uuid").uuid4(),
                            page=1, pages=10, issued=TODAY, digest=b"0" * 16) for _ in pages]
    texts = [encode_payload(f, key) for f in fields]
    rows["encode_payload (sign + base45)"] = best(args.rounds, lambda: [encode_payload(f, key) for f in fields])
    symbols = [qr_symbol(t) for t in texts]
    rows["qr_symbol (zxing)"] = best(args.rounds, lambda: [qr_symbol(t) for t in texts])
    rows["rows_svg"] = best(args.rounds, lambda: [rows_svg(s.rows, 0.5) for s in symbols])
    rows["_sign_pages (all of sign_qr)"] = best(args.rounds, lambda: [
        publish._sign_pages(d.document, kind=d.edition_kind, private_key=key, issued=TODAY, copy=False,
                            facts=d.facts, url_base=None) for d in docs])
    signed = [publish._sign_pages(d.document, kind=d.edition_kind, private_key=key, issued=TODAY, copy=False,
                                  facts=d.facts, url_base=None) for d in docs]
    rows["document_json of the signed documents"] = best(args.rounds, lambda: [
        render.document_json(s.document.to_dict()) for s in signed])
    rows["check_glyphs of them"] = best(args.rounds, lambda: [
        render.check_glyphs(render.document_json(s.document.to_dict())) for s in signed])
    rows["document_attachment"] = best(args.rounds, lambda: [document_attachment(s.document) for s in signed])

    groups = _produce_groups(docs)
    by_doc = dict(zip(map(id, docs), signed, strict=True))
    pdfs: list[bytes] = []
    all_texts: list[list[str]] = []

    def compile_all() -> None:
        pdfs.clear()
        all_texts.clear()
        for g in groups:
            sig = [by_doc[id(d)] for d in g]
            if len(g) > 1:
                r = render.render_batch(g[0].template, [s.document for s in sig], pdf_standard=publish.PDF_STANDARD)
                pdfs.extend(r.pdfs)
                all_texts.extend(list(t) for t in r.texts)
            else:
                pdf, t = render.render_document_texts(g[0].template, sig[0].document, pdf_standard=publish.PDF_STANDARD)
                pdfs.append(pdf)
                all_texts.append(t)
            render.trim_cache(0.0)

    rows["compile + split + texts + flush (render step + flush)"] = best(1, compile_all)
    flush = []

    def flushes() -> None:
        for g in groups:
            sig = [by_doc[id(d)] for d in g]
            if len(g) > 1:
                render.render_batch(g[0].template, [s.document for s in sig], pdf_standard=publish.PDF_STANDARD)
            else:
                render.render_document_texts(g[0].template, sig[0].document, pdf_standard=publish.PDF_STANDARD)
            t0 = time.process_time()
            comp = render._compiler()
            for _ in range(render._EVICT_AGE):
                comp.compile(input=render._EMPTY_SOURCE, format="pdf")
            t1 = time.process_time()
            render.release_free_memory()
            flush.append((t1 - t0, time.process_time() - t1))

    flushes()
    rows["  of which: 10 empty compiles of the flushes"] = sum(a for a, _b in flush)
    rows["  of which: malloc_trim of the flushes"] = sum(b for _a, b in flush)
    batch_groups = [g for g in groups if len(g) > 1]
    if batch_groups:
        g = batch_groups[0]
        r = render.render_batch(g[0].template, [by_doc[id(d)].document for d in g], pdf_standard=publish.PDF_STANDARD)
        src = render.render_pdf("transcripts", r.source, pdf_standard=publish.PDF_STANDARD)
        counts = [len(d.document.pages) for d in g]
        rows[f"split_pdf of one batch ({len(g)} books), x{len(batch_groups)}"] = best(args.rounds, lambda: render.split_pdf(
            src, counts, [bytes(16)] * len(g))) * len(batch_groups)
        rows["page_texts of the batch PDFs (pdfium), est."] = best(args.rounds, lambda: page_texts(src)) * len(batch_groups)
    rows["page_texts of the book PDFs (pdfium)"] = best(args.rounds, lambda: [page_texts(p) for p in pdfs])

    def manifest_parts() -> None:
        for d, s, t in zip(docs, signed, all_texts, strict=True):
            for page, text in zip(d.document.pages, t, strict=True):
                tokens = text_tokens(text)
                text_digest(tokens)
                printed_counts(page.data, tokens)

    rows["text_tokens + text_digest + printed_counts"] = best(args.rounds, manifest_parts)

    def finish_all() -> None:
        for d, s, p, t in zip(docs, signed, pdfs, all_texts, strict=True):
            publish._finish(d.document, s, p, t, kind=d.edition_kind, private_key=key, copy=False, pdf_signer=None,
                            signature_reason="", signature_location="", title=None, sign_qr=0.0, render=0.0)

    rows["_finish (text_and_manifest + attach)"] = best(args.rounds, finish_all)
    attached = [document_attachment(s.document) for s in signed]
    rows["attach_and_identify"] = best(args.rounds, lambda: [
        publish.attach_and_identify(p, a, b"{}", title="t", school="s", edition_id=s.edition_id, issued=TODAY)
        for p, a, s in zip(pdfs, attached, signed, strict=True)])
    _ = ProduceRequest
    print(f"{'piece':<58} {'CPU s':>8} {'ms/page':>8} {'ms/book':>8}")
    for name, sec in rows.items():
        print(f"{name:<58} {sec:8.3f} {1000 * sec / n:8.3f} {1000 * sec / len(docs):8.2f}")


if __name__ == "__main__":
    main()
