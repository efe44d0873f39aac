"""CRUD declarations for the wrong-answer book, practice answers and the points ledger.

All three are written by the code that keeps them (``wrong_book``, ``practice``, ``points``)
and never typed in or edited: no form creates them and every row is locked, as the duty
module declares its submissions. They are registered so they reach the SQL console and the
exports under the reader's scope (about the person: each person reads their own); they have
no page of their own (``pages/training_practice.py`` and ``training_points.py`` show them).
"""

from __future__ import annotations

from functools import partial

from core.crud.fields import COMPUTED
from core.crud.fields import module_fields as _module_fields
from core.crud.registry import TableSpec, register
from core.rbac import ScopeColumns
from models.enums import Module
from models.training_learning import PointsEntry, PracticeAnswer, WrongAnswer

SHARED = ("person_id", "enterprise_id", "department_id")
READ_ONLY = {**COMPUTED}
FILTERED = {**COMPUTED, "filter": True}
ABOUT_PERSON = ScopeColumns(about="person_id")

fields = partial(_module_fields, prefix="practice", shared=SHARED)


def _locked(_row: object) -> bool:
    """Every row is the record of what happened: never edited or deleted from a form."""
    return True


WRONG_ANSWER = register(
    TableSpec(
        name="wrong_answer",
        model=WrongAnswer,
        module=Module.TRAINING,
        fields=fields(
            WrongAnswer,
            "person_id",
            "question_id",
            "times_wrong",
            "last_wrong_at",
            "last_given",
            "right_in_practice",
            "mastered_at",
            "enterprise_id",
            "department_id",
            person_id=FILTERED,
            question_id=FILTERED,
            times_wrong=READ_ONLY,
            last_wrong_at=FILTERED,
            last_given={**READ_ONLY, "in_list": False},
            right_in_practice=READ_ONLY,
            mastered_at=FILTERED,
            enterprise_id=FILTERED,
            department_id={**READ_ONLY, "in_list": False},
        ),
        search=("last_given",),
        title_field="id",
        default_sort=("last_wrong_at", True),
        scope=ABOUT_PERSON,
        allow_create=False,
        locked=_locked,
    )
)

PRACTICE_ANSWER = register(
    TableSpec(
        name="practice_answer",
        model=PracticeAnswer,
        module=Module.TRAINING,
        fields=fields(
            PracticeAnswer,
            "person_id",
            "question_id",
            "mode",
            "given",
            "correct",
            "answered_at",
            "enterprise_id",
            "department_id",
            person_id=FILTERED,
            question_id=FILTERED,
            mode=FILTERED,
            given=READ_ONLY,
            correct=FILTERED,
            answered_at=FILTERED,
            enterprise_id=FILTERED,
            department_id={**READ_ONLY, "in_list": False},
        ),
        search=("given",),
        title_field="id",
        default_sort=("answered_at", True),
        scope=ABOUT_PERSON,
        allow_create=False,
        locked=_locked,
    )
)

POINTS_ENTRY = register(
    TableSpec(
        name="points_entry",
        model=PointsEntry,
        module=Module.TRAINING,
        fields=fields(
            PointsEntry,
            "person_id",
            "reason",
            "points",
            "earned_at",
            "ref_table",
            "ref_id",
            "enterprise_id",
            "department_id",
            person_id=FILTERED,
            reason=FILTERED,
            points=READ_ONLY,
            earned_at=FILTERED,
            ref_table={**READ_ONLY, "in_list": False},
            ref_id={**READ_ONLY, "in_list": False},
            enterprise_id=FILTERED,
            department_id={**READ_ONLY, "in_list": False},
        ),
        search=("ref_table",),
        title_field="id",
        default_sort=("earned_at", True),
        scope=ABOUT_PERSON,
        allow_create=False,
        locked=_locked,
    )
)
