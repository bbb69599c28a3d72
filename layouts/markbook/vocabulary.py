"""The mark book's printed words: titles, column labels, abbreviations, legends.

Where the regulation decides a word (learning / conduct results, the grade-9 decision) it comes from
``records.rules`` (``Ruleset.vocabulary``, ``promotion_label``, D-LBL-3); the mark book's own form
words (TT22 / TT26 / TT58 editions of the book) are spelled here, and only here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from layouts.documents import REGIMES
from records.rules import Promotion, ruleset

#: Who signs or is named on the pages.
HOMEROOM = "Giáo viên chủ nhiệm"
SUBJECT_TEACHER = "Giáo viên bộ môn"
PRINCIPAL = "Hiệu trưởng"
INSPECTOR = "Người kiểm tra"
SIGN_AND_STAMP = "(Ký, ghi rõ họ tên và đóng dấu)"

WEEKDAYS = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


# --- regime vocabulary -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Vocab:
    title: str
    subtitle: str
    learning: str
    conduct: str
    overall: str | None
    kind_labels: Mapping[str, str]
    avg_term: str
    avg_year: str
    legend_score: str
    legend_comment: str


_KIND_TT22 = {"tx": "ĐĐGtx", "gk": "ĐĐGgk", "ck": "ĐĐGck"}
_KIND_TT22_COMMENT = {"tx": "Thường xuyên", "gk": "Giữa kì", "ck": "Cuối kì"}
_KIND_TT58 = {"m": "Hệ số 1", "v15": "Hệ số 1", "v45": "Hệ số 2", "hk": "KT HK"}

# TT26 reused the physical pages with TT22's names for the columns (BOOKS.md §1.2).
_LEGEND_TT22 = (
    "ĐĐGtx: điểm đánh giá thường xuyên; ĐĐGgk: điểm đánh giá giữa kì; ĐĐGck: điểm đánh giá cuối kì; "
    "ĐTBmhk: điểm trung bình môn học kì; ĐTBmcn: điểm trung bình môn cả năm."
)

_VOCAB: dict[str, _Vocab] = {
    "tt22": _Vocab(
        title="SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH",
        subtitle="(THEO LỚP HỌC)",
        learning=ruleset("tt22").vocabulary.learning,  # D-LBL-3: the regulation's words
        conduct=ruleset("tt22").vocabulary.conduct,
        overall=None,
        kind_labels=_KIND_TT22,
        avg_term="ĐTBmhk",
        avg_year="ĐTBmcn",
        legend_score=_LEGEND_TT22,
        legend_comment="Đ: Đạt; CĐ: Chưa đạt.",
    ),
    "tt26": _Vocab(
        title="SỔ GỌI TÊN VÀ GHI ĐIỂM",
        subtitle="",
        learning=ruleset("tt26").vocabulary.learning,
        conduct=ruleset("tt26").vocabulary.conduct,
        overall="ĐTB các môn",
        kind_labels=_KIND_TT22,
        avg_term="ĐTBmhk",
        avg_year="ĐTBmcn",
        legend_score=_LEGEND_TT22,
        legend_comment="Đ: Đạt yêu cầu; CĐ: Chưa đạt yêu cầu.",
    ),
    "tt58": _Vocab(
        title="SỔ GỌI TÊN VÀ GHI ĐIỂM",
        subtitle="",
        learning=ruleset("tt58").vocabulary.learning,
        conduct=ruleset("tt58").vocabulary.conduct,
        overall="ĐTB các môn",
        kind_labels=_KIND_TT58,
        avg_term="ĐTB HK",
        avg_year="ĐTB cả năm",
        legend_score=(
            "M: kiểm tra miệng; 15′: kiểm tra 15 phút (hệ số 1); Hệ số 2: kiểm tra 1 tiết; "
            "KT HK: kiểm tra học kì; ĐTB HK: điểm trung bình môn học kì."
        ),
        legend_comment="Đ: Đạt yêu cầu; CĐ: Chưa đạt yêu cầu.",
    ),
}

_SUB_LABEL_TT58 = {"m": "M", "v15": "15′"}


def book_title(regime: str) -> str:
    """The printed title of a mark book of that regime."""
    return _VOCAB[regime].title


def _term_label(term: int) -> str:
    return "HỌC KÌ I" if term == 1 else "HỌC KÌ II"


_INSTRUCTIONS = (
    ("Sổ được in từ sổ điểm điện tử của nhà trường. Các trang được đánh số liên tục từ trang 1 đến trang cuối "
    "và được đóng dấu giáp lai; bản in cuối học kì I và bản in cuối năm dùng chung một cách đánh số."),
    "Học sinh được ghi theo thứ tự a, b, c; số thứ tự của mỗi học sinh giống nhau ở mọi trang của sổ.",
    ("Học sinh chuyển đi giữ nguyên dòng, họ tên được gạch ngang và ghi ngày chuyển; học sinh chuyển đến "
    "được ghi tiếp vào cuối danh sách với số thứ tự kế tiếp."),
    ("Giáo viên bộ môn kiểm tra và ký xác nhận ở trang ghi điểm của môn mình phụ trách; giáo viên chủ nhiệm "
    "kiểm tra, ký xác nhận các trang kiểm diện và tổng hợp; Hiệu trưởng ký duyệt và đóng dấu."),
    "Việc kiểm tra cập nhật điểm hằng tháng được ghi vào biên bản kiểm tra ở cuối sổ.",
    ("Điểm ghi bằng số, phần thập phân sau dấu phẩy; điểm trung bình lấy một chữ số thập phân. "
    "Kiểm diện: P — nghỉ có phép, K — nghỉ không phép."),
)


#: Printed after a mark changed by an approved correction (the trace holds the old value and who approved).
CORRECTION_MARK = "*"
CORRECTION_LEGEND = "(*): điểm đã sửa theo đề nghị được Hiệu trưởng phê duyệt (xem nhật ký sửa điểm)."


_PERIOD_LABEL = {"hk1": "HỌC KÌ I", "hk2": "HỌC KÌ II", "cn": "CẢ NĂM"}


# Year decisions too long for the summary's column, printed abbreviated and explained in the legend.
_DECISION_SHORT = {ruleset("tt22").vocabulary.grade9_done: "HTCT THCS", ruleset("tt58").vocabulary.grade9_done: "Xét CNTN"}

#: "Lên lớp" and the grade-9 wording of each regime (``Ruleset.promotion_label``, D-LBL-2).
_PROMOTED = ("Lên lớp", *dict.fromkeys(ruleset(r).promotion_label(Promotion.PROMOTED, grade=9) for r in REGIMES))


_TITLE_SHORT = {
    "Học sinh Xuất sắc": "HSXS",
    "Học sinh Giỏi": "HSG",
    "Học sinh Tiên tiến": "HSTT",
}


_LEVEL_SHORT = {"Tốt": "T", "Khá": "K", "Đạt": "Đ", "Chưa đạt": "CĐ", "Giỏi": "G", "Trung bình": "Tb", "Yếu": "Y"}


def _abbrev(level: str) -> str:
    return _LEVEL_SHORT.get(level, level)


def _short_title(title: str) -> str:
    return _TITLE_SHORT.get(title, title)


#: The learning and conduct levels of each regime, best first (``records.rules``: the regulation's).
_LEVELS = {r: (ruleset(r).learning_levels, ruleset(r).conduct_levels) for r in REGIMES}

#: The summary page's legend of level and title abbreviations (TT26 uses TT58's levels and titles).
_SUMMARY_LEGEND = {
    "tt22": ("T: Tốt; K: Khá; Đ: Đạt; CĐ: Chưa đạt (kết quả học tập, rèn luyện; môn đánh giá bằng nhận xét)",
             "HSXS: Học sinh Xuất sắc; HSG: Học sinh Giỏi"),
    "tt58": ("G: Giỏi; K: Khá; Tb: Trung bình; Y: Yếu; T: Tốt (hạnh kiểm); Đ/CĐ: Đạt/Chưa đạt yêu cầu",
             "HSG: Học sinh Giỏi; HSTT: Học sinh Tiên tiến"),
}


#: The minutes page: the note under an abbreviated page, the column heads of its compact tables.
MINUTES_ARCHIVE_NOTE = "Xem biên bản lưu tại hồ sơ nhà trường."
MINUTES_SHORT_COLUMNS = ("STT", "Môn học", "Giáo viên", "Phải có", "Đã nhập", "Chậm", "Nhận xét")
