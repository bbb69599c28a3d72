"""Each role's home page: what that person works on, read through ``records.services.reads``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for

from records.models import Role
from records.services import leadership, mark_entry, reads
from web.app import db
from web.auth import home_url, role_page, signed_in

bp = Blueprint("home", __name__)


def _schools() -> list[reads.SchoolRow]:
    return reads.schools_of(db(), g.actor)


@bp.get("/")
def index() -> Any:
    """The signed-in user's home page, or the sign-in page."""
    if g.get("actor") is None:
        return redirect(url_for("auth.sign_in"))
    return redirect(home_url(g.actor))


@bp.get("/khong-co-vai-tro")
@signed_in
def no_role() -> Any:
    """A user without any role yet."""
    return render_template("home/no_role.html")


def _leaders(title: str) -> Any:
    schools = _schools()
    overview = [(school, *reads.school_classes(db(), g.actor, school.id)) for school in schools]
    return render_template("home/leaders.html", title=title, overview=overview)


@bp.get("/hieu-truong")
@role_page(Role.PRINCIPAL)
def principal() -> Any:
    """The principal: the school's classes, the trail, the printed editions."""
    return _leaders("Hiệu trưởng")


@bp.get("/pho-hieu-truong")
@role_page(Role.VICE_PRINCIPAL)
def vice_principal() -> Any:
    """The vice principal: as the principal sees, without the principal's decisions."""
    return _leaders("Phó hiệu trưởng")


@bp.get("/to-chuyen-mon")
@role_page(Role.HEAD_OF_DEPARTMENT)
def department() -> Any:
    """The head of department: their department's entry progress, the school's classes, their own teaching."""
    schools = _schools()
    departments = [d for s in schools if (d := leadership.department_progress(db(), g.actor, s.id))]
    return render_template("home/teacher.html", title="Tổ trưởng chuyên môn",
                           assignments=reads.assignments_of(db(), g.actor), departments=departments,
                           overview=[(s, *reads.school_classes(db(), g.actor, s.id)) for s in schools])


@bp.get("/chu-nhiem")
@role_page(Role.HOMEROOM_TEACHER)
def homeroom() -> Any:
    """The homeroom teacher: their classes."""
    return render_template("home/homeroom.html", classes=reads.homerooms_of(db(), g.actor))


@bp.get("/giao-vien")
@role_page(Role.SUBJECT_TEACHER)
def teacher() -> Any:
    """The subject teacher: the subjects and classes assigned to them."""
    return render_template("home/teacher.html", title="Giáo viên bộ môn",
                           assignments=reads.assignments_of(db(), g.actor), overview=[],
                           progress=mark_entry.progress_of(db(), g.actor))


@bp.get("/van-phong")
@role_page(Role.OFFICE)
def office() -> Any:
    """The office: printed editions and the classes."""
    schools = _schools()
    return render_template("home/office.html", editions=[(s, reads.editions_of(db(), g.actor, s.id)) for s in schools],
                           overview=[(s, *reads.school_classes(db(), g.actor, s.id)) for s in schools])


@bp.get("/thanh-tra")
@role_page(Role.INSPECTOR)
def inspector() -> Any:
    """The inspector: the schools of their scope."""
    return render_template("home/inspector.html", schools=_schools())
