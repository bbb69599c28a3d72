"""records.services.photos: only the student's homeroom teacher (or the administrator) stores a photo; what is
stored is a fresh upright 3:4 JPEG; the trace holds digests, never the image."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from records import audit
from records.errors import PermissionDeniedError, ValidationError
from records.services import photos, students
from tests.records.school_setup import set_up_school


def _sideways_jpeg() -> bytes:
    """A 800 × 600 JPEG whose EXIF says "rotate 90° clockwise to view": upright it is 600 × 800, red on top."""
    image = Image.new("RGB", (800, 600), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 400, 600))  # the left half is red: the top once turned upright
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def test_the_homeroom_teacher_stores_an_upright_3x4_photo_and_the_trace_keeps_digests(session) -> None:
    built = set_up_school(session)
    klass = built.klass(built.year(2025), 6)
    other = built.klass(built.year(2025), 6, homeroom=built.teacher)
    [pupil] = built.students("Lò Thị Mai")
    [stranger] = built.students("Cầm Văn Khánh")
    students.enrol_class(session, built.actor(), klass, [pupil])
    students.enrol_class(session, built.actor(), other, [stranger])
    stored = photos.set_photo(session, built.actor(built.homeroom), pupil, _sideways_jpeg())
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == photos.STORED_PX and not image.getexif()
        top, bottom = image.getpixel((177, 20)), image.getpixel((177, 450))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200  # turned upright before cropping
    [entry] = audit.entries(session, school_id=built.school.id, entity="student_photo")
    assert entry.before is None and "photo_sha256" in audit.state(entry.after)
    assert len(entry.after or "") < 200  # digests, not the image
    with pytest.raises(PermissionDeniedError):  # another class's homeroom teacher
        photos.set_photo(session, built.actor(built.homeroom), stranger, _sideways_jpeg())
    with pytest.raises(ValidationError):
        photos.set_photo(session, built.actor(built.homeroom), pupil, b"\xff\xd8\xff\xe0garbage\xff\xd9")
    photos.remove_photo(session, built.actor(built.homeroom), pupil)
    assert pupil.photo is None and pupil.photo_mime is None


def test_a_crop_box_must_lie_inside_the_upright_image() -> None:
    data = _sideways_jpeg()  # 600 × 800 upright
    assert Image.open(io.BytesIO(photos.clean_photo(data, photos.CropBox(0, 0, 600)))).size == photos.STORED_PX
    for box in (photos.CropBox(0, 0, 700), photos.CropBox(100, 0, 600), photos.CropBox(0, 50, 600),
                photos.CropBox(0, 0, 50)):
        with pytest.raises(ValidationError):
            photos.clean_photo(data, box)
