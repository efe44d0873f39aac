"""The CRUD engine as a list page and a form use it: search, filters, sort, pages, soft delete,
history, field-by-field validation messages and unique codes (custom fields:
``tests/test_crud_custom_fields.py``)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

from core.crud import excel, service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, NotFound, ValidationFailed
from core.rbac import PermissionDenied
from models.org import Person
from models.risk import ScoringScheme
from tests import factories
from tests.factories import Org, Users
from tests.test_excel import xlsx

PERSON = get_spec("person")
ENTERPRISE = get_spec("enterprise")
DEPARTMENT = get_spec("department")
CUSTOM_FIELD = get_spec("custom_field")
CROWD = 23


@pytest.fixture
def crowd(session: Session, org: Org) -> tuple[int, list[Person]]:
    """A warehouse department of enterprise 2 with 23 people: every fourth has left, one hired
    on the first of each month of 2024 (months repeat after December)."""
    dept = factories.department(session, org.ent2, "仓储部")
    people = [
        factories.person(
            session,
            org.ent2,
            dept.id,
            name=f"仓管{i:02d}",
            employee_no=f"W{i:03d}",
            hired_on=date(2024, i % 12 + 1, 1),
            status="left" if i % 4 == 0 else "active",
            gender="female" if i % 2 else "male",
        )
        for i in range(CROWD)
    ]
    return dept.id, people


def _list(session: Session, actor, dept: int, **query) -> service.Page:
    filters = {"department_id": dept, **query.pop("filters", {})}
    return service.list_rows(session, PERSON, actor, ListQuery(filters=filters, **query))


def _problems(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {p.field: p.key for p in excinfo.value.problems}


class TestSearch:
    def test_finds_by_name_or_employee_no(self, session: Session, org: Org, users: Users) -> None:
        number = service.get_row(session, PERSON, users.admin, org.person_b).employee_no

        by_name = service.list_rows(session, PERSON, users.admin, ListQuery(search="张伟"))
        by_no = service.list_rows(session, PERSON, users.admin, ListQuery(search=number))

        assert [r.name for r in by_name.rows] == ["张伟"]
        assert [r.name for r in by_no.rows] == ["王强"]

    def test_searches_part_of_a_word_ignoring_case(
        self, session: Session, users: Users, crowd
    ) -> None:
        page = service.list_rows(session, PERSON, users.admin, ListQuery(search="w02"))

        assert sorted(r.employee_no for r in page.rows) == ["W020", "W021", "W022"]

    def test_wildcards_are_taken_literally(self, session: Session, org: Org, users: Users) -> None:
        factories.person(session, org.ent1, org.dept_a, name="考核100%合格")

        percent = service.list_rows(session, PERSON, users.admin, ListQuery(search="%"))
        underscore = service.list_rows(session, PERSON, users.admin, ListQuery(search="_"))

        assert [r.name for r in percent.rows] == ["考核100%合格"]
        assert underscore.total == 0


class TestFilters:
    def test_choice_value_and_list(self, session: Session, users: Users, crowd) -> None:
        dept, people = crowd

        left = _list(session, users.admin, dept, filters={"status": "left"})
        both = _list(session, users.admin, dept, filters={"status": ["active", "left"]})

        assert left.total == len([p for p in people if p.status == "left"]) == 6
        assert {r.status for r in left.rows} == {"left"}
        assert both.total == CROWD

    def test_date_range_is_inclusive(self, session: Session, users: Users, crowd) -> None:
        dept, people = crowd
        low, high = date(2024, 3, 1), date(2024, 5, 1)

        page = _list(session, users.admin, dept, filters={"hired_on": (low, high)})
        open_ended = _list(
            session, users.admin, dept, filters={"hired_on": (date(2024, 11, 1), None)}
        )

        assert page.total == len([p for p in people if low <= p.hired_on <= high]) == 6
        assert {r.hired_on for r in open_ended.rows} == {date(2024, 11, 1), date(2024, 12, 1)}

    def test_empty_filter_values_are_ignored(self, session: Session, users: Users, crowd) -> None:
        dept, _ = crowd

        page = _list(
            session, users.admin, dept, filters={"status": "", "gender": [], "phone": None}
        )

        assert page.total == CROWD


class TestSortAndPages:
    def test_default_sort_is_by_name(self, session: Session, users: Users, crowd) -> None:
        dept, _ = crowd

        names = [r.name for r in _list(session, users.admin, dept).rows]

        assert names == sorted(names)

    def test_sort_descending_by_date_then_newest_first(
        self, session: Session, users: Users, crowd
    ) -> None:
        dept, _ = crowd

        rows = _list(session, users.admin, dept, sort="hired_on", descending=True).rows

        assert [r.hired_on for r in rows] == sorted((r.hired_on for r in rows), reverse=True)
        ties = [r.id for r in rows if r.hired_on == date(2024, 1, 1)]
        assert ties == sorted(ties, reverse=True)  # stable order between equal dates

    @pytest.mark.parametrize("sort_matches_below", [0, 10_000])
    def test_order_is_the_same_whether_sorted_or_read_from_an_index(
        self, session: Session, users: Users, crowd, monkeypatch, sort_matches_below: int
    ) -> None:
        """A search with few matches is sorted rather than read in index order (a SQLite
        speed-up); both ways must give the same pages."""
        dept, people = crowd
        monkeypatch.setattr(service, "SORT_MATCHES_BELOW", sort_matches_below)

        pages = [
            _list(session, users.admin, dept, search="仓管", page=n, page_size=10).rows
            for n in (1, 2, 3)
        ]

        expected = sorted(people, key=lambda p: (p.name, -p.id))
        assert [r.id for rows in pages for r in rows] == [p.id for p in expected]

    def test_pages_cover_every_row_once(self, session: Session, users: Users, crowd) -> None:
        dept, people = crowd

        pages = [_list(session, users.admin, dept, page=n, page_size=10) for n in (1, 2, 3, 4)]

        assert [p.total for p in pages] == [CROWD] * 4
        assert [p.pages for p in pages] == [3] * 4
        assert [len(p.rows) for p in pages] == [10, 10, 3, 0]
        seen = [r.id for p in pages for r in p.rows]
        assert sorted(seen) == sorted(p.id for p in people)

    def test_page_below_one_means_first(self, session: Session, users: Users, crowd) -> None:
        dept, _ = crowd

        assert _list(session, users.admin, dept, page=0, page_size=5).page == 1


class TestSoftDelete:
    def test_delete_hides_and_restore_shows(self, session: Session, users: Users, crowd) -> None:
        dept, people = crowd
        victim = people[5].id

        service.soft_delete(session, PERSON, users.admin, victim)
        hidden = _list(session, users.admin, dept)
        bin_ = _list(session, users.admin, dept, deleted=True)

        assert hidden.total == CROWD - 1
        assert victim not in {r.id for r in hidden.rows}
        assert [r.id for r in bin_.rows] == [victim]
        assert service.get_row(session, PERSON, users.admin, victim).deleted_at is not None
        with pytest.raises(NotFound):
            service.update_row(session, PERSON, users.admin, victim, {"phone": "1"})

        service.restore(session, PERSON, users.admin, victim)
        assert _list(session, users.admin, dept).total == CROWD
        assert _list(session, users.admin, dept, deleted=True).total == 0

    def test_deleting_twice_writes_one_entry(
        self, session: Session, org: Org, users: Users
    ) -> None:
        service.soft_delete(session, PERSON, users.admin, org.person_a2)
        service.soft_delete(session, PERSON, users.admin, org.person_a2)

        actions = [e.action for e in service.history(session, PERSON, users.admin, org.person_a2)]
        assert actions.count("delete") == 1

    def test_only_deleters_see_the_bin(self, session: Session, users: Users) -> None:
        with pytest.raises(PermissionDenied):
            service.list_rows(session, PERSON, users.inspector_a, ListQuery(deleted=True))


class TestHistory:
    def test_lists_create_and_update_with_before_and_after(
        self, session: Session, org: Org, users: Users
    ) -> None:
        row = factories.person(session, org.ent1, org.dept_a, name="孙丽", phone="13900000000")
        service.update_row(
            session, PERSON, users.inspector_a, row.id, {"phone": "13911111111", "status": "left"}
        )
        service.update_row(session, PERSON, users.inspector_a, row.id, {"phone": "13911111111"})

        entries = service.history(session, PERSON, users.inspector_a, row.id)

        assert [e.action for e in entries] == ["update", "create"]  # newest first; no-op skipped
        update, create = entries
        assert update.before == {"phone": "13900000000", "status": "active"}
        assert update.after == {"phone": "13911111111", "status": "left"}
        assert update.actor_name == "inspector_a"
        assert create.after["name"] == "孙丽"
        assert create.before is None


class TestValidation:
    def test_every_bad_field_is_reported_and_nothing_saved(
        self, session: Session, org: Org, users: Users
    ) -> None:
        before = session.exec(select(func.count()).select_from(Person)).one()
        with pytest.raises(ValidationFailed) as excinfo:
            service.create_row(
                session,
                PERSON,
                users.admin,
                {
                    "name": "  ",
                    "enterprise_id": org.ent1,
                    "hired_on": "2024-13-45",
                    "gender": "unknown",
                    "phone": "1" * 31,
                    "status": "离职",
                },
            )

        assert _problems(excinfo) == {
            "name": "validation.required",
            "hired_on": "validation.not_date",
            "gender": "validation.bad_choice",
            "phone": "validation.too_long",
        }
        messages = {p.field: p.message("en") for p in excinfo.value.problems}
        assert messages["hired_on"] == "“2024-13-45” is not a valid date (e.g. 2026-01-31)"
        assert messages["gender"] == "“unknown” is not one of: 男、女"
        assert messages["phone"] == "At most 30 characters"
        assert excinfo.value.message("en") == "4 fields need attention"
        assert session.exec(select(func.count()).select_from(Person)).one() == before

    @pytest.mark.parametrize(
        ("field", "value", "key"),
        [
            ("employees", "-1", "validation.below_min"),
            ("employees", "abc", "validation.not_number"),
            ("employees", "1.5", "validation.not_integer"),
            ("longitude", 200, "validation.above_max"),
            ("risk_level", "extreme", "validation.bad_choice"),
            ("code", "", "validation.required"),
        ],
    )
    def test_number_and_choice_rules(
        self, session: Session, users: Users, field: str, value, key: str
    ) -> None:
        raw = {"name": "新企业", "code": "91000000TEST00001", field: value}

        with pytest.raises(ValidationFailed) as excinfo:
            service.create_row(session, ENTERPRISE, users.admin, raw)

        assert _problems(excinfo) == {field: key}

    def test_labels_and_chinese_dates_are_understood(
        self, session: Session, org: Org, users: Users
    ) -> None:
        row = service.create_row(
            session,
            PERSON,
            users.admin,
            {
                "name": "周杰",
                "enterprise_id": org.ent1,
                "department_id": "铸造车间",
                "hired_on": "2023年4月1日",
                "gender": "男",
                "status": "Left",
            },
        )

        assert (row.department_id, row.hired_on) == (org.dept_b, date(2023, 4, 1))
        assert (row.gender, row.status) == ("male", "left")


class TestUnique:
    def test_duplicate_code_is_named(self, session: Session, org: Org, users: Users) -> None:
        taken = service.get_row(session, ENTERPRISE, users.admin, org.ent1).code

        with pytest.raises(ValidationFailed) as created:
            service.create_row(session, ENTERPRISE, users.admin, {"name": "重复", "code": taken})
        with pytest.raises(ValidationFailed) as updated:
            service.update_row(session, ENTERPRISE, users.admin, org.ent2, {"code": taken})

        for excinfo in (created, updated):
            assert _problems(excinfo) == {"code": "validation.duplicate"}
            assert excinfo.value.problems[0].message("zh-CN") == f"“{taken}”已存在"

    def test_keeping_your_own_code_is_fine(self, session: Session, org: Org, users: Users) -> None:
        own = service.get_row(session, ENTERPRISE, users.admin, org.ent1).code

        row = service.update_row(
            session, ENTERPRISE, users.admin, org.ent1, {"code": own, "phone": "0512-1234567"}
        )

        assert row.phone == "0512-1234567"

    def test_department_names_are_unique_within_an_enterprise(
        self, session: Session, org: Org, users: Users
    ) -> None:
        with pytest.raises(ValidationFailed) as excinfo:
            service.create_row(
                session, DEPARTMENT, users.admin, {"name": "机修车间", "enterprise_id": org.ent1}
            )
        with pytest.raises(ValidationFailed) as renamed:
            service.update_row(session, DEPARTMENT, users.admin, org.dept_b, {"name": "机修车间"})

        assert _problems(excinfo) == _problems(renamed) == {"name": "validation.duplicate"}
        other = service.create_row(
            session, DEPARTMENT, users.admin, {"name": "机修车间", "enterprise_id": org.ent2}
        )
        assert other.enterprise_id == org.ent2


class TestNewRowDefaults:
    """A tickbox nobody touched is the model's default, not False: a new plan item follows
    joiners, a scoring scheme imported without an "active" column is active."""

    def test_a_new_rows_tickbox_starts_at_the_model_default(
        self, session: Session, users: Users
    ) -> None:
        spec = get_spec("training_plan_item")
        follow = next(f for f in spec.fields if f.name == "follow_joiners")
        assert follow.default is True
        raw = {"position": 1, "due_days": 30}
        for given, expected in (({}, True), ({"follow_joiners": ""}, True),
                                ({"follow_joiners": False}, False)):  # fmt: skip
            clean, _, _ = service.prepare(
                session, spec, users.admin, {**raw, **given}, partial=False
            )
            assert clean["follow_joiners"] is expected, given
        edit, _, _ = service.prepare(session, spec, users.admin, raw, partial=True)
        assert "follow_joiners" not in edit, "an edit leaves what it was not given"
        shuffle = next(f for f in get_spec("exam_paper").fields if f.name == "shuffle_options")
        person_bools = [f.default for f in PERSON.fields if f.kind == "bool"]
        assert shuffle.default is True and not any(person_bools)

    def test_a_new_rows_form_shows_the_tickbox_ticked(self) -> None:
        def form() -> None:
            from core.crud.registry import get_spec  # the script runs on its own, by name
            from core.rbac import SYSTEM
            from core.ui.forms import form_inputs
            from models.risk import ScoringScheme

            fields = get_spec("scoring_scheme").fields
            form_inputs(None, SYSTEM, fields, None, "new")  # type: ignore[arg-type]
            form_inputs(None, SYSTEM, fields, ScoringScheme(active=False), "edit")  # type: ignore[arg-type]

        at = AppTest.from_function(form, default_timeout=30).run()
        assert not at.exception, at.exception
        assert (at.checkbox(key="new_active").value, at.checkbox(key="edit_active").value) == (
            True,
            False,
        )

    def test_an_import_without_the_column_takes_the_model_default(
        self, session: Session, users: Users
    ) -> None:
        spec = get_spec("scoring_scheme")
        label = {f.name: f.label_in("en") for f in spec.fields}
        header = [label["code"], label["method"], label["name"]]
        data = xlsx(header, [["LEC-9", "lec", "Imported LEC"]])
        report = excel.import_rows(session, spec, users.admin, data, "en")
        assert not report.errors, report.errors
        with_column = xlsx([*header, label["active"]], [["LS-9", "ls", "Retired LS", "No"]])
        report = excel.import_rows(session, spec, users.admin, with_column, "en")
        assert not report.errors, report.errors
        active = dict(session.exec(select(ScoringScheme.code, ScoringScheme.active)).all())
        assert (active["LEC-9"], active["LS-9"]) == (True, False)
