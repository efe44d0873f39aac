"""Admin-defined custom fields through the CRUD engine: where they appear, how their values
are validated, searched, filtered, exported and imported."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session

from core.crud import excel, service
from core.crud.custom import effective_fields
from core.crud.registry import get_spec
from core.crud.service import ListQuery, ValidationFailed
from models.org import Person
from tests import factories
from tests.factories import Org, Users

PERSON = get_spec("person")
ENTERPRISE = get_spec("enterprise")
CUSTOM_FIELD = get_spec("custom_field")


def _problems(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {p.field: p.key for p in excinfo.value.problems}


@pytest.fixture
def custom_fields(session: Session, users: Users) -> list[str]:
    """An admin adds four fields to the person table, one of each kind."""
    defs = [
        {"code": "badge", "label_zh": "工牌号", "label_en": "Badge", "kind": "text"},
        {"code": "height", "label_zh": "身高", "label_en": "Height", "kind": "number"},
        {"code": "medical_on", "label_zh": "体检日期", "label_en": "Medical on", "kind": "date"},
        {
            "code": "blood",
            "label_zh": "血型",
            "label_en": "Blood type",
            "kind": "choice",
            "choices": "A, B, O, AB",
        },
    ]
    for position, d in enumerate(defs):
        service.create_row(
            session, CUSTOM_FIELD, users.admin, {"table_name": "person", "position": position, **d}
        )
    return ["extra." + d["code"] for d in defs]


class TestCustomFields:
    def test_appear_after_the_declared_fields(
        self, session: Session, custom_fields: list[str]
    ) -> None:
        specs = effective_fields(session, PERSON)

        assert [f.name for f in specs[-4:]] == custom_fields
        assert [f.label_in("zh-CN") for f in specs[-4:]] == ["工牌号", "身高", "体检日期", "血型"]
        assert specs[-1].choices == ("A", "B", "O", "AB")
        assert effective_fields(session, ENTERPRISE) == ENTERPRISE.fields

    def test_values_are_validated_and_kept_in_extra(
        self, session: Session, org: Org, users: Users, custom_fields
    ) -> None:
        row = service.create_row(
            session,
            PERSON,
            users.admin,
            {
                "name": "吴刚",
                "enterprise_id": org.ent1,
                "extra.badge": "G-001",
                "extra.height": "175.5",
                "extra.medical_on": "2025/03/01",
                "extra.blood": "O",
            },
        )
        service.update_row(session, PERSON, users.admin, row.id, {"extra.badge": "G-002"})
        session.commit()

        stored = session.get(Person, row.id)
        assert stored.extra == {
            "badge": "G-002",
            "height": 175.5,
            "medical_on": "2025-03-01",
            "blood": "O",
        }
        change = service.history(session, PERSON, users.admin, row.id)[0]
        assert change.before["extra"]["badge"] == "G-001"

    def test_bad_custom_values_name_their_field(
        self, session: Session, org: Org, users: Users, custom_fields
    ) -> None:
        with pytest.raises(ValidationFailed) as excinfo:
            service.create_row(
                session,
                PERSON,
                users.admin,
                {
                    "name": "吴刚",
                    "enterprise_id": org.ent1,
                    "extra.height": "tall",
                    "extra.medical_on": "yesterday",
                    "extra.blood": "C",
                },
            )

        assert _problems(excinfo) == {
            "extra.height": "validation.not_number",
            "extra.medical_on": "validation.not_date",
            "extra.blood": "validation.bad_choice",
        }

    def test_filter_by_choice_and_date(
        self, session: Session, org: Org, users: Users, custom_fields
    ) -> None:
        for name, blood, medical in [
            ("甲", "O", "2025-01-10"),
            ("乙", "A", "2025-02-10"),
            ("丙", "O", "2025-03-10"),
        ]:
            factories.person(
                session,
                org.ent1,
                org.dept_a,
                name=name,
                **{"extra.blood": blood, "extra.medical_on": medical},
            )

        def names(**filters) -> set[str]:
            page = service.list_rows(session, PERSON, users.admin, ListQuery(filters=filters))
            return {r.name for r in page.rows}

        assert names(**{"extra.blood": "O"}) == {"甲", "丙"}
        assert names(**{"extra.blood": ["A", "O"]}) == {"甲", "乙", "丙"}
        assert names(**{"extra.medical_on": ("2025-02-01", "2025-03-31")}) == {"乙", "丙"}

    def test_shown_in_export(self, session: Session, org: Org, users: Users, custom_fields) -> None:
        factories.person(
            session,
            org.ent1,
            org.dept_a,
            name="郑爽",
            **{"extra.badge": "G-9", "extra.blood": "AB"},
        )

        data = excel.export(session, PERSON, users.admin, ListQuery(search="郑爽"), "csv", "en")

        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert [(r["Name"], r["Badge"], r["Blood type"], r["Height"]) for r in rows] == [
            ("郑爽", "G-9", "AB", ""),
        ]

    def test_required_custom_field_must_be_filled(
        self, session: Session, org: Org, users: Users
    ) -> None:
        service.create_row(
            session,
            CUSTOM_FIELD,
            users.admin,
            {
                "table_name": "person",
                "code": "id_card",
                "label_zh": "身份证号",
                "label_en": "ID card",
                "kind": "text",
                "required": True,
            },
        )

        with pytest.raises(ValidationFailed) as excinfo:
            service.create_row(
                session, PERSON, users.admin, {"name": "x", "enterprise_id": org.ent1}
            )

        assert _problems(excinfo) == {"extra.id_card": "validation.required"}

    @pytest.mark.parametrize(
        ("values", "problem"),
        [
            ({"code": "1st", "kind": "text"}, {"code": "validation.bad_code"}),
            ({"code": "体检", "kind": "text"}, {"code": "validation.bad_code"}),
            ({"code": "level", "kind": "choice"}, {"choices": "validation.choices_needed"}),
        ],
    )
    def test_field_definitions_are_checked(
        self, session: Session, users: Users, values: dict, problem: dict
    ) -> None:
        raw = {"table_name": "person", "label_zh": "x", "label_en": "x", **values}

        with pytest.raises(ValidationFailed) as excinfo:
            service.create_row(session, CUSTOM_FIELD, users.admin, raw)

        assert _problems(excinfo) == problem

    def test_field_codes_are_unique_per_table(
        self, session: Session, users: Users, custom_fields
    ) -> None:
        with pytest.raises(ValidationFailed) as excinfo:
            service.create_row(
                session,
                CUSTOM_FIELD,
                users.admin,
                {
                    "table_name": "person",
                    "code": "badge",
                    "label_zh": "x",
                    "label_en": "x",
                },
            )

        assert _problems(excinfo) == {"code": "validation.duplicate"}
