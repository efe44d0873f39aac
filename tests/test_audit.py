"""The audit chain: every write leaves an entry, and ``verify`` names the first entry that was
edited, removed or forged with raw SQL behind the application's back."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from core import audit
from core.crud import service
from core.crud.registry import get_spec
from models.system import AuditEntry, AuditHead
from tests import factories
from tests.factories import Org, Users

PERSON = get_spec("person")


def _last_seq(session: Session) -> int:
    return session.exec(select(func.max(AuditEntry.seq))).one() or 0


def _many_writes(session: Session, org: Org, users: Users, count: int = 30) -> None:
    """Creates, updates, deletes and a bulk append, by several actors."""
    for i in range(count):
        row = factories.person(session, org.ent1, org.dept_a, name=f"审计{i}")
        service.update_row(session, PERSON, users.inspector_a, row.id, {"phone": f"139{i:08d}"})
        if i % 5 == 0:
            service.soft_delete(session, PERSON, users.safety_head, row.id)
    audit.record_many(
        session, users.admin, [{"action": "export", "detail": {"rows": n}} for n in range(25)]
    )
    session.flush()


def _raw(session: Session, sql: str, **params) -> None:
    session.execute(text(sql), params)
    session.expire_all()


class TestChain:
    def test_verifies_after_many_writes(self, session: Session, org: Org, users: Users) -> None:
        before = _last_seq(session)
        _many_writes(session, org, users)

        report = audit.verify(session)

        assert report.ok, report
        assert report.checked == _last_seq(session) == before + 30 * 2 + 6 + 25
        assert session.get(AuditHead, 1).seq == report.checked

    def test_entries_say_who_did_what(self, session: Session, org: Org, users: Users) -> None:
        service.update_row(
            session, PERSON, users.inspector_a, org.person_a, {"phone": "13812345678"}
        )

        entry = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()

        assert (entry.action, entry.actor_name, entry.actor_id) == (
            "update",
            "inspector_a",
            users.inspector_a.user_id,
        )
        assert (entry.table_name, entry.row_id, entry.enterprise_id) == (
            "person",
            org.person_a,
            org.ent1,
        )
        assert entry.before == {"phone": None}
        assert entry.after == {"phone": "13812345678"}

    def test_verify_walks_in_batches(self, session: Session, org: Org, users: Users) -> None:
        _many_writes(session, org, users, count=5)

        assert audit.verify(session, batch=7).ok


class TestTamperDetection:
    def test_edited_after_json_is_named(self, session: Session, org: Org, users: Users) -> None:
        _many_writes(session, org, users, count=10)
        target = session.exec(
            select(AuditEntry.seq).where(AuditEntry.action == "update").order_by(AuditEntry.seq)
        ).all()[3]

        _raw(
            session,
            'UPDATE audit_entry SET "after" = :v WHERE seq = :s',
            v='{"phone": "00000000000"}',
            s=target,
        )
        report = audit.verify(session)

        assert not report.ok
        assert report.bad_seq == target
        assert report.reason == "content changed after it was written"
        assert report.checked == target - 1

    def test_edited_actor_is_named(self, session: Session, org: Org, users: Users) -> None:
        _many_writes(session, org, users, count=3)
        target = _last_seq(session) - 10

        _raw(session, "UPDATE audit_entry SET actor_name = 'someone_else' WHERE seq = :s", s=target)

        assert audit.verify(session).bad_seq == target

    def test_deleted_middle_entry_is_named(self, session: Session, org: Org, users: Users) -> None:
        _many_writes(session, org, users, count=10)
        gone = _last_seq(session) - 20

        _raw(session, "DELETE FROM audit_entry WHERE seq = :s", s=gone)
        report = audit.verify(session)

        assert not report.ok
        assert report.bad_seq == gone + 1  # the first entry whose predecessor is missing
        assert f"expected {gone}" in report.reason

    def test_deleted_last_entry_is_named(self, session: Session, org: Org, users: Users) -> None:
        _many_writes(session, org, users, count=3)
        last = _last_seq(session)

        _raw(session, "DELETE FROM audit_entry WHERE seq = :s", s=last)
        report = audit.verify(session)

        assert not report.ok
        assert report.bad_seq == last
        assert report.reason == "entries removed from the end"

    def test_renumbered_entries_break_the_link(
        self, session: Session, org: Org, users: Users
    ) -> None:
        """Deleting an entry and renumbering the rest to hide the gap still breaks the hashes."""
        _many_writes(session, org, users, count=3)
        gone, last = _last_seq(session) - 5, _last_seq(session)
        _raw(session, "DELETE FROM audit_entry WHERE seq = :s", s=gone)
        for seq in range(gone + 1, last + 1):
            _raw(
                session, "UPDATE audit_entry SET seq = :new WHERE seq = :old", new=seq - 1, old=seq
            )
        _raw(session, "UPDATE audit_head SET seq = seq - 1")

        report = audit.verify(session)

        assert not report.ok
        assert report.bad_seq == gone


def _append(
    engine: Engine,
    actor,
    label: str,
    count: int,
    barrier: threading.Barrier,
    errors: list[BaseException],
) -> None:
    try:
        barrier.wait()
        for i in range(count):
            with Session(engine) as s:
                audit.record(s, actor, "export", detail={"writer": label, "i": i})
                s.commit()
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def test_two_writers_at_once_do_not_fork_the_chain(empty_engine: Engine) -> None:
    """App and CLI (or detector) appending at the same moment must queue, not fork, even for
    the very first entries of a new database (both writers then try to create the chain's tip)."""
    barrier, errors = threading.Barrier(2), []
    writers = [
        threading.Thread(target=_append, args=(empty_engine, None, name, 25, barrier, errors))
        for name in ("app", "cli")
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=60)

    assert errors == []
    with Session(empty_engine) as s:
        report = audit.verify(s)
        seqs = s.exec(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    assert report.ok, report
    assert report.checked == 50
    assert seqs == list(range(1, 51))


def test_two_open_sessions_append_in_turn(empty_engine: Engine) -> None:
    """A second session that claimed after the first committed chains from the first's tip."""
    with Session(empty_engine) as a, Session(empty_engine) as b:
        first = audit.record(a, None, "login")
        a.commit()
        second = audit.record(b, None, "logout")
        b.commit()
        assert (first.seq, second.seq) == (1, 2)
        assert second.prev_hash == first.hash
        assert audit.verify(b).ok


@pytest.mark.parametrize("count", [0, 1])
def test_empty_and_single_chains_verify(empty_engine: Engine, count: int) -> None:
    with Session(empty_engine) as s:
        for _ in range(count):
            audit.record(s, None, "login")
        s.commit()
        assert audit.verify(s).checked == count
