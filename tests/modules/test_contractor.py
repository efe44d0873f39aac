"""Contractors: reference trades, the seed plant's worker figures, rating and entry rules."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from sqlmodel import func, select

from core.config import REPO_ROOT
from core.contractor.rules import entry_problems, mask_id_number, rating_for
from core.demogen import MAIN_ENTERPRISE_CODE
from models.contractor import (
    Contractor,
    ContractorEvaluation,
    ContractorRating,
    ContractorState,
    ContractorTrade,
    ContractorViolation,
    ContractorWorker,
    WorkerStatus,
)
from models.org import Enterprise

TODAY = date(2026, 11, 24)


def _main_id(session) -> int:
    return session.exec(select(Enterprise.id).where(Enterprise.code == MAIN_ENTERPRISE_CODE)).one()


def test_trades_reference_is_loaded(demo_session) -> None:
    doc = json.loads((REPO_ROOT / "data/reference/contractor/trades.json").read_text("utf-8"))
    assert "特种作业目录" in doc["source"]
    rows = demo_session.exec(select(ContractorTrade)).all()
    assert len(rows) == len(doc["rows"]) == 24
    by_code = {t.code: t for t in rows}
    assert by_code["T02"].name == "焊接与热切割作业" and by_code["T02"].special_operation
    assert not by_code["T27"].special_operation


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (100, ContractorRating.EXCELLENT),
        (90, ContractorRating.EXCELLENT),
        (89.9, ContractorRating.GOOD),
        (80, ContractorRating.GOOD),
        (60, ContractorRating.QUALIFIED),
        (59.5, ContractorRating.UNQUALIFIED),
    ],
)
def test_rating_from_score(score: float, rating: ContractorRating) -> None:
    assert rating_for(score) == rating


def test_id_number_is_masked() -> None:
    assert mask_id_number("310115199001011234") == "3101**********1234"
    assert mask_id_number(None) == ""


def test_worker_on_site_needs_training_and_valid_pass() -> None:
    on_site = {"status": WorkerStatus.IN_PLANT}
    assert {p.field for p in entry_problems(on_site, TODAY)} == {"training_passed_on", "pass_no"}
    ok = {**on_site, "training_passed_on": TODAY, "pass_no": "RC1", "pass_expires_on": TODAY}
    assert entry_problems(ok, TODAY) == []
    expired = {**ok, "pass_expires_on": date(2026, 1, 1)}
    assert [p.field for p in entry_problems(expired, TODAY)] == ["pass_expires_on"]
    assert entry_problems({"status": WorkerStatus.NOT_ENTERED}, TODAY) == []


def test_demo_workers_follow_the_seed_figures(demo_session, run_generator) -> None:
    counts = run_generator("contractor")
    main = _main_id(demo_session)
    statuses = Counter(
        demo_session.exec(
            select(ContractorWorker.status).where(ContractorWorker.enterprise_id == main)
        ).all()
    )
    assert statuses == {
        WorkerStatus.IN_PLANT: 1192,
        WorkerStatus.RESTRICTED: 7,
        WorkerStatus.LEFT: 291,
        WorkerStatus.NOT_ENTERED: 2005,
    }
    assert statuses[WorkerStatus.IN_PLANT] + statuses[WorkerStatus.RESTRICTED] == 1199
    companies = demo_session.exec(
        select(func.count()).select_from(Contractor).where(Contractor.enterprise_id == main)
    ).one()
    assert companies == 40
    assert counts["contractor_violation"] == 3 * (150 + 2 * 30)
    # every worker on site passed entry training and holds a valid pass
    on_site = demo_session.exec(
        select(ContractorWorker).where(
            ContractorWorker.status.in_((WorkerStatus.IN_PLANT, WorkerStatus.RESTRICTED))
        )
    ).all()
    assert all(not entry_problems(w.model_dump(), TODAY) for w in on_site)
    blacklisted = demo_session.exec(
        select(Contractor).where(Contractor.state == ContractorState.BLACKLISTED)
    ).all()
    assert blacklisted and all(c.blacklisted for c in blacklisted)
    evaluations = demo_session.exec(select(ContractorEvaluation)).all()
    assert evaluations and all(e.rating == rating_for(e.score) for e in evaluations)


def test_demo_is_deterministic(demo_session, run_generator) -> None:
    def snapshot() -> list[tuple]:
        rows = demo_session.exec(select(ContractorViolation).order_by(ContractorViolation.id)).all()
        workers = demo_session.exec(select(ContractorWorker).order_by(ContractorWorker.id)).all()
        return [(v.occurred_on, v.description, v.points, v.state) for v in rows] + [
            (w.name, w.id_number, w.status, w.pass_no) for w in workers
        ]

    run_generator("contractor")
    first = snapshot()
    for model in (ContractorEvaluation, ContractorViolation, ContractorWorker):
        for row in demo_session.exec(select(model)).all():
            demo_session.delete(row)
    demo_session.flush()
    run_generator("contractor")
    assert snapshot() == first


def test_worker_form_refuses_untrained_worker_in_plant(demo_session, run_generator) -> None:
    from core.crud import service
    from core.crud.registry import get_spec
    from core.crud.service import ValidationFailed
    from core.rbac import SYSTEM

    run_generator("contractor")
    company = demo_session.exec(select(Contractor)).first()
    spec = get_spec("contractor_worker")
    raw = {"contractor_id": company.id, "name": "张三", "status": WorkerStatus.IN_PLANT}
    with pytest.raises(ValidationFailed) as failed:
        service.create_row(demo_session, spec, SYSTEM, raw)
    assert {p.field for p in failed.value.problems} == {"training_passed_on", "pass_no"}
    worker = service.create_row(demo_session, spec, SYSTEM, {**raw, "status": "not_entered"})
    assert worker.enterprise_id == company.enterprise_id
