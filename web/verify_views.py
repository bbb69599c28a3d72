"""Public verification page: ``/xac-thuc`` (paste a code or upload a photo) and ``/v/<code>`` (QR URL form).

No login. The page shows only what the code itself carries (document type, edition code, page n/N,
date, and for a transcript the facts printed in the code) and the verdict; never the page data,
the edition title or the reason of a revocation. Plain Vietnamese HTML, inline CSS, no external assets.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template_string, request

from signing.payload import PREFIX
from signing.trust import DbTrustList
from signing.verify import STATUS_LABELS, PageStatus, PageVerdict, describe_fields, verify_code, verify_file

bp = Blueprint("xac_thuc", __name__)

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf")

PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Xác thực trang sổ, học bạ</title>
<style>
body{font-family:system-ui,sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem;line-height:1.5;color:#111}
h1{font-size:1.4rem}fieldset{border:1px solid #bbb;margin:1rem 0;padding:.8rem}
textarea{width:100%;font-family:monospace}button{padding:.4rem 1.2rem}
.ok{border-left:6px solid #1a7f37;background:#eefbf1}.bad{border-left:6px solid #b00020;background:#fdeeee}
.verdict{padding:.6rem 1rem;margin:1rem 0}.verdict h2{margin:.2rem 0;font-size:1.2rem}
table{border-collapse:collapse}td{padding:.15rem .8rem .15rem 0;vertical-align:top}small{color:#555}
</style></head><body>
<h1>Xác thực trang sổ điểm, học bạ</h1>
<p>Nhập mã in dưới mã QR (hoặc nội dung quét được từ mã QR), hoặc tải lên ảnh chụp / bản quét trang giấy.</p>
{% if error %}<div class="verdict bad"><h2>Không kiểm tra được</h2><p>{{ error }}</p></div>{% endif %}
{% for r in results %}
<div class="verdict {{ 'ok' if r.ok else 'bad' }}">
<h2>{{ r.label }}{% if r.page is not none %} — trang {{ r.page }} của tệp{% endif %}</h2>
<p>{{ r.message }}</p>
{% if r.lines %}<table>{% for k, v in r.lines %}<tr><td>{{ k }}</td><td><b>{{ v }}</b></td></tr>{% endfor %}</table>{% endif %}
</div>
{% endfor %}
<form method="post" action="{{ action }}" enctype="multipart/form-data">
<fieldset><legend>Dán mã</legend>
<textarea name="code" rows="4" placeholder="SDT1:…">{{ code or '' }}</textarea></fieldset>
<fieldset><legend>hoặc tải ảnh / bản quét (PNG, JPEG, TIFF, PDF)</legend>
<input type="file" name="file" accept=".png,.jpg,.jpeg,.tif,.tiff,.pdf"></fieldset>
<button type="submit">Kiểm tra</button>
</form>
<p><small>Trang này chỉ cho biết mã có do nhà trường ký hay không và tình trạng bản in; thông tin hiển thị
chỉ gồm những gì chính mã QR mang theo. Hãy đối chiếu các thông tin đó với trang giấy.</small></p>
</body></html>"""


def _session():  # type: ignore[no-untyped-def]
    return current_app.extensions["sodientu.sessions"]()


def _result(v: PageVerdict, page: int | None = None) -> dict[str, Any]:
    message = v.message_vi
    if v.status is PageStatus.MALFORMED:
        message = "Đây không phải mã hợp lệ của sổ điện tử (mã sai, bị cắt hoặc hỏng)."
    return {"ok": v.ok, "label": STATUS_LABELS[v.status], "message": message, "page": page,
            "lines": describe_fields(v.fields) if v.fields is not None and v.status is not PageStatus.MALFORMED
            else []}


def _code_text(raw: str) -> str:
    text = raw.strip("\r\n\t ")
    if not text:
        return ""
    if text.upper().startswith(PREFIX) or text.lower().startswith(("http://", "https://")):
        return text
    return PREFIX + text  # the base45 part alone


def _render(results: list[dict[str, Any]], code: str = "", error: str = "", status: int = 200):  # type: ignore[no-untyped-def]
    return render_template_string(PAGE, results=results, code=code, error=error, action="/xac-thuc"), status


@bp.get("/xac-thuc")
def form():  # type: ignore[no-untyped-def]
    """The empty form."""
    return _render([])


@bp.post("/xac-thuc")
def check():  # type: ignore[no-untyped-def]
    """Verify a pasted code or an uploaded photo/scan."""
    code = request.form.get("code", "")
    upload = request.files.get("file")
    with _session() as session:
        trust = DbTrustList(session)
        if upload is not None and upload.filename:
            data = upload.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                return _render([], error="Tệp quá lớn (tối đa 15 MB).", status=413)
            report = verify_file(data, trust, session, public=True)
            if not report.pages:
                return _render([], error="Không đọc được tệp: hãy tải ảnh PNG, JPEG, TIFF hoặc PDF.", status=400)
            multi = len(report.pages) > 1
            results = [_result(v, v.page_index + 1 if multi else None) for v in report.pages]
            return _render(results)
        text = _code_text(code)
        if not text:
            return _render([], error="Hãy dán mã hoặc chọn một tệp ảnh.", status=400)
        return _render([_result(verify_code(text, trust, session, public=True))], code=code)


@bp.get("/v/<path:code>", merge_slashes=False)
@bp.get("/V/<path:code>", merge_slashes=False)
def by_url(code: str):  # type: ignore[no-untyped-def]
    """The URL form of a QR code (a phone camera opens it): the last path segment is the code."""
    with _session() as session:
        verdict = verify_code(PREFIX + code, DbTrustList(session), session, public=True)
    return _render([_result(verdict)])


def register(app) -> None:  # type: ignore[no-untyped-def]
    """Register the blueprint."""
    app.register_blueprint(bp)
