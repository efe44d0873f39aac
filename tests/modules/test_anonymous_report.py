"""An anonymous near miss leaves no trace of its reporter: after the report, every table and
every text or JSON column of the whole database is searched for the reporter's user id (in
columns that refer to users), person id (in columns that refer to people), user name, display
name and person name, and nothing is found that was not there before. A named report by the
same person, searched the same way, is found: the search can see what it looks for.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import MetaData, select
from sqlmodel import Session

from core import audit
from core.auth import create_user
from core.crud import service
from core.crud.registry import get_spec
from core.incident.flow import ANONYMOUS, report_near_miss
from core.rbac import Actor, actor_for
from core.workflow import events
from models.enums import Role
from models.notification import Notification
from tests import factories
from tests.factories import Org

REPORTER = {"username": "zhou_xz", "display_name": "周小舟", "person": "周晓舟"}
#: Columns that hold a user id without a foreign key (audit actors, creators, deliveries).
USER_COLUMNS = {"created_by", "actor_id", "user_id"}
USER_KEYS = USER_COLUMNS | {"uploaded_by", "completed_by", "rectifier_id", "verifier_id"}
PERSON_KEYS = {"person_id", "owner_id", "reporter_id"}


@pytest.fixture
def reporter(session: Session, org: Org, settings) -> Actor:
    """An employee (own scope) of 机修车间 with a person record and distinctive names."""
    person = factories.person(session, org.ent1, org.dept_a, name=REPORTER["person"])
    user = create_user(
        session,
        None,
        settings,
        username=REPORTER["username"],
        display_name=REPORTER["display_name"],
        password=factories.PASSWORD,
        password_hash=factories._password_hash(),
        roles=[Role.EMPLOYEE.value],
        park_id=org.park,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        person_id=person.id,
        must_change_password=False,
    )
    session.flush()
    return actor_for(session, user)


def photo() -> tuple[str, bytes]:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(buf, "PNG")
    return ("scene.png", buf.getvalue())


def _refers_to(column: Any, table: str) -> bool:
    return any(fk.column.table.name == table for fk in column.foreign_keys)


def _json_hits(value: Any, user_id: int, person_id: int) -> Iterator[str]:
    """Keys of a JSON document that hold the user's or the person's id."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if (key in USER_KEYS and inner == user_id) or (
                key in PERSON_KEYS and inner == person_id
            ):
                yield key
            yield from _json_hits(inner, user_id, person_id)
    elif isinstance(value, list):
        for inner in value:
            yield from _json_hits(inner, user_id, person_id)


def _document(value: Any) -> Any:
    """A JSON column's value as a document, whether the driver parsed it or not."""
    if isinstance(value, dict | list):
        return value
    if isinstance(value, str) and value[:1] in ("[", "{"):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return None


def traces(session: Session, actor: Actor) -> set[tuple[str, tuple[Any, ...], str, str]]:
    """Every (table, row key, column, what) in the database that points at the reporter."""
    conn = session.connection()
    meta = MetaData()
    meta.reflect(bind=conn)
    names = {REPORTER["username"], REPORTER["display_name"], REPORTER["person"]}
    found = set()
    for table in meta.sorted_tables:
        user_cols = {
            c.name for c in table.columns if _refers_to(c, "user") or c.name in USER_COLUMNS
        }
        person_cols = {c.name for c in table.columns if _refers_to(c, "person")}
        key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
        for row in conn.execute(select(table)).mappings():
            ident = tuple(row[k] for k in key)
            for column, value in row.items():
                if column in user_cols and value == actor.user_id:
                    found.add((table.name, ident, column, "user id"))
                if column in person_cols and value == actor.person_id:
                    found.add((table.name, ident, column, "person id"))
                document = _document(value)
                for hit in _json_hits(document, actor.user_id, actor.person_id):
                    found.add((table.name, ident, column, f"json {hit}"))
                if document is not None:
                    value = json.dumps(document, ensure_ascii=False)
                if isinstance(value, str):
                    found |= {(table.name, ident, column, n) for n in names if n in value}
    return found


def near_miss(org: Org, title: str) -> dict[str, Any]:
    return {
        "title": title,
        "occurred_at": "2026-03-07T10:30:00+00:00",
        "enterprise_id": org.ent1,
        "description": "行车吊钩下方有人穿行，吊物晃动",
        "immediate_measures": "停止吊装，清理通道",
    }


def test_an_anonymous_near_miss_leaves_no_trace_of_its_reporter(
    session, org, users, reporter
) -> None:
    before = traces(session, reporter)
    assert before, "the reporter's own account must be found, or the search sees nothing"
    incident = report_near_miss(
        session, reporter, near_miss(org, "吊物险些砸人"), files=[photo()], anonymous=True
    )
    session.flush()
    assert traces(session, reporter) - before == set()
    assert incident.anonymous and incident.created_by is None and incident.reporter is None
    assert incident.department_id == org.dept_a
    first = events(session, "incident", incident.id)[0]
    assert (first.action, first.actor_id, first.actor_name) == ("report", None, ANONYMOUS)
    assert len(first.attachment_ids) == 1
    history = service.history(session, get_spec("incident"), users.safety_head, incident.id)
    assert [(e.action, e.actor_id, e.actor_name) for e in history] == [("create", None, ANONYMOUS)]
    assert audit.verify(session).ok
    mine = session.exec(
        select(Notification.id).where(Notification.user_id == reporter.user_id)
    ).all()
    assert mine == []


def test_a_named_report_is_found_by_the_same_search(session, org, reporter) -> None:
    before = traces(session, reporter)
    report_near_miss(session, reporter, near_miss(org, "叉车倒车险些撞人"), anonymous=False)
    session.flush()
    found = {(table, column, what) for table, _, column, what in traces(session, reporter) - before}
    assert ("incident", "created_by", "user id") in found
    assert ("incident", "reporter", REPORTER["person"]) in found
    assert ("audit_entry", "actor_id", "user id") in found
    assert ("workflow_event", "actor_name", REPORTER["username"]) in found


def test_a_named_report_cannot_be_made_anonymous_later(session, org, users, reporter) -> None:
    incident = report_near_miss(session, reporter, near_miss(org, "地面油污险些滑倒"))
    manager = users.safety_head
    with pytest.raises(service.ValidationFailed) as err:
        service.update_row(session, get_spec("incident"), manager, incident.id, {"anonymous": True})
    assert err.value.problems[0].key == "validation.incident_anonymous_report"
