"""Compliance workflows: knowledge-base articles are published to their audience (drafts stay
with the editors), and a self-assessment is drafted, submitted and reviewed.

A self-assessment is scored by its assessors (compliance edit grant) and reviewed by someone
who may approve for the module; a returned one goes back to draft with the reason, a
reviewed one is archived.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from core.clock import site_today
from core.rbac import Actor
from core.workflow import Transition, Workflow, declare, opener, publishing_flow
from models.compliance import KbDocument
from models.compliance_assessment import AssessmentState as S
from models.enums import Action
from models.workflow import WorkflowEvent


def _stamp_publication(
    session: Session, doc: KbDocument, event: WorkflowEvent, actor: Actor
) -> None:
    """An article shows the day it was first published (an older date typed in is kept)."""
    if event.action == "publish" and doc.published_on is None:
        doc.published_on = site_today()
        session.add(doc)
        session.flush()


KB_FLOW = declare(replace(publishing_flow("kb_document"), on_change=_stamp_publication))

ASSESSMENT_FLOW = declare(
    Workflow(
        table="assessment_result",
        transitions=(
            Transition("submit", (S.DRAFT,), S.SUBMITTED, Action.EDIT),
            Transition("review", (S.SUBMITTED,), S.REVIEWED, Action.APPROVE),
            Transition("return", (S.SUBMITTED,), S.DRAFT, Action.APPROVE, comment_required=True),
        ),
    )
)


article_opened = opener("kb_document", "draft_article")


assessment_opened = opener("assessment_result", "start_assessment")
