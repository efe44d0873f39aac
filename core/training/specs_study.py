"""CRUD declarations for course materials: the pieces of a course an editor puts together
(PDF, video and image files as the row's attachments, text in ``body``) and the minimum time
each asks of a learner.

A material has no enterprise of its own: it is reached through its course. Creating one, or
moving it to another course, resolves ``course_id`` in the editor's scope (the CRUD engine's
link check), so nobody attaches material to a course they cannot reach; learners meet
materials only through ``core.training.study``, which first checks that they may read the
course, and its files through ``core.crud.files`` (the attachment scope check).
"""

from __future__ import annotations

from core.crud.fields import TEXTAREA, fields
from core.crud.registry import TableSpec, register
from core.rbac import REFERENCE_SCOPE
from models.enums import Module
from models.training_learning import CourseMaterial

COURSE_MATERIAL = register(
    TableSpec(
        name="course_material",
        parent="course_id",
        model=CourseMaterial,
        module=Module.TRAINING,
        page="pages/training_course_material.py",
        fields=fields(
            CourseMaterial,
            "course_id",
            "position",
            "title",
            "kind",
            "min_minutes",
            "body",
            course_id={"filter": True},
            title={"label": "field.material_title"},
            kind={"filter": True},
            min_minutes={"label": "field.material_min_minutes"},
            body={"kind": TEXTAREA, "in_list": False, "label": "field.material_body"},
        ),
        search=("title", "body"),
        title_field="title",
        default_sort=("position", False),
        # no scope columns of its own: the course's link check and the study functions
        # (core.training.study) decide who reaches a material
        scope=REFERENCE_SCOPE,
    )
)
