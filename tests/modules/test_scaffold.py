"""The module test scaffolding itself: a demo organisation without module data."""

from sqlmodel import func, select

from models.org import Enterprise, Person


def test_demo_organisation_is_there(demo_session) -> None:
    assert demo_session.exec(select(func.count()).select_from(Enterprise)).one() == 3
    assert demo_session.exec(select(func.count()).select_from(Person)).one() > 100


def test_no_generators_named_writes_nothing(run_generator) -> None:
    assert run_generator() == {}
