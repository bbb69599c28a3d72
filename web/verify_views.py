"""Public verification page: ``/xac-thuc`` (paste a code, type the short code, upload a photo) and
``/v/<code>`` (the URL a phone opens when it scans a printed QR code).

No login. The code is the capability: whoever holds a page's QR code or its short code sees what the
code carries, the verdict and that page as issued (``/xac-thuc/trang/<short code>/<page>.png``, rendered
from the archived PDF) — never the edition's other pages, its title or a revocation reason. For a
transcript page the subject results printed on it are listed beside the image.

Hostile input cannot knock the page over: ``MAX_CONTENT_LENGTH`` bounds a request, ``signing.limits.WEB``
caps pages, frames and pixels before anything is decoded, the echoed code is truncated, every decoding
error is a Vietnamese message (never a 500), and each address has a request budget (``RateLimiter``).
Plain Vietnamese HTML, inline CSS, no external assets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from jinja2 import Template
from werkzeug.exceptions import RequestEntityTooLarge

from signing.limits import WEB
from signing.payload import PREFIX, edition_short_id
from signing.trust import DbTrustList, SharedTrustList
from signing.verify import (
    STATUS_LABELS,
    PageStatus,
    PageVerdict,
    describe_fields,
    genuine_page_index,
    genuine_page_png,
    issued_page_lines,
    verify_code,
    verify_file,
    verify_short_code,
)

log = logging.getLogger(__name__)
bp = Blueprint("xac_thuc", __name__)

MAX_UPLOAD_BYTES = WEB.max_bytes
MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 64 * 1024  # the file plus the form around it
MAX_CODE_CHARS = 2000  # a QR holds at most ~1,200 characters of ours; anything longer is refused unread
ECHO_CHARS = 200  # of a pasted code, echoed back in the form
RATE = (120, 60.0)  # requests per address per window (seconds); uploads count UPLOAD_WEIGHT each
UPLOAD_WEIGHT = 10
IMAGE_DPI = 110

PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Xác thực trang sổ, học bạ</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;line-height:1.5;color:#111}
h1{font-size:1.4rem}fieldset{border:1px solid #bbb;margin:1rem 0;padding:.8rem}
textarea{width:100%;font-family:monospace}button{padding:.4rem 1.2rem}
.ok{border-left:6px solid #1a7f37;background:#eefbf1}.bad{border-left:6px solid #b00020;background:#fdeeee}
.look{border-left:6px solid #b26a00;background:#fff7e6}
.verdict{padding:.6rem 1rem;margin:1rem 0;display:flex;flex-wrap:wrap;gap:1rem}.verdict h2{margin:.2rem 0;font-size:1.2rem}
.verdict .text{flex:1 1 22rem}.verdict figure{flex:1 1 24rem;margin:0}.verdict img{width:100%;border:1px solid #999}
table{border-collapse:collapse}td{padding:.15rem .8rem .15rem 0;vertical-align:top}small{color:#555}
</style></head><body>
<h1>Xác thực trang sổ điểm, học bạ</h1>
<p>Quét mã QR bằng điện thoại, nhập mã ngắn in dưới mã QR (ví dụ <code>WWEM-9NT9 · 11/52</code>), dán nội dung
mã QR, hoặc tải lên ảnh chụp / bản quét trang giấy.</p>
{% if error %}<div class="verdict bad"><div class="text"><h2>Không kiểm tra được</h2><p>{{ error }}</p></div></div>{% endif %}
{% for r in results %}
<div class="verdict {{ r.css }}"><div class="text">
<h2>{{ r.label }}{% if r.page is not none %} — trang {{ r.page }} của tệp{% endif %}</h2>
<p>{{ r.message }}</p>
{% if r.lines %}<table>{% for k, v in r.lines %}<tr><td>{{ k }}</td><td><b>{{ v }}</b></td></tr>{% endfor %}</table>{% endif %}
{% if r.printed %}<h3>Kết quả in trên trang gốc</h3><table>{% for k, v in r.printed %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}</table>{% endif %}
{% if r.missing %}<p><small>{{ r.missing }}</small></p>{% endif %}
</div>
{% if r.image %}<figure><img src="{{ r.image }}" alt="Trang gốc do nhà trường phát hành">
<figcaption><small>Trang gốc như nhà trường đã phát hành: so từng điểm, từng chữ với trang giấy.</small></figcaption></figure>{% endif %}
</div>
{% endfor %}
<form method="post" action="/xac-thuc" enctype="multipart/form-data">
<fieldset><legend>Nhập mã ngắn hoặc dán mã</legend>
<textarea name="code" rows="3" maxlength="{{ max_code }}" placeholder="WWEM-9NT9 · 11/52  hoặc  SDT1:…">{{ code or '' }}</textarea></fieldset>
<fieldset><legend>hoặc tải ảnh / bản quét (PNG, JPEG, TIFF, PDF; tối đa {{ max_mb }} MB, {{ max_pages }} trang)</legend>
<input type="file" name="file" accept=".png,.jpg,.jpeg,.tif,.tiff,.pdf"></fieldset>
<button type="submit">Kiểm tra</button>
</form>
<p><small>Mã QR chỉ chứng minh nhà trường đã in trang đó; ảnh chụp hay bản quét không tự chứng minh nội dung. Hãy so
trang giấy với trang gốc hiển thị ở đây.</small></p>
</body></html>"""


class RateLimiter:
    """Fixed-window request budget per client address (thread-safe, in process)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, int]] = {}

    def allow(self, address: str, weight: int = 1) -> bool:
        """Count a request of ``weight``; False when the address has spent its budget for this window."""
        now = self.clock()
        with self._lock:
            start, used = self._seen.get(address, (now, 0))
            if now - start >= self.window:
                start, used = now, 0
            if used + weight > self.limit:
                return False
            self._seen[address] = (start, used + weight)
            if len(self._seen) > 50_000:  # forget idle addresses
                self._seen = {a: v for a, v in self._seen.items() if now - v[0] < self.window}
            return True


def _session():  # type: ignore[no-untyped-def]
    return current_app.extensions["sodientu.verify_sessions"]()


def _template() -> Template:
    return current_app.extensions["sodientu.verify_page"]  # type: ignore[no-any-return]


def _issued(session):  # type: ignore[no-untyped-def]
    """The issued PDFs: ``SODIENTU_ISSUED_PDF`` (a callable(session, edition id)) or the archive."""
    configured = current_app.config.get("SODIENTU_ISSUED_PDF")
    if configured is not None:
        return lambda edition_id: configured(session, edition_id)
    from web.issued import issued_pdf_source

    return issued_pdf_source(session)


def _render(results: list[dict[str, Any]], code: str = "", error: str = "", status: int = 200) -> Response:
    shown = code if len(code) <= ECHO_CHARS else code[:ECHO_CHARS] + "…"
    html = _template().render(results=results, code=shown, error=error, max_code=MAX_CODE_CHARS,
                              max_mb=MAX_UPLOAD_BYTES // (1024 * 1024), max_pages=WEB.max_pages)
    return Response(html, status=status, mimetype="text/html")


def _result(v: PageVerdict, session, issued, page: int | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    message = v.message_vi
    if v.status is PageStatus.MALFORMED:
        message = "Đây không phải mã hợp lệ của sổ điện tử (mã sai, bị cắt hoặc hỏng)."
    css = "ok" if v.ok else "look" if v.status is PageStatus.CODE_GENUINE else "bad"
    out: dict[str, Any] = {"css": css, "label": STATUS_LABELS[v.status], "message": message, "page": page,
                           "lines": [], "image": None, "printed": [], "missing": ""}
    f = v.fields
    if f is None or v.status in (PageStatus.MALFORMED, PageStatus.UNKNOWN_KEY, PageStatus.UNKNOWN_EDITION):
        return out
    out["lines"] = describe_fields(f)
    # the genuine page is shown for a code that holds, and beside a photo that does not match it
    shown = v.status in _SHOW_PAGE or (v.status is PageStatus.ALTERED and v.genuine_page is not None)
    index = v.genuine_page if v.genuine_page is not None else genuine_page_index(session, f)
    if not shown or index is None:
        return out
    printed = _printed_lines(issued, f.edition_id, index)
    if printed is None:
        out["missing"] = "Máy chủ này chưa có bản lưu của trang gốc để hiển thị; hãy đối chiếu với bản lưu của nhà trường."
        return out
    out["image"] = f"/xac-thuc/trang/{edition_short_id(f.edition_id)}/{f.page}.png"
    out["printed"] = printed
    if v.status is PageStatus.GENUINE:
        out["message"] += " Trang gốc hiển thị bên cạnh: hãy so từng điểm, từng chữ với trang giấy."
    return out


_PRINTED: dict[tuple[Any, int], list[tuple[str, str]]] = {}  # (edition, page index) → lines, issued PDFs never change
_PNG: dict[tuple[Any, int], bytes] = {}
_NOT_ISSUED: dict[Any, float] = {}  # edition → until when "no issued PDF" stands
_CACHED = 512


def _printed_lines(issued, edition_id, index: int) -> list[tuple[str, str]] | None:  # type: ignore[no-untyped-def]
    """What the issued page prints (for a transcript, its subject results); None when no issued PDF."""
    hit = _PRINTED.get((edition_id, index))
    if hit is not None:
        return hit
    if _NOT_ISSUED.get(edition_id, 0.0) > time.monotonic():
        return None
    pdf = issued(edition_id) if issued is not None else None
    if pdf is None:  # printed before the archive kept issued PDFs: not asked again for a minute
        if len(_NOT_ISSUED) > 10 * _CACHED:
            _NOT_ISSUED.clear()
        _NOT_ISSUED[edition_id] = time.monotonic() + 60.0
        return None
    lines = issued_page_lines(pdf, index)
    if len(_PRINTED) > _CACHED:
        _PRINTED.clear()
    _PRINTED[(edition_id, index)] = lines
    return lines


_SHOW_PAGE = frozenset({PageStatus.GENUINE, PageStatus.CODE_GENUINE, PageStatus.SUPERSEDED, PageStatus.OUTDATED})


def _code_text(raw: str) -> str:
    text = raw.strip("\r\n\t ")
    if not text:
        return ""
    if text.upper().startswith(PREFIX) or text.lower().startswith(("http://", "https://")):
        return text
    return PREFIX + text  # the base45 part alone


def _limited(weight: int = 1) -> Response | None:
    limiter: RateLimiter = current_app.extensions["sodientu.verify_limiter"]
    if limiter.allow(request.remote_addr or "?", weight):
        return None
    return _render([], error="Quá nhiều yêu cầu từ địa chỉ này; hãy thử lại sau một phút.", status=429)


def _check_code(raw: str) -> Response:
    if len(raw) > MAX_CODE_CHARS:
        return _render([], code=raw, error="Mã quá dài: đây không phải mã của sổ điện tử.", status=400)
    with _session() as session:
        issued = _issued(session)
        verdict = verify_short_code(raw, session)
        if verdict is None:
            text = _code_text(raw)
            if not text:
                return _render([], error="Hãy nhập mã ngắn, dán mã hoặc chọn một tệp ảnh.", status=400)
            verdict = verify_code(text, SharedTrustList(session), session, public=True)
        return _render([_result(verdict, session, issued)], code=raw)


@bp.get("/xac-thuc")
def form() -> Response:
    """The empty form (or ``?ma=…``: a short code in a link)."""
    code = request.args.get("ma", "")
    if code:
        return _limited() or _check_code(code)
    return _render([])


@bp.post("/xac-thuc")
def check() -> Response:
    """Verify a pasted code, a typed short code or an uploaded photo / scan."""
    try:
        upload = request.files.get("file")
        code = request.form.get("code", "")
    except RequestEntityTooLarge:
        return _too_large()
    if upload is not None and upload.filename:
        return _limited(UPLOAD_WEIGHT) or _check_upload(upload.read(MAX_UPLOAD_BYTES + 1))
    return _limited() or _check_code(code)


def _check_upload(data: bytes) -> Response:
    if len(data) > MAX_UPLOAD_BYTES:
        return _too_large()
    with _session() as session:
        issued = _issued(session)
        report = verify_file(data, DbTrustList(session), session, public=True, limits=WEB, issued_pdf=issued)
        if not report.pages:
            why = report.problems_vi[0] if report.problems_vi else "hãy tải ảnh PNG, JPEG, TIFF hoặc PDF."
            return _render([], error=f"Không đọc được tệp: {why}", status=400)
        multi = len(report.pages) > 1
        results = [_result(v, session, issued, v.page_index + 1 if multi else None) for v in report.pages]
        for problem in report.problems_vi:
            results.append({"css": "bad", "label": "Vấn đề của cả tệp", "message": problem, "page": None,
                            "lines": [], "image": None, "printed": [], "missing": ""})
        return _render(results)


def _too_large() -> Response:
    return _render([], error=f"Tệp quá lớn (tối đa {MAX_UPLOAD_BYTES // (1024 * 1024)} MB).", status=413)


@bp.get("/v/<path:code>", merge_slashes=False)
@bp.get("/V/<path:code>", merge_slashes=False)
def by_url(code: str) -> Response:
    """The URL form of a QR code (a phone camera opens it): the last path segment is the code."""
    return _limited() or _check_code(PREFIX + code if len(code) <= MAX_CODE_CHARS else code)


@bp.get("/xac-thuc/trang/<short>/<int:page>.png")
def genuine_page(short: str, page: int) -> Response:
    """The genuine page as issued: the short code and the page number are the capability."""
    limited = _limited()
    if limited is not None:
        return limited
    with _session() as session:
        verdict = verify_short_code(f"{short} {page}", session)
        issued = _issued(session)
        png = None
        if verdict is not None and verdict.fields is not None and verdict.genuine_page is not None:
            key = (verdict.fields.edition_id, verdict.genuine_page)
            png = _PNG.get(key) or genuine_page_png(issued, verdict.fields.edition_id, verdict.genuine_page, IMAGE_DPI)
            if png is not None:
                if len(_PNG) > _CACHED // 8:
                    _PNG.clear()
                _PNG[key] = png
    if png is None:
        return Response("Không có trang gốc cho mã này.", status=404, mimetype="text/plain")
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=600"})


def register(app: Flask) -> None:
    """Register the blueprint, the request-size limit, the compiled page and the rate limiter."""
    app.config.setdefault("MAX_CONTENT_LENGTH", MAX_CONTENT_LENGTH)  # the app factory sets 16 MB
    limit, window = app.config.get("SODIENTU_VERIFY_RATE", RATE)
    app.extensions["sodientu.verify_limiter"] = RateLimiter(int(limit), float(window))
    app.extensions["sodientu.verify_page"] = app.jinja_env.from_string(PAGE)
    # the page only reads: on SQLite, DEFERRED transactions (readers do not queue on the write lock)
    from records.db import make_engine, session_factory

    engine = make_engine(app.config["SODIENTU_DB"], read_only=True)
    app.extensions["sodientu.verify_engine"] = engine
    app.extensions["sodientu.verify_sessions"] = session_factory(engine)

    app.register_blueprint(bp)
