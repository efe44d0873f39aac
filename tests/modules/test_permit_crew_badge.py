"""The crew picker's certificate badge and the crew check read one validity rule: a welder
whose certificate ran out is never offered with a ✓ (issue 19, point 6: "✓ 2026-09-12" was
shown for an expired one)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from core.org.certificates import valid_through
from core.permit.workers import crew_options, worker_problems
from models.enums import CertificateKind
from models.org import Certificate, Person
from tests.factories import Org, serial

WELDING = "焊接与热切割作业"
TAGS = {"contractor": "相关方", "expired": "已过期"}


def _welder(session: Session, org: Org, name: str, expires: date | None) -> int:
    person = Person(name=name, enterprise_id=org.ent1, department_id=org.dept_a)
    session.add(person)
    session.flush()
    session.add(
        Certificate(
            person_id=person.id,
            kind=CertificateKind.SPECIAL_OPERATION,
            work_type=WELDING,
            number=f"T{serial():08d}",
            expires_on=expires,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
        )
    )
    session.flush()
    return person.id


def test_the_badge_and_the_crew_check_agree(session: Session, org: Org) -> None:
    until = date(2026, 12, 6)
    welders = {
        "expired": _welder(session, org, "过期焊工", until - timedelta(days=85)),
        "last_day": _welder(session, org, "到期当日焊工", until),
        "valid": _welder(session, org, "有效焊工", until + timedelta(days=400)),
        "no_expiry": _welder(session, org, "长期焊工", None),
    }
    options = crew_options(session, org.ent1, org.dept_a, [WELDING], until, TAGS)
    assert options[str(welders["expired"])] == f"过期焊工 · ✗ 已过期 {until - timedelta(days=85)}"
    assert options[str(welders["last_day"])] == f"到期当日焊工 · ✓ {until}"
    assert options[str(welders["valid"])] == f"有效焊工 · ✓ {until + timedelta(days=400)}"
    assert options[str(welders["no_expiry"])] == "长期焊工 · ✓"
    assert valid_through(until, until) and not valid_through(until - timedelta(days=1), until)
    for key, pid in welders.items():
        refused = worker_problems(session, [pid], [WELDING], until)
        badge_ok = "✓" in options[str(pid)]
        assert badge_ok == (not refused), key
