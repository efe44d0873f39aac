"""The permit application form and the permit desk, rendered with AppTest on a small plant:
the form refuses an incomplete application and names what is missing, an application with
the area's JSA goes to approval, and a signer signs it on the desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.db import session_scope, utcnow
from core.permit.flow import apply_for_permit
from core.permit.jsa_risks import type_lines
from core.reference import load_all
from models.org import Area, Enterprise
from models.permit import Permit, PermitState
from models.permit_reference import PermitGrade, PermitType
from models.reference import AccidentType
from models.risk_register import RiskMeasure, RiskPoint, RiskUnit
from tests.factories import Org, Users

WORKSHOP = [[10.0, 10.0], [50.0, 10.0], [50.0, 40.0], [10.0, 40.0]]


@pytest.fixture(scope="module")
def plant(ui_world: tuple[Org, Users]) -> Org:
    """Reference lists, an area with a risk point and its measure (the JSA suggestion)."""
    org = ui_world[0]
    with session_scope() as session:
        load_all(session)
        enterprise = session.get(Enterprise, org.ent1)
        enterprise.plan_width, enterprise.plan_height = 100.0, 50.0
        area = Area(
            enterprise_id=org.ent1, department_id=org.dept_a, name="机修间", polygon=WORKSHOP
        )
        session.add_all([enterprise, area])
        session.flush()
        unit = RiskUnit(enterprise_id=org.ent1, department_id=org.dept_a, name="检修")
        session.add(unit)
        session.flush()
        point = RiskPoint(
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            unit_id=unit.id,
            area_id=area.id,
            name="厂内道路",
            hazard_factors="车辆伤害",
            accident_type_id=session.exec(
                select(AccidentType.id).where(AccidentType.code == "02")
            ).one(),  # vehicles: offered to road-closure (断路) work
        )
        session.add(point)
        session.flush()
        session.add(RiskMeasure(enterprise_id=org.ent1, point_id=point.id, content="设置围挡"))
    return org


def _choose(at, key: str, model: type, name: str) -> None:
    """Pick a row by name (the widget's value is the row id)."""
    with session_scope() as session:
        row_id = session.exec(select(model.id).where(model.name == name)).one()
    at.selectbox(key=key).set_value(row_id).run()


def test_the_form_names_what_is_missing(open_page, plant: Org) -> None:
    at = open_page("pages/permit_apply.py", as_user="inspector_a")
    assert not at.exception, at.exception
    assert at.title[0].value == "申请作业票"
    _choose(at, "permit_apply_type", PermitType, "断路作业")
    at.button(key="FormSubmitter:permit_apply-提交审批").click().run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "作业地点：必填" in errors and "作业内容：必填" in errors
    at.text_input(key="permit_apply_location").input("北门")
    at.text_area(key="permit_apply_content").input("道路开挖")
    at.button(key="FormSubmitter:permit_apply-提交审批").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "请选择作业人员" in errors and "未指定监护人" in errors  # the JSA starts filled
    with session_scope() as session:
        assert session.exec(select(Permit)).all() == []


def test_an_application_goes_to_approval(open_page, plant: Org, ui_world) -> None:
    at = open_page("pages/permit_apply.py", as_user="inspector_a")
    _choose(at, "permit_apply_type", PermitType, "断路作业")
    _choose(at, "permit_apply_area", Area, "机修间")
    at.text_input(key="permit_apply_location").input("机修间北门道路")
    at.text_area(key="permit_apply_content").input("道路开挖敷设电缆")
    at.text_input(key="permit_apply_road").input("一号路")
    at.text_input(key="permit_apply_detour").input("经二号路绕行")
    org = plant
    at.multiselect(key="permit_apply_workers").select(str(org.person_a2))
    at.selectbox(key="permit_apply_guardian").select(str(org.person_a))
    at.button(key="FormSubmitter:permit_apply-提交审批").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    # the form starts afresh for the next permit (it used to still show this one) ...
    assert at.text_input(key="permit_apply_location").value == ""
    assert at.text_area(key="permit_apply_content").value in ("", None)
    assert at.multiselect(key="permit_apply_workers").value == []
    # ... with the kind of work kept, and a link to the permit just filed
    assert at.selectbox(key="permit_apply_type").value is not None
    assert any("permit_work" in link.proto.page for link in at.get("page_link"))
    with session_scope() as session:
        permit = session.exec(select(Permit)).one()
        assert permit.state == PermitState.APPROVING
        hazards = [line["hazard"] for line in permit.jsa]
        assert hazards[0] == type_lines("DL", "zh-CN")[0]["hazard"]  # the work's own risks
        assert "车辆伤害" in hazards and permit.area_id is not None  # then the area's
        assert permit.x is not None  # the area's centre until the plan is tapped
        session.delete(permit)


def test_the_desk_lets_the_signer_sign(open_page, plant: Org, ui_world) -> None:
    org, users = ui_world
    with session_scope() as session:
        dl = session.exec(select(PermitType).where(PermitType.code == "DL")).one()
        area = session.exec(select(Area).where(Area.name == "机修间")).one()
        start = utcnow() + timedelta(hours=1)
        permit = apply_for_permit(
            session,
            users.inspector_a,
            {
                "permit_type_id": dl.id,
                "enterprise_id": org.ent1,
                "department_id": org.dept_a,
                "area_id": area.id,
                "location": "北门",
                "planned_start": start,
                "planned_end": start + timedelta(hours=3),
                "content": "道路开挖",
                "guardian_id": org.person_a,
                "workers": [org.person_a2],
                "jsa": [{"step": "开挖", "hazard": "车辆伤害", "measure": "围挡"}],
                "form_values": {"road": "一号路", "detour": "二号路"},
            },
            submit=True,
        )
        permit_id, number = permit.id, permit.number
    at = open_page(None, as_user="inspector_a", lang="en")
    at.query_params["id"] = str(permit_id)
    at.switch_page("pages/permit_work.py")
    at.run()
    assert not at.exception, at.exception
    assert number in at.markdown[0].value or any(number in m.value for m in at.markdown)
    at.button(key=f"FormSubmitter:permit_chain_{permit_id}-Sign").click().run()
    assert not at.exception, at.exception
    with session_scope() as session:
        signed = session.get(Permit, permit_id)
        assert signed.state == PermitState.APPROVING
        from core.permit.approval import valid_signatures

        assert [s.role for s in valid_signatures(session, permit_id)] == ["work_leader"]


def test_the_desk_lists_nothing_for_a_stranger_in_english(open_page, plant: Org) -> None:
    at = open_page("pages/permit_work.py", as_user="inspector_b", lang="en")
    assert not at.exception, at.exception
    assert at.title[0].value == "Permit desk"
    assert "Nothing waiting" in " ".join(c.value for c in at.caption)
    grades = None
    with session_scope() as session:
        grades = session.exec(select(PermitGrade)).all()
    assert grades


def test_the_park_supervisor_opens_the_desk_without_the_apply_link(open_page, plant: Org) -> None:
    """The supervisor may watch permits but not apply: the desk used to link the apply page
    anyway and Streamlit failed with StreamlitPageNotFoundError and a traceback."""
    at = open_page("pages/permit_work.py", as_user="park_supervisor")
    assert not at.exception, at.exception
    assert at.title[0].value == "作业票办理"
    assert not any("permit_apply" in link.proto.page for link in at.get("page_link"))
    applicant = open_page("pages/permit_work.py", as_user="safety_head")
    assert any("permit_apply" in link.proto.page for link in applicant.get("page_link"))
