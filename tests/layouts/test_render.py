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


def test_trimming_the_cache_keeps_rendering_identical(tmp_path: Path) -> None:
    (tmp_path / "t.typ").write_text('#set text(font: "Liberation Serif")\n#json(bytes(sys.inputs.doc)).a', "utf-8")
    before = render.compile_template(tmp_path / "t.typ", '{"a": "Hằng"}', root=tmp_path)
    assert render.trim_cache(limit_mb=1e9) is False  # below the limit: nothing to do
    if render.process_rss_mb() is None:
        pytest.skip("no /proc: the resident memory is unknown")
    assert render.trim_cache(limit_mb=0) is True
    assert render.compile_template(tmp_path / "t.typ", '{"a": "Hằng"}', root=tmp_path) == before


def test_a_growth_margin_skips_the_flush_until_the_process_grew_that_much(tmp_path: Path) -> None:
    if render.process_rss_mb() is None:
        pytest.skip("no /proc: the resident memory is unknown")
    assert render.trim_cache(limit_mb=0) is True  # flushed: the resident size after it is the reference
    assert render.trim_cache(limit_mb=0, growth_mb=1e6) is False  # above the limit, but not grown by 1 TB
    assert render.trim_cache(limit_mb=0, growth_mb=0) is True  # no margin: every call above the limit flushes
    (tmp_path / "t.typ").write_text('#set text(font: "Liberation Serif")\n#json(bytes(sys.inputs.doc)).a', "utf-8")
    assert render.compile_template(tmp_path / "t.typ", '{"a": "Hằng"}', root=tmp_path)


def test_the_freed_memory_goes_back_to_the_system_only_above_the_release_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # returning the memory (malloc_trim) costs its own call and the page faults of the next book taking it back
    if render.process_rss_mb() is None:
        pytest.skip("no /proc: the resident memory is unknown")
    released: list[bool] = []
    monkeypatch.setattr(render, "release_free_memory", lambda: released.append(True))
    assert render.trim_cache(limit_mb=0, release_mb=1e9) is True  # flushed, the memory kept for the next book
    assert released == []
    assert render.trim_cache(limit_mb=0, release_mb=0) is True  # above the release limit: given back
    assert released == [True]


def test_malloc_trim_is_found_without_forking_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # ctypes.util.find_library runs ldconfig in a forked child: a copy of a 300 MB worker or parent for a moment
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")

    def no_fork(name: str) -> str:
        raise AssertionError("find_library forks the process")

    monkeypatch.setattr(ctypes.util, "find_library", no_fork)
    render._malloc_trim.cache_clear()
    try:
        assert render._malloc_trim() is not None
    finally:
        render._malloc_trim.cache_clear()


def test_render_document_texts_gives_the_page_texts_and_checks_overflow() -> None:
    from layouts.errors import LayoutOverflowError
    from layouts.transcript import build_transcript
    from tests.layouts.transcript_samples import sample_input

    doc = build_transcript(sample_input(seed=3, years=2), year=2022)
    pdf, texts = render.render_document_texts("transcript", doc, pdf_standard="a-3b")
    assert texts == render.extract_page_texts(pdf) and len(texts) == len(doc.pages) == render.page_count(pdf)
    assert doc.pages[-1].data["head"]["name"] in texts[-1]
    with pytest.raises(LayoutOverflowError):  # a PDF with a page more than the document has
        render._check_pages("transcript", len(doc.pages) - 1, len(texts))
