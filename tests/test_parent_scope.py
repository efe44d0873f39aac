"""Detail registers without scope columns of their own (a paper's rules, a course's
materials, a plan's items) are seen with their parent record: an employee of one enterprise
finds nothing of another's, and nothing of a course still in draft."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from core.crud import service
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.crud.service import NotFound
from core.rbac import SYSTEM
from core.training.flow import COURSE_FLOW
from core.workflow import fire
from models.training import TrainingCourse, TrainingPlan
from models.training_exam import ExamPaper, ExamPaperRule
from models.training_learning import CourseMaterial, TrainingPlanItem
from tests.factories import Org, Users, make


def _details(session: Session, enterprise_id: int, publish: bool) -> dict[str, int]:
    course = make(session, "training_course", name=f"课程{enterprise_id}",
                  enterprise_id=enterprise_id)  # fmt: skip
    if publish:
        fire(session, COURSE_FLOW, course.id, "publish", SYSTEM)
    paper = ExamPaper(name=f"试卷{enterprise_id}", enterprise_id=enterprise_id)
    plan = TrainingPlan(name=f"计划{enterprise_id}", course_id=course.id,
                        planned_on=date(2026, 12, 1), enterprise_id=enterprise_id)  # fmt: skip
    session.add_all([paper, plan])
    session.flush()
    rows = {
        "exam_paper_rule": ExamPaperRule(paper_id=paper.id),
        "course_material": CourseMaterial(course_id=course.id, title="第一讲"),
        "training_plan_item": TrainingPlanItem(plan_id=plan.id, course_id=course.id),
    }
    session.add_all(rows.values())
    session.flush()
    return {name: row.id for name, row in rows.items()}


#: Each register and who reads its parents in their own enterprise: papers and plans are the
#: safety office's, published courses everyone's.
READERS = {
    "exam_paper_rule": "safety_head",
    "course_material": "employee_a",
    "training_plan_item": "safety_head",
}


@pytest.mark.parametrize(("table", "reader"), READERS.items())
def test_a_detail_row_is_seen_with_its_parent(
    session: Session, org: Org, users: Users, table: str, reader: str
) -> None:
    own = _details(session, org.ent1, publish=True)[table]
    other = _details(session, org.ent2, publish=True)[table]
    spec = get_spec(table)
    actor = getattr(users, reader)
    seen = {r.id for r in session.exec(visible(spec, actor)).all()}
    assert own in seen and other not in seen
    with pytest.raises(NotFound):
        service.get_row(session, spec, actor, other)
    assert service.get_row(session, spec, users.admin, other).id == other


def test_a_draft_courses_materials_are_the_editors_only(
    session: Session, org: Org, users: Users
) -> None:
    draft = _details(session, org.ent1, publish=False)["course_material"]
    spec = get_spec("course_material")
    with pytest.raises(NotFound):
        service.get_row(session, spec, users.employee_a, draft)
    assert service.get_row(session, spec, users.safety_head, draft).id == draft
    assert session.get(TrainingCourse, session.get(CourseMaterial, draft).course_id)
