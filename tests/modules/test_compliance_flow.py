"""Compliance as its readers meet it: knowledge-base articles are read by their audience once
published (drafts only by editors), the regulation library by everyone with the module, and a
self-assessment moves draft → submitted → reviewed only through its workflow.

Cast (tests/factories.py plus accounts made here): employee_a and inspector_a work in
机修车间 (A), inspector_b in 铸造车间 (B); manager is enterprise 1's safety manager (edits the
knowledge base and scores assessments, may not review them); safety_head reviews.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.audience import AudienceList, set_audience
from core.clock import site_today
from core.compliance.flow import ASSESSMENT_FLOW, KB_FLOW
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed
from core.rbac import SYSTEM, Actor, PermissionDenied, actor_for
from core.workflow import IllegalTransition, events, fire
from models.compliance_assessment import AssessmentResult, AssessmentState
from models.enums import DocumentState, Role
from tests import factories
from tests.factories import Org, Users, make, serial
from tests.flow_props import assert_final_only_through

KB = get_spec("kb_document")
RESULTS = get_spec("assessment_result")


@pytest.fixture(scope="module")
def staff(engine, module_settings, world) -> dict[str, Actor]:
    """Enterprise 1's safety manager and the head of 机修车间 (A)."""
    org, _ = world
    with Session(engine) as session:
        common = {"park_id": org.park, "enterprise_id": org.ent1}
        made = {
            "manager": factories.user(
                session, module_settings, "manager", Role.SAFETY_MANAGER, **common
            ),
            "dept_head_a": factories.user(
                session,
                module_settings,
                "dept_head_a",
                Role.DEPT_HEAD,
                department_id=org.dept_a,
                **common,
            ),
        }
        session.commit()
        return {name: actor_for(session, u) for name, u in made.items()}


def article(session: Session, org: Org, actor: Actor, *, publish: bool) -> object:
    values = {"title": f"动火作业安全管理制度{serial()}", "category": "procedure",
              "body": "动火前必须办理作业票", "enterprise_id": org.ent1}  # fmt: skip
    doc = make(session, "kb_document", actor, **values)
    if publish:
        fire(session, KB_FLOW, doc.id, "publish", actor)
    return doc


def readable(session: Session, actor: Actor) -> set[int]:
    return {r.id for r in service.list_rows(session, KB, actor, service.ListQuery()).rows}


# --- published for an audience --------------------------------------------------------------


def test_readers_see_published_articles_and_only_editors_see_drafts(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    published = article(session, org, staff["manager"], publish=True)
    draft = article(session, org, staff["manager"], publish=False)
    for reader in (users.employee_a, users.inspector_a, staff["dept_head_a"]):
        assert readable(session, reader) == {published.id}, reader.username
        with pytest.raises(NotFound):
            service.get_row(session, KB, reader, draft.id)
    assert {published.id, draft.id} <= readable(session, staff["manager"])
    session.refresh(published)
    assert (published.published_on, draft.published_on) == (site_today(), None)
    assert [(e.to_state, e.action) for e in events(session, "kb_document", published.id)] == [
        ("draft", "draft_article"),
        ("published", "publish"),
    ]


def test_an_article_for_one_department_reaches_only_that_department(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    doc = article(session, org, staff["manager"], publish=True)
    set_audience(session, KB, staff["manager"], doc.id, AudienceList(departments=(org.dept_b,)))
    assert doc.id in readable(session, users.inspector_b)
    assert doc.id not in readable(session, users.employee_a)


def test_a_withdrawn_article_disappears_for_readers(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    doc = article(session, org, staff["manager"], publish=True)
    with pytest.raises(ValidationFailed):  # withdrawing says why
        fire(session, KB_FLOW, doc.id, "withdraw", staff["manager"])
    fire(session, KB_FLOW, doc.id, "withdraw", staff["manager"], comment="制度已修订")
    assert doc.id not in readable(session, users.employee_a)


def test_readers_cannot_publish_and_the_state_is_not_edited(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    doc = article(session, org, staff["manager"], publish=False)
    with pytest.raises(NotFound):  # a draft is not even there for a reader
        fire(session, KB_FLOW, doc.id, "publish", staff["dept_head_a"])
    fire(session, KB_FLOW, doc.id, "publish", staff["manager"])
    with pytest.raises(PermissionDenied):
        fire(session, KB_FLOW, doc.id, "withdraw", users.employee_a, comment="不想看")
    with pytest.raises(ValidationFailed) as err:
        service.update_row(session, KB, staff["manager"], doc.id, {"state": "withdrawn"})
    assert err.value.problems[0].key == "validation.state_by_workflow"
    raw = {"title": "直接发布", "category": "faq", "state": DocumentState.PUBLISHED}
    with pytest.raises(ValidationFailed):
        service.create_row(session, KB, staff["manager"], raw)


def test_an_employee_reads_the_regulation_library(session: Session, users: Users) -> None:
    spec = get_spec("regulation")
    n = serial()
    law = make(session, "regulation", SYSTEM, code=f"LAW{n}", title="中华人民共和国安全生产法")
    assert service.get_row(session, spec, users.employee_a, law.id).title == law.title
    listed = service.list_rows(session, spec, users.employee_a, service.ListQuery())
    assert law.id in {r.id for r in listed.rows}


def test_articles_are_published_only_through_publishing() -> None:
    assert_final_only_through(KB_FLOW, {"published"}, {"publish"})


# --- the self-assessment --------------------------------------------------------------------


def assessment(session: Session, org: Org, actor: Actor) -> AssessmentResult:
    template = make(session, "assessment_template", SYSTEM, name=f"自评模板{serial()}")
    make(session, "assessment_item", SYSTEM, template_id=template.id, code="1.1",
         element="目标职责", requirement="制定安全生产目标", max_score=10)  # fmt: skip
    return make(session, "assessment_result", actor, template_id=template.id, period="2026",
                enterprise_id=org.ent1, scores={"1.1": 8})  # fmt: skip


def test_assessment_is_submitted_and_reviewed_with_one_event_per_step(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    result = assessment(session, org, staff["manager"])
    fire(session, ASSESSMENT_FLOW, result.id, "submit", staff["manager"])
    fire(session, ASSESSMENT_FLOW, result.id, "review", users.safety_head)
    session.refresh(result)
    assert result.state == AssessmentState.REVIEWED
    assert [
        (e.from_state, e.to_state, e.action)
        for e in events(session, "assessment_result", result.id)
    ] == [
        (None, "draft", "start_assessment"),
        ("draft", "submitted", "submit"),
        ("submitted", "reviewed", "review"),
    ]
    with pytest.raises(PermissionDenied) as err:
        service.update_row(session, RESULTS, users.safety_head, result.id, {"scores": {"1.1": 10}})
    assert err.value.key == "error.record_locked"


def test_a_returned_assessment_goes_back_to_draft_with_the_reason(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    result = assessment(session, org, staff["manager"])
    fire(session, ASSESSMENT_FLOW, result.id, "submit", staff["manager"])
    with pytest.raises(ValidationFailed):
        fire(session, ASSESSMENT_FLOW, result.id, "return", users.safety_head)
    fire(session, ASSESSMENT_FLOW, result.id, "return", users.safety_head, comment="缺少佐证")
    session.refresh(result)
    assert result.state == AssessmentState.DRAFT
    assert events(session, "assessment_result", result.id)[-1].comment == "缺少佐证"
    service.update_row(session, RESULTS, staff["manager"], result.id, {"scores": {"1.1": 10}})


def test_assessment_refusals_are_translated(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    result = assessment(session, org, staff["manager"])
    with pytest.raises(IllegalTransition) as err:
        fire(session, ASSESSMENT_FLOW, result.id, "review", users.safety_head)
    assert "草稿" in err.value.message("zh-CN") and "Draft" in err.value.message("en")
    fire(session, ASSESSMENT_FLOW, result.id, "submit", staff["manager"])
    with pytest.raises(PermissionDenied) as denied:  # the safety manager scores, not reviews
        fire(session, ASSESSMENT_FLOW, result.id, "review", staff["manager"])
    assert "审核" in denied.value.message("zh-CN")
    with pytest.raises(ValidationFailed) as bad:
        service.update_row(session, RESULTS, staff["manager"], result.id, {"state": "reviewed"})
    assert bad.value.problems[0].key == "validation.state_by_workflow"
    assert len(events(session, "assessment_result", result.id)) == 2


def test_assessment_is_reviewed_only_through_review() -> None:
    assert_final_only_through(ASSESSMENT_FLOW, {"reviewed"}, {"review"})
