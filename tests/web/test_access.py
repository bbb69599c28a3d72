"""Every route × every role (and nobody signed in), through the Flask test client.

The expected rights are written out here, independently of the views: a role's pages are for that role; reading
pages follow the rights table (a class's roll and marks: its homeroom and subject teachers, leaders, office,
inspectors; the trail: leaders, administrator, inspectors; editions: the same plus the office). A refused role gets
403 before anything changes; nobody signed in is sent to the sign-in page.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from records.db import make_engine, session_scope
from records.models import AuditEntry, Role, TeachingAssignment, User
from tests.web.conftest import LOGIN_OF, csrf_of, login

ALL = set(Role)
R = Role
#: The roles each user of the test school holds (the homeroom teacher of 6A1 also teaches Toán there).
HELD = {role: {role} for role in Role} | {R.HOMEROOM_TEACHER: {R.HOMEROOM_TEACHER, R.SUBJECT_TEACHER}}
PUBLIC = {"static", "healthz", "xac_thuc.form", "xac_thuc.check", "xac_thuc.by_url", "xac_thuc.genuine_page",
          "auth.sign_in"}
SIGNED_IN = {"home.index", "home.no_role", "auth.change_password", "auth.sign_out"}
HOMES = {"home.principal": {R.PRINCIPAL}, "home.vice_principal": {R.VICE_PRINCIPAL},
         "home.department": {R.HEAD_OF_DEPARTMENT}, "home.homeroom": {R.HOMEROOM_TEACHER},
         "home.teacher": {R.SUBJECT_TEACHER}, "home.office": {R.OFFICE}, "home.inspector": {R.INSPECTOR}}
# the subject teacher's grid and comments: any subject teacher may open a class they read; only the assigned
# teacher may save (the services refuse others: tests/web/test_teacher_pages.py)
HOMES |= {e: {R.SUBJECT_TEACHER} for e in ("teacher.grid", "teacher.save_grid", "teacher.comments",
                                          "teacher.save_comments")}
CLASS_READERS = {R.PRINCIPAL, R.VICE_PRINCIPAL, R.ADMINISTRATOR, R.HEAD_OF_DEPARTMENT, R.OFFICE, R.INSPECTOR}
READS = {
    # endpoint: (roles allowed on 6A1 — its homeroom teacher and a teacher of it included —, roles on 6A2)
    "records.class_roll": (ALL, CLASS_READERS), "records.class_marks": (ALL, CLASS_READERS),
    "records.student": (ALL, None),
    "records.trail": ({R.PRINCIPAL, R.VICE_PRINCIPAL, R.ADMINISTRATOR, R.INSPECTOR}, None),
    "records.editions": ({R.PRINCIPAL, R.VICE_PRINCIPAL, R.ADMINISTRATOR, R.OFFICE, R.INSPECTOR}, None),
}
# The leadership's pages (issue 12), reads and writes: who may open or post them.
LEADERS, GOVERNANCE = {R.PRINCIPAL, R.VICE_PRINCIPAL}, {R.PRINCIPAL, R.VICE_PRINCIPAL, R.ADMINISTRATOR}
READS |= {
    "leader.lock_register": (GOVERNANCE, None), "leader.decide_lock": ({R.PRINCIPAL}, None),
    "leader.execute_lock": ({R.ADMINISTRATOR}, None),
    "leader.correction_list": (GOVERNANCE, None), "leader.correction": (ALL, None),  # any reader of 6A1's marks
    "leader.print_correction": (ALL, None),
    "leader.decide_correction": ({R.PRINCIPAL}, None), "leader.apply_correction": ({R.ADMINISTRATOR}, None),
    "leader.correction_form": ({R.SUBJECT_TEACHER}, None), "leader.file_correction": ({R.SUBJECT_TEACHER}, None),
    "leader.inspection": (LEADERS, None), "leader.record_inspection": (LEADERS, None),
    "leader.results_overview": (LEADERS, None), "leader.class_results": (LEADERS, LEADERS),
    "leader.approve_results": ({R.PRINCIPAL}, {R.PRINCIPAL}), "leader.compute_results": (LEADERS, LEADERS),
}

#: The homeroom teacher's pages (/chu-nhiem/…): the class's own homeroom teacher only, on 6A1 and its students.
READS.update({endpoint: ({R.HOMEROOM_TEACHER}, set()) for endpoint in (
    "homeroom.roll", "homeroom.student", "homeroom.save_student", "homeroom.upload_photo", "homeroom.remove_photo",
    "homeroom.photo", "homeroom.attendance_page", "homeroom.save_attendance", "homeroom.conduct_page",
    "homeroom.save_conduct", "homeroom.results_page", "homeroom.compute_results", "homeroom.check_page")})

#: The office's pages (web.office_views): printing is the office's; the editions list and the archived PDFs
#: are for everyone who reads editions; revoking is the principal's; the import upload is the office's and
#: the administrator's (the import services then check the rights on the data).
EDITION_READERS = {R.PRINCIPAL, R.VICE_PRINCIPAL, R.ADMINISTRATOR, R.OFFICE, R.INSPECTOR}
OFFICE = {"office.print_form": {R.OFFICE}, "office.print_submit": {R.OFFICE}, "office.print_job": {R.OFFICE},
          "office.print_job_state": {R.OFFICE}, "office.print_file": {R.OFFICE}, "office.print_zip": {R.OFFICE},
          "office.edition_list_page": EDITION_READERS, "office.edition_pdf": EDITION_READERS,
          "office.revoke": {R.PRINCIPAL}, "office.import_form": {R.OFFICE, R.ADMINISTRATOR},
          "office.import_preview": {R.OFFICE, R.ADMINISTRATOR}, "office.import_apply": {R.OFFICE, R.ADMINISTRATOR}}


def _expected(endpoint: str, other_class: bool) -> set[Role] | None:
    """The roles allowed on an endpoint (None: anyone, signed in or not)."""
    if endpoint in PUBLIC:
        return None
    if endpoint in SIGNED_IN:
        return ALL
    if endpoint.startswith("admin."):
        return {R.ADMINISTRATOR}
    if endpoint in HOMES:
        return HOMES[endpoint]
    if endpoint in OFFICE:
        return OFFICE[endpoint]
    mine, others = READS[endpoint]
    return (others if other_class and others is not None else mine)


def _urls(app, web_school):
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == "vanphong"))
        assignment_id = session.scalar(select(func.min(TeachingAssignment.id)))
    engine.dispose()
    values = {"year_id": web_school.year_id, "level": 6, "user_id": user_id, "assignment_id": assignment_id,
              "school_id": web_school.school_id, "student_id": web_school.student_id, "code": "KHONG-PHAI-MA",
              "filename": "app.css", "short": "KHONG-PHAI", "page": 1, "decision_id": 1, "request_id": 1,
              "job_id": 999999, "path": "khong-co.pdf", "edition_id": "00000000-0000-0000-0000-000000000000"}
    walks = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("_"):
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            for other in ([False, True] if "class_id" in rule.arguments else [False]):
                args = {a: values[a] for a in rule.arguments if a != "class_id"}
                if "class_id" in rule.arguments:
                    args["class_id"] = web_school.other_class_id if other else web_school.class_id
                url = rule.build(args, append_unknown=False)[1]
                if rule.endpoint == "records.class_marks":
                    url += f"?mon={web_school.subject_id}&hk={web_school.term_id}"
                walks.append((rule.endpoint, method, url, other))
    return walks


def _trail_length(web_school) -> int:
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        count = session.scalar(select(func.count(AuditEntry.id)))
    engine.dispose()
    return int(count or 0)


def test_every_route_for_every_role(app, web_school, capsys):
    walks = _urls(app, web_school)
    endpoints = {endpoint for endpoint, *_ in walks}
    assert {e for e in endpoints if not (e in PUBLIC or e in SIGNED_IN or e.startswith("admin.") or e in HOMES
                                         or e in READS or e in OFFICE)} == set(), "a new route needs its expected rights here"
    clients = {role: app.test_client() for role in Role}
    for role, client in clients.items():
        assert login(client, LOGIN_OF[role]).status_code == 302
    anonymous = app.test_client()
    walked = 0
    trail_before = _trail_length(web_school)
    for endpoint, method, url, other in walks:
        for role in [None, *Role]:
            expected = _expected(endpoint, other)
            client = anonymous if role is None else clients[role]
            allowed = expected is None or (role is not None and bool(HELD[role] & expected))
            if method == "POST" and (allowed or endpoint == "auth.sign_out"):
                continue  # allowed writes are walked by their own tests (here they would change the school)
            if method == "GET":
                response = client.get(url)
            else:
                token = csrf_of(client.get("/dang-nhap" if role is None else "/doi-mat-khau").get_data(as_text=True))
                response = client.post(url, data={"csrf_token": token})
            walked += 1
            where = f"{method} {url} as {role.value if role else 'nobody'}"
            assert response.status_code < 500, where
            if allowed:
                assert response.status_code != 403, where
            elif role is None:
                assert response.status_code == 302 and "/dang-nhap" in response.location, where
            else:
                assert response.status_code == 403, where
                assert "Traceback" not in response.get_data(as_text=True)
    assert _trail_length(web_school) == trail_before, "a refused request changed something"
    with capsys.disabled():
        print(f"\n[access] {len(walks)} route walks × {len(Role) + 1} actors: {walked} requests checked")
    assert walked > 300


@pytest.mark.parametrize("path", ["/quan-tri", "/giao-vien", "/lop/1", "/truong/1/nhat-ki"])
def test_json_clients_get_401_not_a_redirect(app, path):
    response = app.test_client().get(path, headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.get_json() == {"error": "Cần đăng nhập."}
