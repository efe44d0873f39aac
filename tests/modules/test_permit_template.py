"""Permit templates as data: their validation, the approval chain they declare, and the
template editor's all-or-nothing save (new version when permits already use the template)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from core.crud.registry import get_spec
from core.crud.service import ValidationFailed, create_row
from core.permit.template_editor import bump, load_edit, save_edit
from core.permit.template_rows import (
    chain_preview,
    fields_from_rows,
    problem_text,
    steps_from_rows,
)
from core.permit.templates import stages, template_for, template_problems
from core.rbac import SYSTEM, Actor, PermissionDenied
from models.enums import Role, Scope
from models.permit import Permit
from models.permit_reference import (
    GasLimit,
    PermitGrade,
    PermitMeasureItem,
    PermitTemplate,
    PermitType,
)
from models.system import AuditEntry

SAFETY_MANAGER = Actor(
    user_id=None,
    username="manager",
    roles=frozenset({Role.SAFETY_MANAGER}),
    scope=Scope.ENTERPRISE,
    grants=frozenset({("permit", a) for a in ("view", "create", "edit", "approve", "export")}),
)


def _values(session: Session, type_code: str = "DH", **changes: Any) -> dict[str, Any]:
    tpl = template_for(session, type_code)
    assert tpl is not None
    return {**tpl.model_dump(), **changes}


STEP = {"role": "unit_head", "parallel": False, "grades": []}
BAD_TEMPLATES = {
    "permit.tpl.field_shape": {"form_fields": ["medium"]},
    "permit.tpl.field_name": {"form_fields": [{"name": "Medium 1", "label": "介质"}]},
    "permit.tpl.field_dup": {
        "form_fields": [{"name": "medium", "label": "介质"}, {"name": "medium", "label": "介质"}]
    },
    "permit.tpl.field_label": {"form_fields": [{"name": "medium", "label": " "}]},
    "permit.tpl.field_kind": {"form_fields": [{"name": "m", "label": "介质", "kind": "colour"}]},
    "permit.tpl.field_options": {
        "form_fields": [{"name": "m", "label": "介质", "kind": "choice", "options": [" "]}]
    },
    "permit.tpl.step_role": {"approval_steps": [STEP, {"role": "boss"}]},
    "permit.tpl.step_parallel_first": {"approval_steps": [{**STEP, "parallel": True}]},
    "permit.tpl.no_approver": {
        "approval_steps": [{**STEP, "grades": ["DH-T"]}, {"role": "acceptor"}]
    },
    "permit.tpl.measure_unknown": {"measure_codes": ["DH-01", "SX-01"]},
    "permit.tpl.gas_unknown": {"gases": ["argon"]},
    "permit.tpl.gas_no_limit": {"gases": ["combustible", "h2s"]},  # hot work limits LEL only
}


@pytest.mark.parametrize("key", BAD_TEMPLATES)
def test_each_problem_fires_on_a_bad_template(demo_session: Session, key: str) -> None:
    problems = template_problems(demo_session, _values(demo_session, **BAD_TEMPLATES[key]))

    assert [p.key for p in problems] == [key]
    for lang in ("zh-CN", "en"):
        assert "⟦" not in problem_text(problems[0], lang)


def test_gas_without_limit_names_the_gas_in_words(demo_session: Session) -> None:
    (problem,) = template_problems(demo_session, _values(demo_session, gases=["h2s"]))
    assert "硫化氢" in problem_text(problem, "zh-CN")
    assert "Hydrogen sulphide" in problem_text(problem, "en")


def test_every_shipped_default_passes(demo_session: Session) -> None:
    templates = demo_session.exec(select(PermitTemplate)).all()
    assert len(templates) == 8
    for tpl in templates:
        assert template_problems(demo_session, tpl.model_dump()) == [], tpl.code


def _roles(type_code: str, grade: str, session: Session) -> list[list[str]]:
    steps = _values(session, type_code)["approval_steps"]
    return [[s.role for s in stage] for stage in stages(steps, grade)]


def test_hot_work_chain_grows_with_the_grade(demo_session: Session) -> None:
    base = [["work_leader"], ["gas_tester", "guardian"], ["unit_head"]]
    assert _roles("DH", "DH-2", demo_session) == base
    assert _roles("DH", "DH-1", demo_session) == [*base, ["safety_dept"]]
    assert _roles("DH", "DH-T", demo_session) == [*base, ["safety_dept"], ["plant_leader"]]


def test_stages_keep_template_step_indexes_and_drop_the_close_out() -> None:
    steps = [
        "work_leader",
        {"role": "gas_tester"},
        {"role": "guardian", "parallel": True},
        {"role": "safety_dept", "parallel": True, "grades": ["X-1"]},
        {"role": "unit_head"},
        {"role": "acceptor"},
    ]
    out = stages(steps, "X-2")
    assert [[(s.index, s.role) for s in stage] for stage in out] == [
        [(1, "work_leader")],
        [(2, "gas_tester"), (3, "guardian")],
        [(5, "unit_head")],
    ]
    assert [len(stage) for stage in stages(steps, "X-1")] == [1, 3, 1]
    assert chain_preview(steps, ["X-1"])["X-1"][1] == ["gas_tester", "guardian", "safety_dept"]


def test_table_cells_become_fields_and_steps() -> None:
    fields = fields_from_rows(
        [
            {"name": "action", "label": "抽/堵", "kind": "choice", "options": "抽，堵"},
            {"name": None, "label": float("nan"), "label_en": ""},  # an empty row
        ]
    )
    assert fields == [
        {
            "name": "action",
            "label": "抽/堵",
            "label_en": "",
            "kind": "choice",
            "required": False,
            "options": ["抽", "堵"],
        }
    ]
    steps = steps_from_rows(
        [
            {"order": 2, "role": "unit_head", "grades": "DH-T, DH-1"},
            {"order": 1, "role": "work_leader", "parallel": None},
            {"order": 3, "role": None},
        ]
    )
    assert steps == [
        {"role": "work_leader", "parallel": False, "grades": []},
        {"role": "unit_head", "parallel": False, "grades": ["DH-T", "DH-1"]},
    ]


@pytest.mark.parametrize(("old", "new"), [("2022.1", "2022.2"), ("3", "4"), ("v", "v.2")])
def test_version_bump(old: str, new: str) -> None:
    assert bump(old) == new


# --- the editor's save ----------------------------------------------------------------------


def _state(session: Session, type_code: str) -> tuple:
    def rows(model: Any) -> list[dict[str, Any]]:
        stmt = select(model).where(model.type_code == type_code).order_by(model.id)
        return [r.model_dump(exclude={"updated_at"}) for r in session.exec(stmt)]

    audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return (
        rows(PermitTemplate),
        rows(PermitMeasureItem),
        rows(GasLimit),
        rows(PermitGrade),
        audits,
    )


def test_valid_edit_is_saved_and_audited(demo_session: Session) -> None:
    audits = _state(demo_session, "DH")[-1]
    edit = load_edit(demo_session, "DH")
    edit.form_fields.append({"name": "fire_watch", "label": "看火人", "kind": "text"})
    edit.measures[0]["text"] = "动火设备内部构件清理干净, 置换合格"
    edit.measures[1]["in_template"] = False
    retired = edit.measures.pop(2)
    edit.measures.append(
        {"id": None, "text": "配备两具灭火器", "in_template": True, "position": 20}
    )
    edit.approval_steps.insert(3, {"role": "safety_dept", "parallel": True, "grades": ["DH-2"]})
    edit.gases = ["combustible", "oxygen"]
    edit.limits.append({"gas": "oxygen", "min_value": 19.5, "max_value": 21})
    edit.grades[2]["validity_hours"] = 48
    edit.worker_certificates = ["焊接与热切割作业", "电工作业"]
    edit.reading_interval_min = 60

    result = save_edit(demo_session, SYSTEM, edit)

    assert not result.new_version
    saved = load_edit(demo_session, "DH")
    tpl = demo_session.get(PermitTemplate, result.template_id)
    assert result.template_id == edit.template_id and tpl.version == "2022.1"
    assert tpl.form_fields[-1]["name"] == "fire_watch"
    assert tpl.measure_codes[0] == "DH-01" and "DH-02" not in tpl.measure_codes
    assert retired["code"] not in tpl.measure_codes and tpl.measure_codes[-1] == "DH-13"
    assert demo_session.get(PermitMeasureItem, retired["id"]).deleted_at is not None
    assert saved.measures[0]["text"] == "动火设备内部构件清理干净, 置换合格"
    assert [r["code"] for r in saved.limits if r["gas"] == "oxygen"] == ["DH-O2-1"]
    assert tpl.gases == ["combustible", "oxygen"] and tpl.reading_interval_min == 60
    assert tpl.worker_certificates == ["焊接与热切割作业", "电工作业"]
    assert [s.role for s in stages(tpl.approval_steps, "DH-2")[1]] == [
        "gas_tester",
        "guardian",
        "safety_dept",
    ]
    assert [g["validity_hours"] for g in saved.grades] == [8, 8, 48]
    assert _state(demo_session, "DH")[-1] > audits + 5


def test_invalid_edit_changes_nothing(demo_session: Session) -> None:
    before = _state(demo_session, "DH")
    edit = load_edit(demo_session, "DH")
    edit.measures[0]["text"] = "新的措施文字"  # valid on its own
    edit.grades[0]["validity_hours"] = 12  # valid on its own
    edit.form_fields.append({"name": "9", "label": "", "kind": "text"})
    edit.gases = ["combustible", "h2s"]  # no H2S limit in the edit
    edit.limits[0]["max_value"] = "abc"
    edit.measures.append({"id": None, "code": "DH-01", "text": "重复编码"})

    with pytest.raises(ValidationFailed) as caught:
        save_edit(demo_session, SYSTEM, edit)

    keys = {p.key for p in caught.value.problems}
    assert {"permit.tpl.field_name", "permit.tpl.field_label", "permit.tpl.gas_no_limit"} <= keys
    assert "permit_tpl.row" in keys  # the bad number and the duplicate code, by row
    texts = [problem_text(p, "en") for p in caught.value.problems]
    assert any("Gas limits, row 1" in x for x in texts), texts
    assert any("Safety measures, row 13" in x for x in texts), texts
    assert _state(demo_session, "DH") == before


def _use(session: Session, template_id: int) -> Permit:
    start = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    raw = {
        "permit_type_id": session.exec(select(PermitType.id).where(PermitType.code == "DH")).one(),
        "location": "机修车间东侧",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=4)).isoformat(),
        "content": "管线焊接",
    }
    permit = create_row(session, get_spec("permit"), SYSTEM, raw)
    permit.template_id = template_id
    session.add(permit)
    session.flush()
    return permit


def test_template_in_use_gets_a_new_version(demo_session: Session) -> None:
    edit = load_edit(demo_session, "DH")
    old_id, old_fields = edit.template_id, [dict(f) for f in edit.form_fields]
    permit = _use(demo_session, old_id)
    assert load_edit(demo_session, "DH").used_by == 1
    edit.form_fields.append({"name": "fire_watch", "label": "看火人", "kind": "text"})

    result = save_edit(demo_session, SYSTEM, edit)

    assert result.new_version and result.template_id != old_id and result.version == "2022.2"
    old = demo_session.get(PermitTemplate, old_id)
    new = demo_session.get(PermitTemplate, result.template_id)
    assert old.form_fields == old_fields and not old.is_default and old.deleted_at is None
    assert new.is_default and new.code == "TPL-DH-V2" and new.type_code == "DH"
    assert new.form_fields[-1]["name"] == "fire_watch"
    assert new.gases == old.gases and new.worker_certificates == old.worker_certificates
    assert template_for(demo_session, "DH").id == new.id
    assert demo_session.get(Permit, permit.id).template_id == old_id
    # the next edit of the new, unused version changes it in place
    again = load_edit(demo_session, "DH")
    again.name = "动火作业票(2026版)"
    assert not save_edit(demo_session, SYSTEM, again).new_version


def test_user_without_configure_is_refused(demo_session: Session) -> None:
    before = _state(demo_session, "GC")
    edit = load_edit(demo_session, "GC")
    edit.grades[0]["validity_hours"] = 12
    with pytest.raises(PermissionDenied):
        save_edit(demo_session, SAFETY_MANAGER, edit)
    assert _state(demo_session, "GC") == before
