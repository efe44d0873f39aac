"""CRUD declarations for the training (教育培训) module."""

from __future__ import annotations

from functools import partial

from core.crud.fields import COMPUTED, DERIVED, TAGS, TEXTAREA
from core.crud.fields import fields as _fields
from core.crud.registry import TableSpec, register
from core.rbac import REFERENCE_SCOPE, Audience, ScopeColumns
from core.training.flow import PLAN_FINISHED, course_opened, plan_opened
from core.training.paper_rules import before_rule
from core.training.rules import (
    before_certificate,
    before_paper,
    before_person_row,
    before_question,
    typed_exam_record,
)
from models.enums import Action, Module
from models.training import (
    TrainingCertificate,
    TrainingCourse,
    TrainingCourseType,
    TrainingPlan,
    TrainingRecord,
)
from models.training_exam import ExamPaper, ExamPaperRule, ExamRecord, Question

HIDDEN = {"in_list": False}
STATE = {**COMPUTED, "filter": True}
#: Person-linked records: their subject reads them, whoever entered them.
ABOUT_PERSON = ScopeColumns(about="person_id")
# Module-specific label keys for columns whose generic key (field.<column>) other modules use.
LABELS = {
    "teacher": "field.course_teacher",
    "material_url": "field.course_material",
    "planned_on": "field.plan_date",
    "options": "field.question_options",
    "answer": "field.question_answer",
    "analysis": "field.question_analysis",
    "difficulty": "field.question_difficulty",
    "started_at": "field.exam_started_at",
    "submitted_at": "field.exam_submitted_at",
    "passed": "field.exam_passed",
    "answers": "field.exam_answers",
    "trainer": "field.trainer",
    "location": "field.training_location",
    "reviewed_on": "field.certificate_reviewed_on",
    "review_due_on": "field.certificate_review_due_on",
    "stem": "field.question_stem",
    "plan_id": "field.training_plan",
    "total_score": "field.paper_total_score",
    "pass_score": "field.paper_pass_score",
    "category": "field.question_category",
}


fields = partial(_fields, label_keys=LABELS)


TRAINING_COURSE_TYPE = register(
    TableSpec(
        name="training_course_type",
        model=TrainingCourseType,
        module=Module.TRAINING,
        page="pages/training_course_type.py",
        nav_group="nav.reference",
        fields=fields(
            TrainingCourseType,
            "code",
            "name",
            "name_en",
            "min_hours",
            "refresher_hours",
            "description",
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "name", "name_en"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "TT{n}"},
    )
)

TRAINING_COURSE = register(
    TableSpec(
        name="training_course",
        model=TrainingCourse,
        module=Module.TRAINING,
        page="pages/training_course.py",
        fields=fields(
            TrainingCourse,
            "name",
            "course_type_id",
            "hours",
            "level",
            "mandatory",
            "tags",
            "target_posts",
            "teacher",
            "material_url",
            "enterprise_id",
            "department_id",
            "description",
            "state",
            name={"label": "field.course_name"},
            course_type_id={"filter": True},
            hours={"label": "field.training_hours"},
            level={"filter": True, "label": "field.course_level"},
            mandatory={"filter": True, "label": "field.training_mandatory"},
            tags={"kind": TAGS, "label": "field.training_tags"},
            target_posts={"kind": TAGS},
            # replaced by the course's materials (course_material); old links stay readable
            material_url={**HIDDEN, "in_form": False},
            enterprise_id={"filter": True},
            department_id={"in_list": False},
            description={"kind": TEXTAREA, "in_list": False},
            state={**STATE, "label": "field.course_state"},
        ),
        search=("name", "teacher"),
        default_sort=("name", False),
        # course materials: published to their audience, drafts seen by the editors
        scope=ScopeColumns(audience=Audience()),
        after_create=course_opened,
        state_field="state",
    )
)

TRAINING_PLAN = register(
    TableSpec(
        name="training_plan",
        model=TrainingPlan,
        module=Module.TRAINING,
        page="pages/training_plan.py",
        fields=fields(
            TrainingPlan,
            "name",
            "period",
            "course_id",
            "planned_on",
            "enterprise_id",
            "department_id",
            "post_id",
            "planned_people",
            "mandatory",
            "state",
            name={"label": "field.plan_name"},
            period={"filter": True, "label": "field.plan_period"},
            course_id={"filter": True},
            planned_on={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            post_id={"filter": True, "in_list": False},
            mandatory={"filter": True, "label": "field.training_mandatory"},
            state={**STATE, "label": "field.plan_state"},
        ),
        search=("name",),
        default_sort=("planned_on", True),
        after_create=plan_opened,
        state_field="state",
        locked=lambda plan: plan.state in PLAN_FINISHED,
    )
)

QUESTION = register(
    TableSpec(
        name="question",
        model=Question,
        module=Module.TRAINING,
        page="pages/training_question.py",
        fields=fields(
            Question,
            "code",
            "kind",
            "stem",
            "options",
            "answer",
            "analysis",
            "tags",
            "category",
            "difficulty",
            code={"label": "field.question_code"},
            kind={"filter": True, "label": "field.question_kind"},
            stem={"kind": TEXTAREA},
            options={"kind": TAGS, "in_list": False},
            # the answer key is read by the bank's editors only (core.crud.readers)
            answer={"read_action": Action.EDIT},
            analysis={"kind": TEXTAREA, "in_list": False, "read_action": Action.EDIT},
            tags={"kind": TAGS, "label": "field.training_tags"},
            difficulty={"filter": True},
        ),
        search=("code", "stem", "analysis"),
        title_field="code",
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        before_save=before_question,
        example={"code": "Q{n}", "kind": "true_false", "answer": "T", "options": []},
    )
)

EXAM_PAPER = register(
    TableSpec(
        name="exam_paper",
        model=ExamPaper,
        module=Module.TRAINING,
        page="pages/training_exam_paper.py",
        fields=fields(
            ExamPaper,
            "name",
            "course_id",
            "duration_minutes",
            "total_score",
            "pass_score",
            "shuffle_questions",
            "shuffle_options",
            "attempts_allowed",
            "grace_seconds",
            "show_answers_after_submit",
            "partial_credit",
            "question_ids",
            "certificate_months",
            "contractor_entry",
            "enterprise_id",
            "department_id",
            name={"label": "field.paper_name"},
            course_id={"filter": True},
            grace_seconds={"in_list": False},
            show_answers_after_submit={"in_list": False},
            partial_credit={"in_list": False},
            question_ids={"in_list": False},
            certificate_months={"in_list": False, "label": "field.paper_certificate_months"},
            contractor_entry={"filter": True, "label": "field.paper_contractor_entry"},
            enterprise_id={"filter": True},
            department_id={"in_list": False},
        ),
        search=("name",),
        default_sort=("name", False),
        before_save=before_paper,
        example={"total_score": 100.0, "pass_score": 60.0},
    )
)

#: A rule-set paper's lines (per category and kind: how many questions, points each), opened
#: from the paper's detail page.
EXAM_PAPER_RULE = register(
    TableSpec(
        name="exam_paper_rule",
        parent="paper_id",
        model=ExamPaperRule,
        module=Module.TRAINING,
        page="pages/training_exam_paper_rule.py",
        fields=fields(
            ExamPaperRule,
            "paper_id",
            "position",
            "category",
            "kind",
            "count",
            "points_each",
            paper_id={"filter": True},
            kind={"filter": True, "label": "field.question_kind"},
            count={"label": "field.rule_count"},
            points_each={"label": "field.rule_points_each"},
        ),
        search=("category",),
        title_field="id",
        default_sort=("position", False),
        scope=REFERENCE_SCOPE,
        before_save=before_rule,  # the rules' points may not pass the paper's total
    )
)

EXAM_RECORD = register(
    TableSpec(
        name="exam_record",
        model=ExamRecord,
        module=Module.TRAINING,
        page="pages/training_exam_record.py",
        fields=fields(
            ExamRecord,
            "exam_no",
            "person_id",
            "paper_id",
            "attempt",
            "started_at",
            "submitted_at",
            "score",
            "passed",
            "answers",
            "offline",
            "enterprise_id",
            "department_id",
            person_id={"filter": True},
            paper_id={"filter": True},
            attempt={"label": "field.exam_attempt"},
            started_at={"filter": True},
            score={"label": "field.exam_score"},
            passed=DERIVED,
            answers={"in_list": False},
            offline={"filter": True, "label": "field.exam_offline"},
            enterprise_id=DERIVED,
            department_id={**DERIVED, "in_list": False},
        ),
        search=("exam_no",),
        title_field="exam_no",
        default_sort=("started_at", True),
        scope=ABOUT_PERSON,
        # written by the exam engine and the offline score import only, never typed or edited
        allow_create=False,
        before_save=typed_exam_record,
        locked=lambda _record: True,
    )
)

TRAINING_RECORD = register(
    TableSpec(
        name="training_record",
        model=TrainingRecord,
        module=Module.TRAINING,
        page="pages/training_record.py",
        fields=fields(
            TrainingRecord,
            "person_id",
            "course_id",
            "plan_id",
            "trained_on",
            "hours",
            "result",
            "score",
            "trainer",
            "location",
            "exam_record_id",
            "enterprise_id",
            "department_id",
            person_id={"filter": True},
            course_id={"filter": True},
            # written by course completion from the passed exam: shown, never typed
            exam_record_id={**COMPUTED, "in_io": False, "in_list": False},
            location={"in_list": False},
            plan_id={"in_list": False},
            trained_on={"filter": True},
            hours={"label": "field.training_hours"},
            result={"filter": True, "label": "field.training_result"},
            score={"label": "field.exam_score"},
            enterprise_id=DERIVED,
            department_id={**DERIVED, "in_list": False},
        ),
        search=("trainer", "location"),
        title_field="id",
        default_sort=("trained_on", True),
        scope=ABOUT_PERSON,
        before_save=before_person_row,
    )
)

TRAINING_CERTIFICATE = register(
    TableSpec(
        name="training_certificate",
        model=TrainingCertificate,
        module=Module.TRAINING,
        page="pages/training_certificate.py",
        fields=fields(
            TrainingCertificate,
            "number",
            "person_id",
            "kind",
            "course_id",
            "issued_on",
            "expires_on",
            "review_due_on",
            "reviewed_on",
            "exam_record_id",
            "enterprise_id",
            "department_id",
            kind={"filter": True, "label": "field.training_certificate_kind"},
            # issued by a passed exam (core.training.certify): shown, never typed
            exam_record_id={**COMPUTED, "in_io": False, "in_list": False},
            person_id={"filter": True},
            course_id={"in_list": False},
            expires_on={"filter": True},
            review_due_on={**COMPUTED, "filter": True},
            enterprise_id=DERIVED,
            department_id={**DERIVED, "in_list": False},
        ),
        search=("number",),
        title_field="number",
        default_sort=("expires_on", False),
        scope=ABOUT_PERSON,
        before_save=before_certificate,
    )
)

# The module's other registers, declared beside the code that runs them.
from core.training import specs_assign, specs_practice, specs_study  # noqa: E402, F401
