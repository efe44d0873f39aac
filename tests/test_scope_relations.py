"""The scope relations users mean by "mine", at the data layer: about me (read only), assigned
to me (read and act, across departments), published for my audience (drafts for editors only).

Declared on a copy of the certificate table's spec (person-linked) and of a published table, so
these tests pin the platform rule; each domain's tests check its own declarations.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.sql_console import run_query
from core.audience import AudienceList, audience_of, set_audience
from core.crud import excel, files, service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, NotFound
from core.rbac import SYSTEM, Audience, PermissionDenied, ScopeColumns, mine_clause
from tests import factories
from tests.factories import Org, Users


def _certs(**scope: object):
    return replace(get_spec("certificate"), scope=ScopeColumns(**scope))


def _numbers(session: Session, spec, actor) -> set[str]:
    page = service.list_rows(session, spec, actor, ListQuery(page_size=500))
    return {row.number for row in page.rows}


def test_the_subject_reads_a_record_someone_else_created(
    session: Session, org: Org, users: Users
) -> None:
    spec = _certs(about="person_id")
    mine = service.get_row(session, spec, users.employee_a, org.cert_a)
    assert mine.person_id == org.person_a
    with pytest.raises(NotFound):
        service.get_row(session, spec, users.employee_a, org.cert_b)
    assert session.get(spec.model, org.cert_a).number in _numbers(session, spec, users.employee_a)
    # without the relation, "own" is what they typed in: nothing
    assert _numbers(session, _certs(), users.employee_a) == set()


def test_being_the_subject_reads_but_never_writes(session: Session, org: Org, users: Users) -> None:
    """An inspector of department A who is the subject of a department-B record reads it,
    but may not edit or delete it (nobody edits their own exam score)."""
    spec = _certs(about="person_id")
    subject = replace(users.inspector_a, person_id=org.person_b)
    assert service.get_row(session, spec, subject, org.cert_b).id == org.cert_b
    with pytest.raises(PermissionDenied):
        service.update_row(session, spec, subject, org.cert_b, {"issuer": "自己改的"})
    with pytest.raises(PermissionDenied):
        service.soft_delete(
            session,
            replace(subject, roles=frozenset({"admin"}) - {"admin"}) if False else subject,
            org.cert_b,
        ) if False else service.soft_delete(session, replace(spec), subject, org.cert_b)


def test_the_assignee_in_another_department_reads_and_acts(
    session: Session, org: Org, users: Users
) -> None:
    spec = _certs(assigned=("person_id",))
    assignee = replace(users.inspector_a, person_id=org.person_b)
    service.update_row(session, spec, assignee, org.cert_b, {"issuer": "机修车间代办"})
    assert session.get(spec.model, org.cert_b).issuer == "机修车间代办"
    colleague = users.inspector_a  # same department, not the assignee
    with pytest.raises(NotFound):
        service.get_row(session, spec, colleague, org.cert_b)


def test_mine_is_about_or_assigned_only(session: Session, org: Org, users: Users) -> None:
    spec = _certs(about="person_id")
    stmt = service.filtered(session, spec, users.safety_head, ListQuery()).where(
        mine_clause(spec.model, spec.scope, replace(users.safety_head, person_id=org.person_a))
    )
    rows = session.exec(stmt).all()
    assert {r.person_id for r in rows} == {org.person_a}


# --- published documents --------------------------------------------------------------------
# The person register stands in for a published table: its ``status`` plays the state and
# "active" the published one.


def _published():
    return replace(
        get_spec("person"),
        scope=ScopeColumns(audience=Audience(state_field="status", published=("active",))),
    )


def _doc(session: Session, org: Org, name: str, status: str):
    row = factories.person(session, org.ent1, org.dept_a, name=name)
    row.status = status
    session.add(row)
    session.flush()
    return row


def test_the_audience_reads_published_rows_and_only_editors_see_drafts(
    session: Session, org: Org, users: Users
) -> None:
    spec = _published()
    published = _doc(session, org, "周发布", "active")
    draft = _doc(session, org, "吴草稿", "left")
    reader = users.employee_a
    assert service.get_row(session, spec, reader, published.id).id == published.id
    with pytest.raises(NotFound):
        service.get_row(session, spec, reader, draft.id)
    editor = users.safety_head  # org edit grant, enterprise scope
    assert service.get_row(session, spec, editor, draft.id).id == draft.id
    other = replace(reader, enterprise_id=org.ent2, department_id=org.dept_e2)
    with pytest.raises(NotFound):
        service.get_row(session, spec, other, published.id)


def test_an_audience_narrows_readers_to_its_departments_posts_and_roles(
    session: Session, org: Org, users: Users
) -> None:
    spec = _published()
    doc = _doc(session, org, "郑专项", "active")
    set_audience(session, spec, users.safety_head, doc.id, AudienceList(departments=(org.dept_b,)))
    named = audience_of(session, spec, users.safety_head, doc.id).names["departments"]
    assert named == ["铸造车间"]
    with pytest.raises(NotFound):
        service.get_row(session, spec, users.employee_a, doc.id)  # department A
    in_b = replace(users.employee_a, department_id=org.dept_b)
    assert service.get_row(session, spec, in_b, doc.id).id == doc.id
    set_audience(session, spec, users.safety_head, doc.id, AudienceList(posts=(org.post_a,)))
    welder = replace(users.employee_a, post_id=org.post_a)
    assert service.get_row(session, spec, welder, doc.id).id == doc.id
    set_audience(session, spec, users.safety_head, doc.id, AudienceList(roles=("inspector",)))
    reader_b = replace(users.inspector_b, grants=frozenset({("org", "view")}))  # a reader only
    assert service.get_row(session, spec, reader_b, doc.id).id == doc.id
    with pytest.raises(NotFound):
        service.get_row(session, spec, users.employee_a, doc.id)


def test_only_editors_set_an_audience_and_only_inside_the_enterprise(
    session: Session, org: Org, users: Users
) -> None:
    spec = _published()
    doc = _doc(session, org, "钱受限", "active")
    with pytest.raises(PermissionDenied):
        set_audience(session, spec, users.employee_a, doc.id, AudienceList())
    with pytest.raises(PermissionDenied):
        set_audience(
            session, spec, users.safety_head, doc.id, AudienceList(departments=(org.dept_e2,))
        )
    assert audience_of(session, spec, SYSTEM, doc.id).everyone


# --- the same relations on every path out of the database ----------------------------------


def test_export_and_attachments_follow_the_subject(
    session: Session, org: Org, users: Users, settings
) -> None:
    """The holder exports their own certificate and opens its scan; a colleague's stays out."""
    spec = _certs(about="person_id")
    exporter = replace(users.employee_a, grants=users.employee_a.grants | {("org", "export")})
    text = excel.export(session, spec, exporter, ListQuery(), "csv", "zh-CN").decode("utf-8-sig")
    assert session.get(spec.model, org.cert_a).number in text
    assert session.get(spec.model, org.cert_b).number not in text
    for cert in (org.cert_a, org.cert_b):
        files.attach(session, spec, SYSTEM, cert, _png(), "scan.png", settings)
    assert [a.filename for a in files.listed(session, spec, users.employee_a, org.cert_a)]
    with pytest.raises(NotFound):
        files.listed(session, spec, users.employee_a, org.cert_b)


def test_the_sql_console_reads_what_the_list_reads(engine: Engine, org: Org, users: Users) -> None:
    """An analyst with own scope sees, in the console, the certificates about them (declared
    on the certificate table) and nobody else's."""
    analyst = replace(users.employee_a, grants=users.employee_a.grants | {("analytics", "view")})
    frame = run_query(engine, analyst, "SELECT person_id FROM certificate").frame
    assert set(frame["person_id"]) == {org.person_a}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()
