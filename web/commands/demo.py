"""``sodientu demo``: build the demo school (four years, ~600 students) and write its files to ``--out``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import Engine

from web.cli import db_option

if TYPE_CHECKING:
    from records.demo.build import DemoSummary
    from records.demo.manifest import ManifestEntry


@click.command("demo")
@click.option("--students", type=click.IntRange(8, 5000), default=600, show_default=True,
              help="Số học sinh của năm học hiện tại (khoảng).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Hạt giống: cùng hạt giống, cùng dữ liệu.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Thư mục ghi các tệp và manifest.json.")
@click.option("--reset", is_flag=True, help="Xóa toàn bộ cơ sở dữ liệu rồi tạo lại trường mẫu.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default="2026-06-15", show_default=True,
              help="Ngày «hôm nay» của trường mẫu: dữ liệu được tạo đến ngày này.")
@click.option("--classes-per-grade", type=click.IntRange(1, 8), default=None,
              help="Số lớp mỗi khối (mặc định theo số học sinh, tối đa 4).")
@click.option("--quiet", is_flag=True, help="Không hiện thanh tiến trình.")
@db_option
def demo_cmd(engine: Engine, students: int, seed: int, out_dir: Path, reset: bool, today: dt.datetime,
             classes_per_grade: int | None, quiet: bool) -> None:
    """Dựng trường THCS mẫu (Mộc Châu, Sơn La): bốn năm học, học sinh, điểm, kết quả, lưu vết."""
    from tqdm import tqdm

    from records.db import session_scope
    from records.demo.build import DemoConfig, build_demo, planned_steps, prepare_database, refuse_if_present
    from records.demo.manifest import ManifestEntry, write_manifest

    config = DemoConfig(students=students, seed=seed, classes_per_grade=classes_per_grade, today=today.date())
    if not reset:
        prepare_database(engine)
        with session_scope(engine) as session:
            refuse_if_present(session)  # a SodientuError: printed in Vietnamese by the group, exit status 1
    else:
        prepare_database(engine, reset=True)
    bar = tqdm(total=planned_steps(config), desc="Dựng trường mẫu", unit="bước", file=sys.stderr,
               disable=quiet, leave=True, dynamic_ncols=True)

    def progress(what: str, n: int) -> None:
        bar.set_postfix_str(what, refresh=False)
        bar.update(n)

    try:
        with session_scope(engine) as session:
            summary = build_demo(session, config, progress=progress)
    finally:
        bar.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = print_books(engine, out_dir, summary)
    info = {"generator": "sodientu demo", "seed": seed, "students": students, "today": config.today.isoformat(),
            "school": summary.school_name, "school_code": summary.school_code,
            "school_years": list(summary.school_years)}
    summary_path = out_dir / "demo-summary.json"
    summary_path.write_text(json.dumps({**info, "counts": {
        "students": summary.students, "enrolments": summary.enrolments, "marks": summary.marks,
        "audit_entries": summary.audit_entries, "corrections": summary.corrections}}, ensure_ascii=False,
        indent=2) + "\n", encoding="utf-8")
    entries.append(ManifestEntry.for_file(out_dir, summary_path, kind="summary"))
    manifest = write_manifest(out_dir, entries, info=info)
    click.echo(f"Đã dựng {summary.school_name}: {summary.students} học sinh, {summary.enrolments} lượt học "
               f"trong {len(summary.school_years)} năm học ({summary.school_years[0]} … {summary.school_years[-1]}), "
               f"{summary.marks} điểm, {summary.audit_entries} mục lưu vết, {summary.corrections} lần sửa điểm "
               f"có phê duyệt — {summary.timings['total']:.1f} giây.")
    click.echo(f"Danh sách tệp: {manifest}")


def print_books(engine: Engine, out_dir: Path, summary: DemoSummary) -> list[ManifestEntry]:
    """Print the demo's books into ``out_dir`` and return their manifest entries.

    The printing of the books (mark books, transcripts, registers) is wired in here by the layouts:
    write each file under ``out_dir`` and describe it with ``ManifestEntry.for_file(out_dir, path,
    kind=…, school_year=…, class_name=…, student_code=…, pages=…)``; ``demo_cmd`` adds the summary and
    writes ``manifest.json``.
    """
    return []


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
