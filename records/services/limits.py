"""The longest texts the records accept, and the refusal a user sees beyond them.

Printed books wrap every text and continue on the next page rather than shrink or cut it (issue 9),
but a single block never breaks across pages: a subject teacher's comment is one row of the
transcript's subject table, the homeroom comment one block of its results page. Their maxima keep
each such block within one A4 page with room to spare (1,000 characters take about 70 mm of the
subject table at 9 pt; 2,000 about 95 mm of the results page at 10.5 pt), far above what the forms'
boxes hold in practice. Personal data keep their column lengths (``records.models.people``), and
``tests/layouts/test_transcript_adversarial.py`` prints a transcript with every field at its maximum.
"""

from __future__ import annotations

from records.errors import ValidationError

SUBJECT_COMMENT_MAX = 1000
HOMEROOM_COMMENT_MAX = 2000

#: How each personal field is named to the user.
FIELD_LABELS_VI: dict[str, str] = {
    "code": "Mã học sinh", "moet_id": "Mã định danh Bộ GD&ĐT", "citizen_id": "Số định danh cá nhân",
    "register_number": "Số đăng bộ", "course": "Khóa học", "family_name": "Họ", "middle_name": "Tên đệm",
    "given_name": "Tên", "ethnicity": "Dân tộc", "nationality": "Quốc tịch", "place_of_birth": "Nơi sinh",
    "hometown": "Quê quán", "permanent_address": "Nơi thường trú", "current_address": "Chỗ ở hiện tại",
    "policy_category": "Đối tượng chính sách", "father_name": "Họ và tên cha",
    "father_occupation": "Nghề nghiệp của cha", "mother_name": "Họ và tên mẹ",
    "mother_occupation": "Nghề nghiệp của mẹ", "guardian_name": "Họ và tên người giám hộ",
    "guardian_occupation": "Nghề nghiệp của người giám hộ", "photo_mime": "Kiểu ảnh",
    "entry_from_school": "Trường chuyển đến từ", "date_of_birth": "Ngày sinh", "gender": "Giới tính",
}


def check_length(field: str, value: str | None, limit: int, *, label_vi: str | None = None) -> None:
    """Refuse ``value`` longer than ``limit`` characters, naming the field in Vietnamese."""
    if value is not None and len(value) > limit:
        label = label_vi or FIELD_LABELS_VI.get(field, field)
        raise ValidationError(
            f"«{label}» dài {len(value)} kí tự, quá mức tối đa {limit} kí tự. Vui lòng viết gọn lại.",
            f"{field} is {len(value)} characters long, over the maximum of {limit}",
        )
