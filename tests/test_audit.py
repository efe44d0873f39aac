"""The audit chain: every write leaves an entry, and ``verify`` names the first entry that was
edited, removed or forged with raw SQL behind the application's back."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from core import audit
from core.audit.keys import genesis, legacy_digest, mac_with
from core.config import load_settings
from core.crud import service
from core.crud.registry import get_spec
from models.system import AuditEntry, AuditHead
from tests import factories
from tests.factories import Org, Users

PERSON = get_spec("person")
CHANGED = "content changed after it was written"


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
    with Session(empty_engine) as s:
        base = _last_seq(s)  # the seeded grants' seals
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
    assert report.checked == base + 50
    assert seqs == list(range(1, base + 51))


def test_two_open_sessions_append_in_turn(empty_engine: Engine) -> None:
    """A second session that claimed after the first committed chains from the first's tip."""
    with Session(empty_engine) as a, Session(empty_engine) as b:
        base = _last_seq(a)
        first = audit.record(a, None, "login")
        a.commit()
        second = audit.record(b, None, "logout")
        b.commit()
        assert (first.seq, second.seq) == (base + 1, base + 2)
        assert second.prev_hash == first.hash
        assert audit.verify(b).ok


@pytest.mark.parametrize("count", [0, 1])
def test_empty_and_single_chains_verify(empty_engine: Engine, count: int) -> None:
    with Session(empty_engine) as s:
        s.execute(text("DELETE FROM audit_entry"))
        s.execute(text("DELETE FROM audit_head"))
        for _ in range(count):
            audit.record(s, None, "login")
        s.commit()
        assert audit.verify(s).checked == count


# --- forgeries by someone who can write the database but lacks the key ---------------------

WRONG_KEY = b"not the installation's key"


def _rechain(session: Session, digest, start: int, prev: str | None = None) -> None:
    """Recompute every hash from ``start`` on with ``digest`` and point the head at the new
    tip: what a forger with write access does to hide an edit."""
    table = AuditEntry.__table__
    if prev is None:
        prev = session.execute(select(table.c.hash).where(table.c.seq == start - 1)).scalar_one()
    stmt = select(table).where(table.c.seq >= start).order_by(table.c.seq)
    rows = [dict(r) for r in session.execute(stmt).mappings()]
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = digest(row)
        session.execute(
            table.update()
            .where(table.c.id == row["id"])
            .values(prev_hash=row["prev_hash"], hash=prev)
        )
    _raw(session, "UPDATE audit_head SET seq = :s, hash = :h", s=rows[-1]["seq"], h=prev)


FORGERS = {"sha256": legacy_digest, "wrong_key": mac_with(WRONG_KEY)}


class TestKeyedChain:
    @pytest.mark.parametrize("forger", FORGERS)
    def test_edit_with_hashes_recomputed_is_named(
        self, session: Session, org: Org, users: Users, forger: str
    ) -> None:
        _many_writes(session, org, users, count=3)
        target = _last_seq(session) - 8
        _raw(session, "UPDATE audit_entry SET actor_name = 'ghost' WHERE seq = :s", s=target)
        _rechain(session, FORGERS[forger], target)

        report = audit.verify(session)

        assert (report.ok, report.bad_seq, report.reason) == (False, target, CHANGED)

    @pytest.mark.parametrize("forger", FORGERS)
    def test_appended_entry_with_a_computed_hash_is_named(
        self, session: Session, org: Org, users: Users, forger: str
    ) -> None:
        _many_writes(session, org, users, count=2)
        audit.record(session, users.admin, "export", detail={"rows": 1})
        last = _last_seq(session)
        _raw(session, "UPDATE audit_entry SET detail = :d WHERE seq = :s", d='{"rows": 9}', s=last)
        _rechain(session, FORGERS[forger], last)

        assert audit.verify(session).bad_seq == last

    @pytest.mark.parametrize("forger", FORGERS)
    def test_deleted_entry_with_the_rest_renumbered_and_rehashed_is_named(
        self, session: Session, org: Org, users: Users, forger: str
    ) -> None:
        _many_writes(session, org, users, count=3)
        gone, last = _last_seq(session) - 6, _last_seq(session)
        _raw(session, "DELETE FROM audit_entry WHERE seq = :s", s=gone)
        for seq in range(gone + 1, last + 1):
            _raw(session, "UPDATE audit_entry SET seq = :n WHERE seq = :o", n=seq - 1, o=seq)
        _rechain(session, FORGERS[forger], gone)

        report = audit.verify(session)

        assert (report.ok, report.bad_seq, report.reason) == (False, gone, CHANGED)

    def test_a_chain_rebuilt_under_another_key_fails_at_its_first_entry(
        self, session: Session, org: Org, users: Users
    ) -> None:
        _many_writes(session, org, users, count=2)
        _rechain(session, mac_with(WRONG_KEY), 1, prev=genesis(WRONG_KEY))

        report = audit.verify(session)

        assert (report.ok, report.bad_seq) == (False, 1)
        assert "audit key" in report.reason

    def test_the_same_chain_fails_under_another_key(
        self, session: Session, org: Org, users: Users
    ) -> None:
        _many_writes(session, org, users, count=1)
        assert audit.verify(session).ok
        assert audit.verify(session, key=WRONG_KEY).bad_seq == 1


class TestHeadAndAnchors:
    def test_deleted_head_row_fails(self, session: Session, org: Org, users: Users) -> None:
        _many_writes(session, org, users, count=1)
        _raw(session, "DELETE FROM audit_head")

        report = audit.verify(session, anchors=[])

        assert not report.ok
        assert report.reason == "the chain's head row is missing"

    def test_emptied_table_fails_against_its_head(
        self, session: Session, org: Org, users: Users
    ) -> None:
        _many_writes(session, org, users, count=1)
        _raw(session, "DELETE FROM audit_entry")

        report = audit.verify(session, anchors=[])

        assert not report.ok and report.reason.startswith("all entries removed")

    def test_emptied_table_and_head_fail_against_an_anchor(
        self, session: Session, org: Org, users: Users
    ) -> None:
        _many_writes(session, org, users, count=1)
        tip = audit.verify(session)
        anchor = audit.make_anchor(tip.checked, tip.tip)
        _raw(session, "DELETE FROM audit_entry")
        _raw(session, "DELETE FROM audit_head")

        report = audit.verify(session, anchors=[anchor])

        assert not report.ok and report.reason.startswith("chain shortened")

    def test_tail_cut_with_head_updated_passes_alone_but_fails_against_an_anchor(
        self, session: Session, org: Org, users: Users
    ) -> None:
        """The head can be made to agree with a shortened chain; an anchor cannot."""
        _many_writes(session, org, users, count=2)
        tip = audit.verify(session)
        anchor = audit.make_anchor(tip.checked, tip.tip)
        cut = tip.checked - 4
        new_tip = session.exec(select(AuditEntry.hash).where(AuditEntry.seq == cut)).one()
        _raw(session, "DELETE FROM audit_entry WHERE seq > :s", s=cut)
        _raw(session, "UPDATE audit_head SET seq = :s, hash = :h", s=cut, h=new_tip)

        assert audit.verify(session, anchors=[]).ok
        report = audit.verify(session, anchors=[anchor])

        assert not report.ok
        assert report.reason == (
            f"chain shortened: the anchor of {anchor.at} names seq {anchor.seq}, it ends at {cut}"
        )

    def test_an_anchored_entry_rewritten_under_another_key_is_named(
        self, session: Session, org: Org, users: Users
    ) -> None:
        _many_writes(session, org, users, count=1)
        tip = audit.verify(session)
        anchor = audit.make_anchor(tip.checked, tip.tip)

        assert audit.verify(session, anchors=[anchor]).ok
        _rechain(session, mac_with(WRONG_KEY), 1, prev=genesis(WRONG_KEY))
        report = audit.verify(session, key=WRONG_KEY, anchors=[anchor])

        assert (report.ok, report.bad_seq) == (False, anchor.seq)
        assert report.reason == f"differs from the anchor of {anchor.at}"

    def test_anchor_file_is_appended_and_read_back(self, tmp_path) -> None:
        path = tmp_path / "audit-anchors.jsonl"
        first, second = audit.make_anchor(3, "a" * 64), audit.make_anchor(9, "b" * 64)
        audit.append_anchor(path, first)
        audit.append_anchor(path, second)
        with path.open("a") as fh:
            fh.write("edited by hand\n")

        assert audit.read_anchors(path) == ([first, second], [3])


class TestKeyAndTransition:
    def test_key_file_is_made_private_once_and_the_environment_wins(
        self, settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key = audit.load_key(settings)

        assert settings.audit_key_file.stat().st_mode & 0o777 == 0o600
        assert audit.load_key(settings) == key and len(key) == 32
        monkeypatch.setenv("SAFELOOP_AUDIT_KEY", "from-the-environment")
        assert audit.load_key(load_settings(data_dir=settings.data_dir)) == b"from-the-environment"

    @staticmethod
    def _make_legacy(s: Session) -> None:
        """Turn the chain into one written before the key existed (plain SHA-256)."""
        _rechain(s, legacy_digest, 1, prev=audit.GENESIS)

    def test_a_legacy_chain_is_rekeyed_by_the_next_append(self, empty_engine: Engine) -> None:
        with Session(empty_engine) as s:
            for i in range(5):
                audit.record(s, None, "login", detail={"i": i})
            self._make_legacy(s)
            s.commit()
            legacy = _last_seq(s)
            assert "not keyed" in audit.verify(s, anchors=[]).reason

            audit.record(s, None, "logout")
            s.commit()
            rekey = s.exec(select(AuditEntry).where(AuditEntry.action == "rekey")).one()

            assert audit.verify(s, anchors=[]).ok
            assert rekey.seq == legacy + 1
            assert rekey.detail == {"entries": legacy, "legacy_broken_at": None}

    def test_a_broken_legacy_chain_stays_reported_after_rekeying(
        self, empty_engine: Engine
    ) -> None:
        with Session(empty_engine) as s:
            for i in range(5):
                audit.record(s, None, "login", detail={"i": i})
            self._make_legacy(s)
            _raw(s, "UPDATE audit_entry SET actor_name = 'ghost' WHERE seq = 3")
            s.commit()

            assert audit.rekey(s)
            s.commit()
            report = audit.verify(s, anchors=[])

            assert not report.ok
            assert "already broken at seq 3 (content changed)" in report.reason
