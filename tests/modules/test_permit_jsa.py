"""A permit's JSA starts from the risks of its own kind of work: a hot-work permit is offered
fire, explosion and burns, never the crane that stands in the same workshop (issue 19)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core import reference
from core.permit.jsa import jsa_suggestions
from core.permit.jsa_risks import LINES, type_lines
from core.rbac import SYSTEM
from models.permit_reference import PermitTypeCode
from models.reference import AccidentType
from tests.factories import Org, make

LIFTING_WORDS = ("吊", "起重", "lift", "crane", "sling", "hook")
OWN_WORDS = {  # each type's prefill must speak of its own work
    PermitTypeCode.DH: ("火", "爆炸", "灼烫"),
    PermitTypeCode.SX: ("窒息", "缺氧"),
    PermitTypeCode.MB: ("盲板",),
    PermitTypeCode.GC: ("坠落",),
    PermitTypeCode.DZ: ("吊",),
    PermitTypeCode.LD: ("触电",),
    PermitTypeCode.DT: ("坍塌",),
    PermitTypeCode.DL: ("车辆",),
}


def _text(lines: list[dict[str, str]]) -> str:
    return " ".join(v for line in lines for v in line.values()).lower()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_hot_work_prefill_has_no_lifting_risk(lang: str) -> None:
    text = _text(type_lines(PermitTypeCode.DH, lang))
    assert text, "hot work starts with lines of its own"
    assert not [w for w in LIFTING_WORDS if w in text]


def test_every_type_prefills_its_own_risks() -> None:
    assert set(LINES) == set(PermitTypeCode)
    seen: dict[str, PermitTypeCode] = {}
    for code, words in OWN_WORDS.items():
        lines = type_lines(code, "zh-CN")
        assert any(w in _text(lines) for w in words), code
        assert len(type_lines(code, "en")) == len(lines), code
        for line in lines:  # no line is borrowed from another type
            assert seen.setdefault(line["hazard"], code) == code, (code, line)


def test_area_points_are_offered_only_for_their_kind_of_work(session: Session, org: Org) -> None:
    reference.load_all(session)  # GB 6441 accident types
    area = make(session, "area", name="JSA 试验区", enterprise_id=org.ent1)
    unit = make(session, "risk_unit", name="行车单元", enterprise_id=org.ent1, area_id=area.id)
    lifting = session.exec(select(AccidentType).where(AccidentType.code == "04")).one()
    make(
        session,
        "risk_point",
        name="桥式起重机吊运",
        unit_id=unit.id,
        area_id=area.id,
        hazard_factors="钢丝绳断裂吊物坠落",
        accident_type_id=lifting.id,
        scoring="lec",
        **{"inherent_l": 3, "inherent_e": 6, "inherent_c": 15},
    )
    hot = jsa_suggestions(session, SYSTEM, area.id, PermitTypeCode.DH)
    crane = jsa_suggestions(session, SYSTEM, area.id, PermitTypeCode.DZ)
    assert "桥式起重机吊运" not in [line["step"] for line in hot]
    assert "桥式起重机吊运" in [line["step"] for line in crane]
    assert hot[0] == type_lines(PermitTypeCode.DH, "zh-CN")[0]
