"""Property: whatever people press, in whatever order, a hazard reaches ``closed`` only through
a passing verification by someone other than its rectifier, and every state change leaves
exactly one event (refused steps leave none and change nothing)."""

from __future__ import annotations

import io
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlmodel import Session

from core.clock import site_today
from core.crud.service import NotFound, ValidationFailed
from core.hazard.flow import TRANSITIONS, act, report_hazard
from core.i18n import Translatable
from core.workflow import events
from models.hazard import Hazard, HazardState
from tests.factories import Org, Users

ACTORS = ("inspector_a", "employee_a", "safety_head", "inspector_b", "display")
ACTIONS = tuple(t.action for t in TRANSITIONS)


def _photo() -> tuple[str, bytes]:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(buf, "PNG")
    return ("p.png", buf.getvalue())


PHOTO = _photo()


def _inputs(org: Org, with_evidence: bool) -> dict:
    """Everything any step could ask for, or nothing (to exercise the refusals)."""
    if not with_evidence:
        return {}
    return {
        "payload": {
            "owner_id": org.person_a,
            "measures": "整改措施",
            "extension_deadline": site_today() + timedelta(days=400),
        },
        "comment": "意见",
        "files": [PHOTO],
    }


steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.sampled_from(ACTORS), st.booleans()),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
@example(  # the happy path, so the closed branch is always checked
    sequence=[
        ("confirm", "safety_head", True),
        ("rectify", "employee_a", True),
        ("verify_pass", "safety_head", True),
    ]
)
@example(  # the head rectifies, then tries to verify their own work
    sequence=[
        ("confirm", "safety_head", True),
        ("rectify", "safety_head", True),
        ("verify_pass", "safety_head", True),
        ("verify_fail", "safety_head", True),
        ("request_extension", "employee_a", True),
        ("approve_extension", "safety_head", False),
    ]
)
def test_no_sequence_closes_without_a_passing_verification(
    session: Session, org: Org, users: Users, sequence
) -> None:
    h = report_hazard(
        session,
        users.inspector_a,
        {"title": "随机操作", "enterprise_id": org.ent1, "department_id": org.dept_a},
    )
    fired = 0
    for action, name, with_evidence in sequence:
        before = session.get(Hazard, h.id).state
        try:
            act(session, getattr(users, name), h.id, action, **_inputs(org, with_evidence))
            fired += 1
        except (Translatable, NotFound, ValidationFailed):
            session.expire_all()
            assert session.get(Hazard, h.id).state == before  # a refusal changes nothing
        history = events(session, "hazard", h.id)
        assert len(history) == 1 + fired
        assert str(session.get(Hazard, h.id).state) == history[-1].to_state
    row = session.get(Hazard, h.id)
    if row.state == HazardState.CLOSED:
        last = events(session, "hazard", h.id)[-1]
        assert last.action == "verify_pass"
        assert last.actor_id != row.rectifier_id
        assert any(e.action == "rectify" for e in events(session, "hazard", h.id))
