"""``sodientu print transcript|register`` end to end on a SQLite file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from records.db import make_engine
from records.models import Base
from tests.factories import enrol, make_class, make_school, make_student, make_year
from web.cli import cli


def test_print_transcript_and_register(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        school = make_school(session, name="Trường THCS Tô Hiệu")
        klass = make_class(session, make_year(session, school, 2022), 6, "6A1")
        student = make_student(session, school, course="2022-2026", register_number="1/THCS")
        enrol(session, student, klass)
        code = student.code
        session.commit()
    engine.dispose()
    runner = CliRunner()
    out = tmp_path / "hb.pdf"
    result = runner.invoke(cli, ["print", "transcript", "--student", code, "--volume", "--duplex", "--copy",
                                 "-o", str(out), "--db", url])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    result = runner.invoke(cli, ["print", "register", "--course", "2022-2026", "-o", str(tmp_path / "sdb.pdf"),
                                 "--db", url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["print", "transcript", "--student", "KHONG-CO", "-o", str(out), "--db", url])
    assert result.exit_code == 1 and "Không tìm thấy học sinh" in result.output
