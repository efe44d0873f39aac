"""A column declared readable only with a module action (the question bank's answer key) is
shown to the bank's editors and to nobody else: not in the list, its search, sort or filters,
the detail, the export, the history, the audit log nor the SQL console's copy."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from analytics.sql_console import Refused, run_query, schema
from core import audit
from core.crud import excel, present, service, views
from core.crud.readers import readable_fields, unreadable
from core.crud.registry import get_spec
from core.rbac import Actor
from models.system import AuditEntry
from tests.factories import Users

ANSWER = "钢丝绳断丝超标即报废KEY1"
ANALYSIS = "解析：见GB/T5972第6条KEY2"
NEW_ANSWER = "钢丝绳直径减小百分之七报废KEY3"
SECRETS = (ANSWER, ANALYSIS, NEW_ANSWER)
STEM = "钢丝绳何时报废？"


def _reader(actor: Actor) -> Actor:
    """The same account with the training export and the SQL console granted (no edit)."""
    return replace(actor, grants=actor.grants | {("training", "export"), ("analytics", "view")})


@pytest.fixture(scope="module")
def question(engine: Engine, users: Users) -> int:
    """A committed fill-in question a safety manager typed, then corrected (so its history
    holds the old and the new key)."""
    spec = get_spec("question")
    with Session(engine) as s:
        row = service.create_row(
            s,
            spec,
            users.safety_head,
            {"code": "QR-1", "kind": "fill_in", "stem": STEM, "answer": ANSWER,
             "analysis": ANALYSIS, "category": "起重"},
        )  # fmt: skip
        s.flush()
        service.update_row(s, spec, users.safety_head, row.id, {"answer": NEW_ANSWER})
        s.commit()
        return row.id


@pytest.fixture(scope="module")
def people(users: Users) -> dict[str, Actor]:
    """Non-editors: an employee (training view) and the park supervisor (view and export,
    the console and the audit log); the editor: the safety head."""
    return {
        "employee": _reader(users.employee_a),
        "supervisor": users.park_supervisor,
        "editor": users.safety_head,
    }


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_the_declaration_names_the_answer_key(users: Users) -> None:
    spec = get_spec("question")
    assert spec.readers == {"answer": "edit", "analysis": "edit"}
    assert unreadable(spec, users.employee_a) == {"answer", "analysis"}
    assert unreadable(spec, users.safety_head) == frozenset()


@pytest.mark.parametrize("who", ["employee", "supervisor"])
def test_non_editors_never_see_the_key_in_list_detail_or_export(
    engine: Engine, question: int, people: dict[str, Actor], who: str
) -> None:
    spec, actor = get_spec("question"), people[who]
    with Session(engine) as s:
        view = views.list_view(
            s, spec, actor, service.ListQuery(search="QR-1"), lang="zh-CN",
            url_params={}, today=date.today(), zone="Asia/Shanghai",
        )  # fmt: skip
        assert [r["stem"] for r in view.rows] == [STEM]  # the question itself is there
        assert {"answer", "analysis"}.isdisjoint(f.name for f in view.fields)
        assert "answer" not in view.sort_options and not _leaks(json.dumps(view.rows))
        # searching the analysis text finds nothing (a match would give the key away)
        found = service.list_rows(s, spec, actor, service.ListQuery(search="GB/T5972")).rows
        assert found == []
        row = service.get_row(s, spec, actor, question)
        shown = present.table_rows(s, readable_fields(s, spec, actor), [row], "zh-CN")[0]
        assert shown["stem"] == STEM and not _leaks(json.dumps(shown, ensure_ascii=False))
        query = service.ListQuery(search="QR-1")
        book = load_workbook(io.BytesIO(excel.export(s, spec, actor, query, "xlsx", "en")))
        lines = [list(line) for line in book.active.iter_rows(values_only=True)]
        label = {n: spec.field(n).label_in("en") for n in ("stem", "answer", "analysis")}
        assert label["stem"] in lines[0]
        assert label["answer"] not in lines[0] and label["analysis"] not in lines[0]
        assert STEM in lines[1] and not _leaks(json.dumps(lines, ensure_ascii=False))
        csv = excel.export(s, spec, actor, query, "csv", "zh-CN").decode("utf-8-sig")
        assert STEM in csv and not _leaks(csv)


def test_the_editor_sees_and_searches_the_key(
    engine: Engine, question: int, people: dict[str, Actor]
) -> None:
    spec, editor = get_spec("question"), people["editor"]
    with Session(engine) as s:
        found = service.list_rows(s, spec, editor, service.ListQuery(search="GB/T5972")).rows
        assert [r.id for r in found] == [question]
        shown = present.table_rows(s, readable_fields(s, spec, editor), found, "zh-CN")[0]
        assert (shown["answer"], shown["analysis"]) == (NEW_ANSWER, ANALYSIS)
        query = service.ListQuery(search="QR-1")
        book = load_workbook(io.BytesIO(excel.export(s, spec, editor, query, "xlsx", "en")))
        lines = [list(line) for line in book.active.iter_rows(values_only=True)]
        assert lines[1][lines[0].index(spec.field("answer").label_in("en"))] == NEW_ANSWER


def test_the_history_masks_the_key_for_non_editors_and_the_chain_keeps_it(
    engine: Engine, question: int, people: dict[str, Actor]
) -> None:
    spec = get_spec("question")
    with Session(engine) as s:
        for who in ("employee", "supervisor"):
            entries = service.history(s, spec, people[who], question, hidden="HIDDEN")
            assert [e.action for e in entries] == ["update", "create"]
            update, create = entries
            assert update.before == {"answer": "HIDDEN"} and update.after == {"answer": "HIDDEN"}
            assert create.after["stem"] == STEM and create.after["analysis"] == "HIDDEN"
            assert not _leaks(json.dumps([[e.before, e.after, e.detail] for e in entries]))
        update = service.history(s, spec, people["editor"], question)[0]
        assert (update.before, update.after) == ({"answer": ANSWER}, {"answer": NEW_ANSWER})
        # the stored, hashed entries are untouched (the masked ones were copies)
        stored = s.exec(
            select(AuditEntry).where(
                AuditEntry.table_name == "question", AuditEntry.row_id == question
            )
        ).all()
        assert {json.dumps(e.after, ensure_ascii=False) for e in stored} >= {
            json.dumps({"answer": NEW_ANSWER}, ensure_ascii=False)
        }
        # the audit log page reads entries through the same mask
        last = max(stored, key=lambda e: e.seq)
        masked = audit.readable_values("question", last.after, people["supervisor"], "•••")
        assert masked == {"answer": "•••"}
        assert audit.readable_values("question", last.after, people["editor"], "•••") == {
            "answer": NEW_ANSWER
        }
        assert audit.verify(s).ok


def test_the_sql_console_copy_leaves_the_key_out_for_non_editors(
    engine: Engine, question: int, people: dict[str, Actor]
) -> None:
    for who in ("employee", "supervisor"):
        actor = people[who]
        frame = run_query(engine, actor, "SELECT * FROM question WHERE code = 'QR-1'").frame
        assert frame["stem"].to_list() == [STEM]
        assert {"answer", "analysis"}.isdisjoint(frame.columns)
        assert not _leaks(str(frame.to_dicts()))
        with pytest.raises(Refused):
            run_query(engine, actor, "SELECT answer FROM question")
        columns = {c.name for t in schema(actor, "en") if t.name == "question" for c in t.columns}
        assert "stem" in columns and "answer" not in columns
    frame = run_query(engine, people["editor"], "SELECT answer FROM question WHERE code = 'QR-1'")
    assert frame.frame["answer"].to_list() == [NEW_ANSWER]
