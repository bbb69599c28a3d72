"""The Typst floor, template against template: the same dumped documents compiled with two template folders.

    .venv/bin/python bench/bench_print.py --db sqlite:////tmp/demo600.sqlite --runs 1 --keep-dump /tmp/docs
    cp -r layouts/templates /tmp/templates-before        # before changing the templates
    .venv/bin/python bench/bench_floor.py /tmp/docs --before /tmp/templates-before [--sample 40] [--rounds 3]
                                          [--compare-only] [--extra DIR] [--kinds transcripts ...]
                                          [--after DIR] [--qr-png]
    .venv/bin/python bench/bench_floor.py /tmp/docs --before /tmp/templates-before --measuring [--kinds measure-transcript]

For each document kind (mark book, register, year transcript, bound volume; other templates found in
``--extra``, e.g. correction forms) a sample of the final documents (not the measuring passes) is
compiled as ``layouts.render`` compiles it — one reused ``typst.Compiler``, PDF/A-3b, pinned
timestamp — alternately with the templates of ``--before`` and with ``layouts/templates``, in one
process, so that both see the same load (the machine is shared: CPU seconds of the same run, and
their ratio, are the figures). Then every page of every sampled document is rendered from both PDFs
(pypdfium2, 100 dpi, grey) and compared pixel by pixel: the templates may get cheaper, the printed
pages must not change. ``--measuring``: the measuring passes' documents instead, queried as
``layouts.render.query_document`` queries them, their ``<measure>`` reports compared to the last bit.
``--after DIR``: another templates folder than this tree's. ``--qr-png``: the after side compiles the
documents with their QR SVGs replaced by PNGs of the same modules (``qr_as_png``), so ``--before X
--after X --qr-png`` with templates that draw such a PNG measures the QR's form alone (an experiment,
not kept: bench/README.md, branch `leaders`).

``--cache`` runs the cache experiment instead: the sample in one sequence (transcripts with a big
book every 20), with the flush policy of ``layouts.render.trim_cache`` at several limits, printing
CPU seconds (flushes included), flushes, peak resident memory and what a one-page compile costs
before and after.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layouts import render
from layouts.publish import PDF_STANDARD


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def kind_of(path: Path) -> str:
    """Template name, a transcript split into the year's (≤ 4 pages) and a bound volume."""
    template = path.name.split(".")[0]
    if template == "transcript":
        pages = len(json.loads(path.read_text("utf-8"))["pages"])
        return "transcript (year)" if pages <= 4 else "transcript volume"
    return template


def sample(folders: list[Path], per_kind: int, seed: int = 7, measuring: bool = False,
           kinds: list[str] | None = None) -> dict[str, list[Path]]:
    """Up to ``per_kind`` final documents of each kind (``measuring``: the measuring passes' documents
    instead, kind ``measure-<template>``); ``kinds``: only the kinds starting with one of these."""
    by_kind: dict[str, list[Path]] = defaultdict(list)
    for folder in folders:
        for p in sorted(folder.glob("*.json")):
            if p.name.startswith("measure-") == measuring:
                kind = p.name.split(".")[0] if measuring else kind_of(p)
                if not kinds or any(kind.startswith(k) for k in kinds):
                    by_kind[kind].append(p)
    rng = random.Random(seed)
    return {k: rng.sample(v, min(per_kind, len(v))) for k, v in sorted(by_kind.items())}


def svg_modules(svg: str) -> list[bytes]:
    """The module rows (1 = dark, quiet zone included) of a QR SVG written by ``signing.qr.rows_svg``."""
    import re

    size = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))  # type: ignore[union-attr]
    scale = re.search(r"scale\(([0-9.]+)\)", svg)
    n = round(size / (float(scale.group(1)) if scale else 1.0))
    grid = [bytearray(n) for _ in range(n)]
    x = y = 0.0
    for cmd, dx, dy, length in re.findall(r"([Mm])(-?[0-9.]+) (-?[0-9.]+)h([0-9]+)", re.search(r' d="([^"]*)"', svg).group(1)):  # type: ignore[union-attr]
        x, y = (float(dx), float(dy)) if cmd == "M" else (x + float(dx), y + float(dy))
        grid[int(y)][int(x):int(x) + int(length)] = b"\x01" * int(length)
        x += int(length)
    return [bytes(r) for r in grid]


def modules_png(rows: list[bytes]) -> bytes:
    """Module rows (1 = dark, quiet zone included) as a 1-bit greyscale PNG, one pixel a module."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    n = len(rows)
    raw = b"".join(b"\x00" + int("".join("0" if v else "1" for v in r) + "0" * (-n % 8), 2).to_bytes((n + 7) // 8, "big")
                   for r in rows)  # filter byte 0, then the row's bits (PNG: 0 black, 1 white)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def qr_as_png(text: str) -> str:
    """A dumped document (or batch) with every page's QR SVG replaced by a PNG of the same modules as a JSON
    array of integers: the QR-as-raster experiment (bench/README.md, branch `leaders`; the templates of that
    experiment draw an array with ``image(bytes(q), format: "png", width: qr_mm, scaling: "pixelated")``)."""
    doc = json.loads(text)
    for book in doc.get("docs", [doc]):
        for page in book["pages"]:
            if isinstance(page.get("qr"), str) and page["qr"]:
                page["qr"] = list(modules_png(svg_modules(page["qr"])))
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def is_measuring(template: str) -> bool:
    return template.startswith("measure-")


def query_with(root: Path, template: str, text: str) -> list:
    """The measuring pass as ``layouts.render.query_document`` runs it (a new Compiler), templates from ``root``."""
    import typst

    comp = typst.Compiler(input=str(root / f"{template}.typ"), root=str(root), font_paths=render._fonts(),
                          ignore_system_fonts=True, sys_inputs={"doc": text})
    return list(json.loads(comp.query("<measure>", field="value")))


def run_with(root: Path, template: str, text: str) -> bytes | list:
    """A final document compiled to PDF, or a measuring document (``measure-<template>``) queried."""
    if is_measuring(template):
        return query_with(root, template.removeprefix("measure-"), text)
    return compile_with(root, template, text)


def compile_with(root: Path, template: str, text: str) -> bytes:
    """Compile as ``layouts.render.compile_template`` does (bare: no glyph check), templates from ``root``."""
    return render._compiler().compile(  # type: ignore[return-value]
        input=str(root / f"{template}.typ"), format="pdf", sys_inputs={"doc": text}, pdf_standards=[PDF_STANDARD],
        timestamp=render.FIXED_TIMESTAMP, pdf_tags=False, root=str(root))


def compare(docs: dict[str, list[Path]], before: Path, after: Path, dpi: float = 100,
            qr_png: bool = False) -> dict[str, tuple[int, int, int]]:
    """Per kind: (documents, pages, pages whose renders differ in any pixel); for measuring documents
    (reports, 0, documents whose ``<measure>`` reports differ in any value)."""
    from PIL import ImageChops

    out = {}
    for kind, paths in docs.items():
        pages = differ = 0
        for p in paths:
            template, text = p.name.split(".")[0], p.read_text("utf-8")
            if is_measuring(template):  # the reports, to the last bit: the page plans follow from them
                ra, rb = query_with(before, template[8:], text), query_with(after, template[8:], text)
                pages += len(ra)
                if ra != rb:
                    differ += 1
                    print(f"  {p.name}: measuring reports differ")
                continue
            a = render.render_page_images(compile_with(before, template, text), dpi=dpi)
            b = render.render_page_images(compile_with(after, template, qr_as_png(text) if qr_png else text), dpi=dpi)
            if len(a) != len(b):
                differ += max(len(a), len(b))
                print(f"  {p.name}: {len(a)} pages before, {len(b)} after")
                continue
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                pages += 1
                box = ImageChops.difference(x, y).getbbox()
                if box is not None:
                    differ += 1
                    print(f"  {p.name} page {i + 1}: differs in {box}")
        out[kind] = (len(paths), pages, differ)
    return out


def flush() -> None:
    """Empty Typst's cache: one empty compile more than ``trim_cache`` does (a query does not age the cache,
    and ten evictions keep what the last query or compile memoised)."""
    for _ in range(11):
        render._compiler().compile(input=render._EMPTY_SOURCE, format="pdf")


def timing(docs: dict[str, list[Path]], before: Path, after: Path, rounds: int,
           qr_png: bool = False) -> dict[str, list[tuple[float, float]]]:
    """Per kind and round: (CPU s before, CPU s after), documents compiled alternately (``qr_png``: the after
    side's documents with their QR codes as PNGs, ``qr_as_png``, converted before timing)."""
    texts = {k: [(p.name.split(".")[0], p.read_text("utf-8")) for p in ps] for k, ps in docs.items()}
    after_texts = {k: [(t, qr_as_png(x) if qr_png else x) for t, x in items] for k, items in texts.items()}
    for k, items in texts.items():  # warm: fonts, templates parsed
        run_with(before, *items[0])
        run_with(after, *after_texts[k][0])
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in range(rounds):
        for kind, items in texts.items():
            spent = {"before": 0.0, "after": 0.0}
            # one variant's block, then the other's (alternating), Typst's cache emptied before each:
            # the same document compiled again within 10 compiles reuses the memoised layouts even
            # with other template files (measured: the second compile ~0.3x the first)
            for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                root, todo = (before, items) if side == "before" else (after, after_texts[kind])
                flush()
                t0 = _cpu()
                for template, text in todo:
                    run_with(root, template, text)
                spent[side] += _cpu() - t0
            out[kind].append((spent["before"], spent["after"]))
    return out


def cache_experiment(docs: dict[str, list[Path]], limits: list[float], growths: list[float]) -> None:
    """The flush policy of ``trim_cache`` at several limits, each in a fresh process (spawned)."""
    import multiprocessing

    seq: list[str] = []
    big = [str(p) for k, ps in docs.items() if k in ("markbook", "register") for p in ps]
    small = [str(p) for k, ps in docs.items() if k.startswith("transcript") for p in ps]
    for i, p in enumerate(small):
        seq.append(p)
        if i % 20 == 10 and big:
            seq.append(big.pop())
    ctx = multiprocessing.get_context("spawn")
    for limit in limits:
        for growth in growths:
            with ctx.Pool(1) as pool:
                print(pool.apply(_cache_run, (seq, limit, growth)))


def _cache_run(seq: list[str], limit: float, growth: float) -> str:
    def one_page() -> float:
        doc = json.loads(Path(seq[0]).read_text("utf-8"))
        doc["pages"] = doc["pages"][:1]
        text = json.dumps(doc, ensure_ascii=False)
        t0 = _cpu()
        for _ in range(5):
            compile_with(render.TEMPLATES_DIR, "transcript", text)
        return (_cpu() - t0) / 5 * 1000

    fresh = one_page()
    peak, flushes, flush_cpu, t0 = 0.0, 0, 0.0, _cpu()
    for p in seq:
        compile_with(render.TEMPLATES_DIR, Path(p).name.split(".")[0], Path(p).read_text("utf-8"))
        peak = max(peak, render.process_rss_mb() or 0.0)
        t1 = _cpu()
        if render.trim_cache(limit, growth):
            flushes += 1
            flush_cpu += _cpu() - t1
    total = _cpu() - t0
    return (f"limit {limit:6.0f} MB, growth {growth:3.0f} MB: {len(seq)} documents {total:6.2f} CPU s (flushes {flushes}, {flush_cpu:5.2f} CPU s), "
            f"peak RSS {peak:4.0f} MB; a one-page transcript {fresh:5.1f} ms fresh, {one_page():5.1f} ms at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, help="documents dumped by bench_print.py --keep-dump")
    parser.add_argument("--before", type=Path, required=True, help="a copy of the templates folder to compare with")
    parser.add_argument("--after", type=Path, default=None,
                        help="the templates folder to compare (default: layouts/templates of this tree)")
    parser.add_argument("--qr-png", action="store_true",
                        help="the after side's documents with their QR SVGs as PNGs (qr_as_png; experiment)")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="more documents (<template>.*.json)")
    parser.add_argument("--sample", type=int, default=40, help="documents per kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare-only", action="store_true")
    parser.add_argument("--measuring", action="store_true",
                        help="the measuring passes' documents (queried; their reports compared) instead of the final ones")
    parser.add_argument("--kinds", nargs="*", default=None, help="only these kinds (prefixes: transcript, markbook, ...)")
    parser.add_argument("--cache", type=float, nargs="*", default=None, help="cache experiment at these limits (MB)")
    parser.add_argument("--growth", type=float, nargs="*", default=[0.0], help="... and these growths (MB)")
    args = parser.parse_args()
    after = args.after or render.TEMPLATES_DIR
    docs = sample([args.dump, *args.extra], args.sample, measuring=args.measuring, kinds=args.kinds)
    if args.cache is not None:
        cache_experiment(docs, args.cache or [1e9, 350.0], args.growth)
        return
    diff = compare(docs, args.before, after, qr_png=args.qr_png)
    for kind, (n, pages, differ) in diff.items():
        print(f"compare {kind:<20} {n:4d} documents {pages:5d} pages, {differ} differing")
    if args.compare_only:
        return
    for kind, rounds in timing(docs, args.before, after, args.rounds, qr_png=args.qr_png).items():
        n = len(docs[kind])
        b = sorted(x for x, _ in rounds)[len(rounds) // 2]
        a = sorted(y for _, y in rounds)[len(rounds) // 2]
        ratios = ", ".join(f"{y / x:.3f}" for x, y in rounds)
        print(f"floor {kind:<20} {n:4d} documents: before {1000 * b / n:7.1f} ms, after {1000 * a / n:7.1f} ms each "
              f"(median of {len(rounds)}); after/before per round {ratios}")


if __name__ == "__main__":
    main()
