"""The door to Typst: fonts only from the project, warnings about fonts are errors, glyph coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layouts import render
from layouts.errors import RenderError
from records.errors import SodientuError


def test_font_metrics_file_is_current() -> None:
    assert json.loads(render.METRICS_FILE.read_text("utf-8")) == json.loads(
        json.dumps(render.font_metrics(), ensure_ascii=False)
    ), "run layouts.render.write_font_metrics() after changing layouts/fonts"


def test_vietnamese_letters_are_covered_by_every_style() -> None:
    letters = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵđ"
    assert render.missing_glyphs(letters + letters.upper() + "—…“”’ 0123456789,./%′") == []


def test_missing_glyph_is_an_error() -> None:
    doc = {"schema_version": 1, "book": {}, "pages": [], "x": "Nguyễn 中"}
    with pytest.raises(RenderError) as exc:
        render.render_pdf("markbook", doc)
    assert isinstance(exc.value, SodientuError)
    assert "U+4E2D" in exc.value.message_en and "phông chữ" in exc.value.message_vi


def test_unknown_font_warning_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.typ").write_text('#set text(font: "Times New Roman")\nXin chào', "utf-8")
    with pytest.raises(RenderError) as exc:
        render.compile_template(tmp_path / "bad.typ", "{}", root=tmp_path)
    assert "times new roman" in exc.value.message_en.lower()


def test_compile_error_is_our_error(tmp_path: Path) -> None:
    (tmp_path / "broken.typ").write_text("#let x = (", "utf-8")
    with pytest.raises(RenderError):
        render.compile_template(tmp_path / "broken.typ", "{}", root=tmp_path)


def test_only_vendored_fonts_are_embedded(tmp_path: Path) -> None:
    import io

    import pikepdf

    (tmp_path / "t.typ").write_text(
        '#set text(font: "Liberation Serif", lang: "vi")\nTrường *Ước* _ữ_ #raw("ễ")', "utf-8"
    )
    pdf = render.compile_template(tmp_path / "t.typ", "{}", root=tmp_path)
    names = set()
    with pikepdf.open(io.BytesIO(pdf)) as p:
        for page in p.pages:
            for font in page.Resources.Font.values():
                names.add(str(font.BaseFont).split("+")[-1])
    assert names and all(n.startswith("Liberation") for n in names), names


def test_identical_input_gives_identical_bytes(tmp_path: Path) -> None:
    (tmp_path / "t.typ").write_text('#set text(font: "Liberation Serif")\n#json(bytes(sys.inputs.doc)).a', "utf-8")
    a = render.compile_template(tmp_path / "t.typ", '{"a": "Hằng"}', root=tmp_path)
    b = render.compile_template(tmp_path / "t.typ", '{"a": "Hằng"}', root=tmp_path)
    assert a == b


def test_unknown_template() -> None:
    with pytest.raises(RenderError):
        render.render_pdf("../../etc/passwd", {})
