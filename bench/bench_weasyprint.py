"""The mark book by Typst (ours) and by WeasyPrint (the usual Python route), same content, same run.

Usage: .venv/bin/pip install -e '.[bench]'
       .venv/bin/python bench/bench_weasyprint.py --db sqlite:///demo.sqlite [--runs 3] [--class 9A1]

Builds one class's mark book document from a demo database (``layouts.markbook.build_markbook``, a
draft: no codes) and renders it (a) with our Typst template and (b) as HTML tables (one section per
page: title, the page's table with every row, legend, signatures; A4 landscape, Liberation Serif from
``layouts/fonts``) with WeasyPrint. Each measurement runs in a fresh process (no warm caches: Typst
memoises within a process), CPU seconds of that process; medians of ``--runs`` and the ratio
WeasyPrint / Typst measured in the same run. Benchmark only: WeasyPrint is not a dependency.
"""

from __future__ import annotations

import argparse
import html
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layouts.render import FONTS_DIR


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cell(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("text", value.get("v", " ".join(str(v) for v in value.values())))
    if isinstance(value, list):
        value = " ".join(str(_cell(v)) for v in value)
    return html.escape("" if value is None else str(value))


def book_html(document: dict) -> str:
    """The mark book's pages as HTML: each page's title, table (all its rows), legend and signatures."""
    fonts = "".join(
        f"@font-face {{ font-family: 'Liberation Serif'; src: url('{(FONTS_DIR / f).as_uri()}'); "
        f"font-weight: {w}; font-style: {s}; }}"
        for f, w, s in (("LiberationSerif-Regular.ttf", 400, "normal"), ("LiberationSerif-Bold.ttf", 700, "normal"),
                        ("LiberationSerif-Italic.ttf", 400, "italic")))
    css = (fonts + "@page { size: A4 landscape; margin: 12mm; } body { font-family: 'Liberation Serif'; "
           "font-size: 8pt; } section { page-break-after: always; } table { border-collapse: collapse; "
           "width: 100%; } td, th { border: 0.4pt solid #000; padding: 0.6mm 1mm; } h1 { font-size: 12pt; "
           "text-align: center; } .sig { display: flex; justify-content: space-around; margin-top: 6mm; }")
    parts = [f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><style>{css}</style></head><body>"]
    for page in document["pages"]:
        d = page["data"]
        parts.append("<section>")
        parts.append(f"<h1>{_cell(d.get('title', page['kind']))}</h1>")
        for key in ("subtitle", "subject", "term", "teachers"):
            if d.get(key):
                parts.append(f"<p>{_cell(d[key])}</p>")
        rows = d.get("rows") or []
        if rows:
            columns = d.get("columns") or []
            parts.append("<table><thead><tr>" + "".join(f"<th>{_cell(c)}</th>" for c in columns) + "</tr></thead><tbody>")
            for row in rows:
                cells = row if isinstance(row, list) else list(row.values()) if isinstance(row, dict) else [row]
                parts.append("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in cells) + "</tr>")
            parts.append("</tbody></table>")
        for table in d.get("tables") or []:
            parts.append(f"<p>{_cell(table)}</p>")
        if d.get("legend"):
            parts.append(f"<p><i>{_cell(d['legend'])}</i></p>")
        sigs = d.get("signatures") or []
        if sigs:
            parts.append("<div class='sig'>" + "".join(f"<div>{_cell(s)}</div>" for s in sigs) + "</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


def _child(engine: str, path: str) -> None:
    """In a fresh process: render once, print CPU seconds and pages."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if engine == "typst":
        from layouts.render import page_count, render_document

        c0 = _cpu()
        pdf = render_document("markbook", document)
    else:
        import weasyprint

        page_html = book_html(document)
        c0 = _cpu()
        pdf = weasyprint.HTML(string=page_html).write_pdf()
        from layouts.render import page_count
    print(json.dumps({"cpu": _cpu() - c0, "pages": page_count(pdf)}))


def build_document(db: str, class_name: str | None) -> tuple[str, dict]:
    from sqlalchemy import select

    from layouts.markbook import PrintOptions, build_markbook
    from records.books.markbook import read_markbook
    from records.db import make_engine, session_scope
    from records.models import Class, Grade, SchoolYear
    from records.permissions import Actor

    engine = make_engine(db)
    with session_scope(engine) as session:
        query = (select(Class.id, Class.name).join(Grade, Grade.id == Class.grade_id)
                 .join(SchoolYear, SchoolYear.id == Grade.school_year_id)
                 .order_by(SchoolYear.start_year.desc(), Grade.level.desc(), Class.name))
        if class_name:
            query = query.where(Class.name == class_name)
        class_id, name = session.execute(query.limit(1)).one()
        document = build_markbook(read_markbook(session, Actor.system("bench"), class_id), PrintOptions(paper="a4"))
    engine.dispose()
    return name, document.as_draft().to_dict()


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a demo database (SQLite URL)")
    parser.add_argument("--class", dest="class_name", default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    name, document = build_document(args.db, args.class_name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.json"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        results: dict[str, list[dict]] = {"typst": [], "weasyprint": []}
        for _ in range(args.runs):
            for engine, measured in results.items():
                out = subprocess.run([sys.executable, __file__, "--child", engine, str(path)], capture_output=True,
                                     text=True, check=True)
                measured.append(json.loads(out.stdout.strip().splitlines()[-1]))
    typst_cpu = [r["cpu"] for r in results["typst"]]
    weasy_cpu = [r["cpu"] for r in results["weasyprint"]]
    print(f"mark book of {name}: {len(document['pages'])} pages in the document")
    print(f"typst      CPU s median {statistics.median(typst_cpu):7.2f} ({', '.join(f'{c:.2f}' for c in typst_cpu)}), "
          f"{results['typst'][-1]['pages']} pages")
    print(f"weasyprint CPU s median {statistics.median(weasy_cpu):7.2f} ({', '.join(f'{c:.2f}' for c in weasy_cpu)}), "
          f"{results['weasyprint'][-1]['pages']} pages")
    ratios = [w / t for w, t in zip(weasy_cpu, typst_cpu, strict=True)]
    print(f"ratio weasyprint / typst median {statistics.median(ratios):.1f}x ({', '.join(f'{r:.1f}' for r in ratios)})")


if __name__ == "__main__":
    main()
