"""``sodientu demo``: build the demo school (four years, ~600 students) and write its files to ``--out``."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import Engine

from web.cli import db_option

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from layouts.batch import BatchPool, BatchReport
    from records.demo.build import DemoSummary
    from records.models import AuditCheckpoint, Role


#: Passphrase of the demo school's key when SODIENTU_KEY_PASSPHRASE is not set. It is public (it is
#: written here): the demo's key protects demo books only. A real school runs «sodientu keys init».
DEMO_PASSPHRASE = "truong-mau-sodientu"


@dataclass(frozen=True)
class DemoKey:
    """The demo school's signing key: its id, the encrypted private file and the public files."""

    key_id: str
    private_file: Path
    public_file: Path
    trust_file: Path
    passphrase: str


@dataclass
class _Phases:
    """Wall and CPU seconds of each phase of the command (printed at the end)."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = time.perf_counter() - w
            self.cpu[name] = time.process_time() - c


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
@click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Thư mục khóa ký của trường mẫu (mặc định: keys/ cạnh CSDL SQLite, hoặc ./keys).")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="Số tiến trình in song song (mặc định: số lõi CPU; 0: in trong tiến trình này).")
@click.option("--no-print", "no_print", is_flag=True, help="Chỉ dựng dữ liệu, không in sổ.")
@click.option("--quiet", is_flag=True, help="Không hiện thanh tiến trình.")
@db_option(create=True)
def demo_cmd(engine: Engine, students: int, seed: int, out_dir: Path, reset: bool, today: dt.datetime,
             classes_per_grade: int | None, key_dir: Path | None, workers: int | None, no_print: bool,
             quiet: bool) -> None:
    """Dựng trường THCS mẫu (Mộc Châu, Sơn La): bốn năm học, học sinh, điểm, kết quả, lưu vết; in các sổ.

    Sổ được in thành bản in có chữ ký (mã QR ký bằng khóa của trường trên mỗi trang, PDF/A-3b kèm
    dữ liệu) vào --out: sổ theo dõi và đánh giá của mọi lớp năm học hiện tại, học bạ năm học hiện
    tại của mọi học sinh, học bạ toàn cấp của học sinh lớp 9, sổ đăng bộ của mọi khóa; kèm
    manifest.json. Khóa ký của trường mẫu được tạo trong thư mục khóa (mật khẩu: biến môi trường
    SODIENTU_KEY_PASSPHRASE, mặc định «truong-mau-sodientu» — chỉ dùng cho trường mẫu).
    """
    from tqdm import tqdm

    from records.db import session_scope
    from records.demo.build import (
        DemoConfig,
        build_demo,
        planned_steps,
        prepare_database,
        refuse_if_present,
        rollback_journal,
    )
    from records.demo.manifest import ManifestEntry, write_manifest

    phases = _Phases()
    started = time.perf_counter()
    config = DemoConfig(students=students, seed=seed, classes_per_grade=classes_per_grade, today=today.date())
    if not reset:
        prepare_database(engine)
        with session_scope(engine) as session:
            refuse_if_present(session)  # a SodientuError: printed in Vietnamese by the group, exit status 1
    else:
        prepare_database(engine, reset=True)
    pool = None
    if not no_print:
        from layouts.batch import BatchPool

        # the print workers start (import, Compiler, tables) on the other cores while the data is built
        pool = BatchPool(workers)
    try:
        bar = tqdm(total=planned_steps(config), desc="Dựng trường mẫu", unit="bước", file=sys.stderr,
                   disable=quiet, leave=True, dynamic_ncols=True)

        def progress(what: str, n: int) -> None:
            bar.set_postfix_str(what, refresh=False)
            bar.update(n)

        try:
            # a new database written in one transaction: committed once, not through the WAL and its checkpoint
            with phases.timed("data"), rollback_journal(engine), session_scope(engine) as session:
                summary = build_demo(session, config, progress=progress)
        finally:
            bar.close()
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_previous_files(out_dir)
        report = key = checkpoint = None
        if pool is not None:
            with phases.timed("key"):
                key = create_demo_key(engine, summary.school_code, key_dir, config.today)
            with phases.timed("print"):
                report = print_books(engine, out_dir, summary, key, config.today, pool=pool, quiet=quiet)
            with phases.timed("seal"):
                checkpoint = seal_audit(engine, summary.school_code, key)
    finally:
        if pool is not None:
            pool.close()
    entries = [f.manifest_entry() for f in report.files] if report is not None else []
    info = {"generator": "sodientu demo", "seed": seed, "students": students, "today": config.today.isoformat(),
            "school": summary.school_name, "school_code": summary.school_code,
            "school_years": list(summary.school_years)}
    counts = {"students": summary.students, "enrolments": summary.enrolments, "marks": summary.marks,
              "audit_entries": summary.audit_entries, "corrections": summary.corrections}
    if report is not None:
        counts["printed_files"] = len(report.files)
        counts["printed_pages"] = report.pages
    summary_path = out_dir / "demo-summary.json"
    summary_path.write_text(json.dumps({**info, "counts": counts}, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
    entries.append(ManifestEntry.for_file(out_dir, summary_path.name, kind="summary"))
    manifest = write_manifest(out_dir, entries, info=info)
    click.echo(f"Đã dựng {summary.school_name}: {summary.students} học sinh, {summary.enrolments} lượt học "
               f"trong {len(summary.school_years)} năm học ({summary.school_years[0]} … {summary.school_years[-1]}), "
               f"{summary.marks} điểm, {summary.audit_entries} mục lưu vết, {summary.corrections} lần sửa điểm "
               f"có phê duyệt — {summary.timings['total']:.1f} giây.")
    if report is not None and key is not None:
        _echo_printing(report, key, checkpoint)
    click.echo(f"Danh sách tệp: {manifest}")
    _echo_accounts(engine, summary.school_id, config.today)
    total = time.perf_counter() - started
    parts = ", ".join(f"{_PHASE_VI[name]} {phases.wall[name]:.1f}" for name in phases.wall)
    click.echo(f"Thời gian: {parts}; tổng {total:.1f} giây.")
    if report is not None and not report.ok:
        from web.cli import fail

        for message in report.failures[:20]:
            click.secho(f"  {message.error_vi}", fg="red", err=True)
        fail(f"{len(report.failures)} sổ không in được (xem các dòng trên); các sổ khác đã in và có trong "
             f"{manifest.name}.", f"{len(report.failures)} print jobs failed")


def _remove_previous_files(out_dir: Path) -> None:
    """Delete the files a previous demo listed in ``out_dir/manifest.json`` (and nothing else)."""
    from records.demo.manifest import MANIFEST_NAME, read_manifest

    if not (out_dir / MANIFEST_NAME).is_file():
        return
    try:
        entries = read_manifest(out_dir)
    except (ValueError, KeyError, TypeError, OSError):
        return  # not a manifest of ours: leave the folder alone
    root = out_dir.resolve()
    for entry in entries:
        path = (out_dir / entry.path).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()


_PHASE_VI = {"data": "dựng dữ liệu", "key": "tạo khóa", "print": "in sổ", "seal": "niêm phong"}


def create_demo_key(engine: Engine, school_code: str, key_dir: Path | None, today: dt.date) -> DemoKey:
    """The demo school's Ed25519 key: written encrypted in the key folder, registered in the trust list.

    As «sodientu keys init» (docs/SIGNING.md): ``keys/`` next to a SQLite database (else in the
    working folder) unless ``key_dir``; the passphrase from SODIENTU_KEY_PASSPHRASE, else the demo's
    public default; ``trust.json`` and the public key (PEM, for «sodientu audit verify
    --public-key») written beside it. Valid from the demo's «today».
    """
    from sqlalchemy import select

    from records.db import session_scope
    from records.models import KeyKind, School
    from records.permissions import Actor
    from records.services import editions as es
    from signing.keyfiles import (
        PASSPHRASE_ENV,
        TRUST_NAME,
        default_key_dir,
        ensure_key_dir,
        private_key_path,
        replace_file,
        write_private_file,
    )
    from signing.keys import generate_private_key, key_id, private_key_to_pem, public_key_pem
    from signing.trust import trust_rows_to_json

    passphrase = os.environ.get(PASSPHRASE_ENV) or DEMO_PASSPHRASE
    folder = ensure_key_dir(key_dir or default_key_dir(engine.url.render_as_string(hide_password=False)))
    key = generate_private_key()
    kid = key_id(key)
    private_file = private_key_path(folder, kid)
    write_private_file(private_file, private_key_to_pem(key, passphrase))
    public_file = folder / f"{kid}.pub.pem"
    public_file.write_text(public_key_pem(key), encoding="ascii")
    with session_scope(engine) as session:
        school = session.scalars(select(School).where(School.code == school_code)).one()
        es.register_key(session, Actor.system("khóa ký của trường mẫu"), key_id=kid, kind=KeyKind.ED25519,
                        public_pem=public_key_pem(key), school_id=school.id,
                        label=f"Khóa ký mã QR — {school.name} (trường mẫu)", valid_from=today)
        trust_file = folder / TRUST_NAME
        replace_file(trust_file, trust_rows_to_json(es.list_keys(session), school.code))
    return DemoKey(kid, private_file, public_file, trust_file, passphrase)


def demo_accounts(session: Session, school_id: int) -> list[tuple[Role, str, str]]:
    """One account to try per role (role, login, full name): teachers of the latest year's classes."""
    from sqlalchemy import select

    from records.models import Class, Grade, Role, RoleGrant, School, SchoolYear, TeachingAssignment, User

    school = session.get(School, school_id)
    assert school is not None
    latest = session.scalar(select(SchoolYear.id).where(SchoolYear.school_id == school_id)
                            .order_by(SchoolYear.start_year.desc()).limit(1))
    current_classes = select(Class.id).join(Grade, Grade.id == Class.grade_id).where(Grade.school_year_id == latest)
    preferred = {
        Role.HOMEROOM_TEACHER: select(Class.homeroom_teacher_id).where(Class.id.in_(current_classes)),
        Role.SUBJECT_TEACHER: select(TeachingAssignment.teacher_id).where(
            TeachingAssignment.class_id.in_(current_classes)),
    }
    out = []
    for role in Role:
        scope = (RoleGrant.district == school.district) if role is Role.INSPECTOR else (RoleGrant.school_id == school_id)
        query = (select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                 .where(RoleGrant.role == role, scope, RoleGrant.revoked_at.is_(None), User.active.is_(True)))
        if role in preferred:
            query = query.where(User.id.in_(preferred[role]))
        candidates = list(session.scalars(query.order_by(User.id).limit(50)))
        shown = {login for _, login, _ in out}
        user = next((u for u in candidates if u.username not in shown), candidates[0] if candidates else None)
        if user is not None:  # one person per role where the school has enough, so each home page shows
            out.append((role, user.username, user.full_name))
    return out


def _echo_accounts(engine: Engine, school_id: int, today: dt.date) -> None:
    from records.db import session_scope
    from records.demo.build import DEMO_PASSWORD

    url = engine.url.render_as_string(hide_password=False)
    with session_scope(engine) as session:
        rows = demo_accounts(session, school_id)
    click.echo("")
    # The demo school lives on its own «today»: the web application runs on that day (SODIENTU_TODAY), so the
    # current term, the cut-off and the locks are the demo's, not the calendar's.
    click.echo(f"Chạy ứng dụng web (theo ngày của trường mẫu, {today:%d/%m/%Y}):  "
               f"SODIENTU_TODAY={today.isoformat()} sodientu serve --db {url}")
    click.echo("rồi mở http://127.0.0.1:8000/dang-nhap — mọi tài khoản mẫu có mật khẩu: " + DEMO_PASSWORD)
    width = max(len(role.label_vi) for role, _, _ in rows)
    for role, login, name in rows:
        click.echo(f"  {role.label_vi:<{width}}  {login:<14} ({name})")
    if today.month in (6, 7):
        click.echo("Ngày của trường mẫu đã qua hạn chốt điểm (31/5): sổ để xem, kiểm tra, khóa và in. Muốn thử nhập "
                   "điểm giữa năm: sodientu demo --reset --today 2026-03-10 --no-print, rồi "
                   "SODIENTU_TODAY=2026-03-10 sodientu serve.")


def _user_with_role(session: Session, school_id: int, role: Role) -> str:
    """The login of the first active user holding ``role`` in the school."""
    from sqlalchemy import select

    from records.models import RoleGrant, User

    name = session.scalars(select(User.username).join(RoleGrant, RoleGrant.user_id == User.id)
                           .where(RoleGrant.role == role, RoleGrant.school_id == school_id,
                                  RoleGrant.revoked_at.is_(None), User.active.is_(True))
                           .order_by(User.id)).first()
    if name is None:
        from records.errors import NotFoundError

        raise NotFoundError(f"Trường mẫu không có người giữ vai trò {role.value}.", f"no {role.value} user")
    return str(name)


def print_books(engine: Engine, out_dir: Path, summary: DemoSummary, key: DemoKey, today: dt.date, *,
                pool: BatchPool | None = None, quiet: bool = True, workers: int | None = None) -> BatchReport:
    """Print the demo's books of the current year into ``out_dir`` (``layouts.batch``), as the office.

    Every class's mark book (part "all"), every student's transcript of the year, the bound volume
    of every grade-9 student and the register of every course; each a published, recorded edition.
    """
    from sqlalchemy import select

    from layouts.batch import BatchConfig
    from layouts.printrun import print_run, school_year_jobs
    from records.db import session_scope
    from records.models import Role, School
    from web.commands.print_books import PrintProgress

    with session_scope(engine) as session:
        school_id = session.scalars(select(School.id).where(School.code == summary.school_code)).one()
        office = _user_with_role(session, school_id, Role.OFFICE)
        _code, _start, jobs = school_year_jobs(session, summary.school_code, summary.school_years[-1])
    config = BatchConfig(db_url=engine.url.render_as_string(hide_password=False), out_dir=str(out_dir),
                         key_file=str(key.private_file), passphrase=key.passphrase, username=office,
                         issued_on=today, workers=workers if pool is None else pool.workers)
    bar = PrintProgress(jobs, quiet)
    try:
        # the same path as «sodientu print school»; a new demo database: every book is printed anew, and never
        # resumed (a demo is rebuilt from scratch), so no journal is written (it was deleted right after)
        run = print_run(config, jobs, pool=pool, progress=bar.update, reprint=True, journal=False)
    finally:
        bar.close()
    if run.interrupted or run.batch is None:
        raise KeyboardInterrupt
    import shutil

    from layouts.printrun import JOURNAL_DIR

    shutil.rmtree(out_dir / JOURNAL_DIR, ignore_errors=True)  # a demo is never resumed: rebuilt from scratch
    return run.batch


def seal_audit(engine: Engine, school_code: str, key: DemoKey) -> AuditCheckpoint | None:
    """Seal the school's audit chain with a checkpoint signed by the school key (as its administrator)."""
    from sqlalchemy import select

    from records import audit
    from records.db import session_scope
    from records.models import Role, School
    from records.permissions import Actor
    from signing.keys import load_private_key

    private = load_private_key(key.private_file, key.passphrase)
    with session_scope(engine) as session:
        school_id = session.scalars(select(School.id).where(School.code == school_code)).one()
        actor = Actor.by_username(session, _user_with_role(session, school_id, Role.ADMINISTRATOR))
        return audit.seal(session, actor, lambda payload: (key.key_id, private.sign(payload)), school_id=school_id)


_KIND_VI = {"markbook": "sổ theo dõi và đánh giá", "transcript": "học bạ năm học",
            "transcript_volume": "học bạ toàn cấp", "register": "sổ đăng bộ"}


def _echo_printing(report: BatchReport, key: DemoKey, checkpoint: AuditCheckpoint | None) -> None:
    counts = ", ".join(f"{n} {_KIND_VI.get(kind, kind)}" for kind, (n, _p, _s) in report.medians().items())
    click.echo(f"Đã in {len(report.files)} tệp PDF có ký ({report.pages} trang): {counts} — "
               f"{report.wall:.1f} giây với {report.workers} tiến trình (CPU {report.worker_cpu:.1f} giây, "
               f"bộ nhớ tối đa mỗi tiến trình {report.worker_peak_rss_mb:.0f} MB).")
    click.echo(f"Khóa ký của trường mẫu {key.key_id}: {key.private_file} (đã mã hóa); danh sách khóa công khai "
               f"{key.trust_file}.")
    if checkpoint is not None:
        click.echo(f"Đã niêm phong nhật kí lưu vết đến mục {checkpoint.seq}; kiểm tra: sodientu audit verify "
                   f"--public-key {key.public_file}")


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
