"""The one table that turns errors into HTTP answers and Vietnamese messages; nobody sees a traceback.

``ERRORS`` names every domain error class of every layer (records, layouts, signing, the web's own)
with its HTTP status and the Vietnamese title of the answer; the message is the error's
``message_vi``. A test walks every subclass of ``SodientuError`` and checks it is in the table.
Browsers get the error page of the base layout; clients asking for JSON get ``{"error": …}``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from archive.errors import (
    ArchiveConfigError,
    ArchiveStoreError,
    InspectorAccessError,
    ObjectCorruptedError,
    ObjectMissingError,
    RetentionError,
)
from layouts.errors import LayoutOverflowError, RenderError
from layouts.printqueue import QueueUnavailableError
from records.demo.build import DemoExistsError
from records.errors import (
    AuthenticationError,
    BookLockedError,
    ConflictError,
    CutoffPassedError,
    DatabaseError,
    IntegrityError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SodientuError,
    StaleSheetError,
    ValidationError,
)
from records.services.mark_entry import GridInvalid
from scans.errors import ScanError, ScanFileError
from signing.errors import (
    Base45Error,
    KeyPassphraseError,
    PayloadError,
    QrReadError,
    SigningError,
    SigningKeyError,
    UploadRefused,
)
from signing.pdfsign import PdfSignatureError
from web.csrf import CsrfError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """How an error is answered: HTTP status and the title shown above the message."""

    status: int
    title_vi: str


ERRORS: dict[type[SodientuError], Answer] = {
    SodientuError: Answer(400, "Không thực hiện được"),
    ValidationError: Answer(400, "Dữ liệu không hợp lệ"),
    AuthenticationError: Answer(401, "Chưa đăng nhập được"),
    PermissionDeniedError: Answer(403, "Không có quyền"),
    NotFoundError: Answer(404, "Không tìm thấy"),
    ConflictError: Answer(409, "Trùng hoặc mâu thuẫn dữ liệu"),
    DemoExistsError: Answer(409, "Dữ liệu minh họa đã có"),
    BookLockedError: Answer(423, "Sổ đã khóa"),
    CutoffPassedError: Answer(423, "Đã qua ngày khóa điểm"),
    RateLimitedError: Answer(429, "Tạm thời bị chặn"),
    IntegrityError: Answer(500, "Dữ liệu không toàn vẹn"),
    RenderError: Answer(500, "Lỗi dàn trang khi in"),
    LayoutOverflowError: Answer(500, "Nội dung vượt khổ trang in"),
    SigningError: Answer(500, "Lỗi ký số"),
    SigningKeyError: Answer(500, "Lỗi khóa ký"),
    KeyPassphraseError: Answer(403, "Sai mật khẩu của khóa ký"),
    PdfSignatureError: Answer(500, "Lỗi chữ ký số trên tệp PDF"),
    Base45Error: Answer(400, "Mã không hợp lệ"),
    PayloadError: Answer(400, "Mã không hợp lệ"),
    QrReadError: Answer(400, "Không đọc được mã QR"),
    UploadRefused: Answer(400, "Tệp không được nhận"),
    CsrfError: Answer(400, "Biểu mẫu không hợp lệ"),
    StaleSheetError: Answer(409, "Bảng đã được người khác thay đổi"),
    DatabaseError: Answer(503, "Cơ sở dữ liệu tạm thời không phục vụ được"),
    ArchiveConfigError: Answer(500, "Cấu hình kho lưu trữ chưa đúng"),
    ArchiveStoreError: Answer(503, "Kho lưu trữ tạm thời không phục vụ được"),
    ObjectMissingError: Answer(500, "Thiếu tệp trong kho lưu trữ"),
    ObjectCorruptedError: Answer(500, "Tệp trong kho lưu trữ bị hỏng"),
    RetentionError: Answer(409, "Hồ sơ còn trong thời hạn bảo quản"),
    InspectorAccessError: Answer(403, "Ngoài phạm vi được cấp"),
    ScanError: Answer(400, "Không nhập được bản quét"),
    ScanFileError: Answer(400, "Tệp quét bị từ chối"),
    GridInvalid: Answer(400, "Có ô chưa hợp lệ"),
    QueueUnavailableError: Answer(503, "Hàng đợi in không hoạt động"),
}

HTTP_TITLES = {
    400: "Yêu cầu không hợp lệ",
    403: "Không có quyền",
    404: "Không tìm thấy trang",
    405: "Thao tác không được hỗ trợ",
    413: "Tệp quá lớn",
    500: "Lỗi hệ thống",
}
HTTP_MESSAGES = {
    400: "Yêu cầu gửi lên không hợp lệ.",
    403: "Bạn không có quyền xem trang này.",
    404: "Địa chỉ này không có trong hệ thống. Hãy kiểm tra lại đường dẫn.",
    405: "Trang này không nhận thao tác vừa gửi.",
    413: "Tệp gửi lên quá lớn (tối đa 16 MB).",
    500: "Hệ thống gặp lỗi ngoài dự kiến; thao tác chưa được ghi. Hãy thử lại hoặc báo quản trị hệ thống.",
}


def answer_for(error: SodientuError) -> Answer:
    """The answer of a domain error (its most specific class in the table)."""
    for cls in type(error).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]  # type: ignore[index]
    return ERRORS[SodientuError]


def status_for(error: SodientuError) -> int:
    """HTTP status of a domain error."""
    return answer_for(error).status


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def _page(status: int, title: str, message: str) -> Any:
    if _wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    """Install the handlers on the app."""
    from web.auth import NotSignedIn

    @app.errorhandler(SodientuError)
    def _domain_error(error: SodientuError) -> Any:
        answer = answer_for(error)
        log.warning("%s %s -> %s: %s", request.method, request.path, answer.status, error.message_en)
        db = g.pop("db", None)
        if db is not None:
            db.rollback()  # never half-written: the failed request's changes are dropped
            db.close()
        return _page(answer.status, answer.title_vi, error.message_vi)

    @app.errorhandler(NotSignedIn)
    def _not_signed_in(_error: NotSignedIn) -> Any:
        if _wants_json():
            return jsonify(error="Cần đăng nhập."), 401
        if g.get("session_ended"):
            from flask import flash

            flash("Phiên làm việc đã hết hạn: hãy đăng nhập lại.")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError) -> Any:
        # A database error no service turned into a domain error (e.g. SQLite still locked after its busy
        # timeout under heavy load): the clear message of records.db.db_error (503 "busy, try again"),
        # the transaction rolled back — not the generic 500 page.
        from records.db import db_error

        answer = _domain_error(db_error(error))
        if isinstance(answer, tuple) and answer[1] == 503:
            return answer[0], 503, {"Retry-After": "5"}
        return answer

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        return _page(status, HTTP_TITLES.get(status, "Lỗi"), HTTP_MESSAGES.get(status, error.description or ""))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        log.exception("unexpected error on %s %s", request.method, request.path)
        db = g.pop("db", None)
        if db is not None:
            db.rollback()
            db.close()
        return _page(500, HTTP_TITLES[500], HTTP_MESSAGES[500])
