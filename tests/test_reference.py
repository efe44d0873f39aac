"""Reference data: shipped files are well-formed and load once, without undoing admin edits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, func, select

from core import reference
from core.crud import service
from core.crud.lookup import options, titles
from core.crud.registry import get_spec
from core.db import make_engine
from core.rbac import SYSTEM
from models.hazard import HazardCategory
from models.permit_reference import PermitTemplate
from models.reference import AccidentType


@pytest.fixture
def session(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ref.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


@pytest.mark.parametrize("path", reference.files(), ids=lambda p: p.stem)
def test_every_file_names_its_source_and_a_registered_table(path: Path) -> None:
    doc = reference.read(path)
    assert doc["source"].strip() and doc["version"].strip()
    spec = get_spec(doc["table"])
    keys = [row[doc["key"]] for row in doc["rows"]]
    assert len(keys) == len(set(keys)), "duplicate keys"
    fields = set(spec.model.model_fields)
    english = {f"{name}_en" for name in fields}  # a title's English form kept by the file only
    assert all(set(row) <= fields | english for row in doc["rows"])


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@pytest.mark.parametrize("path", reference.files(), ids=lambda p: p.stem)
def test_every_row_a_person_picks_has_an_english_name(path: Path) -> None:
    """The English interface names reference rows by ``<title>_en`` (column or file value)
    wherever the title is Chinese: pickers, grids and filters would show Chinese otherwise."""
    doc = reference.read(path)
    title = get_spec(doc["table"]).title_field
    for row in doc["rows"]:
        if title != "name" and not CJK.search(str(row.get(title, ""))):
            continue  # a code or number reads the same in both languages
        english = str(row.get(f"{title}_en") or "").strip()
        assert english, f"{doc['key']}={row[doc['key']]} has no {title}_en"
        assert not CJK.search(english), f"{row[doc['key']]}: {english!r} is not English"


def test_english_titles_show_in_english_pickers(session: Session) -> None:
    """A permit template (a table without a name_en column) and a hazard category (with
    one) are named in English for an English reader, in Chinese otherwise."""
    reference.load_all(session)
    template = session.exec(select(PermitTemplate).where(PermitTemplate.code == "TPL-DH")).one()
    assert titles(session, "permit_template", [template.id], lang="en") == {
        template.id: "Hot work permit (default template)"
    }
    assert titles(session, "permit_template", [template.id])[template.id] == template.name
    english = options(session, "hazard_category", SYSTEM, lang="en")
    assert english and not any(CJK.search(name) for name in english.values())
    assert list(english.values()) == sorted(english.values(), key=str.casefold)
    category = session.exec(select(HazardCategory)).first()
    assert options(session, "hazard_category", SYSTEM)[category.id] == category.name


def test_gb6441_has_twenty_accident_types(session: Session) -> None:
    reference.load_all(session)
    names = session.exec(select(AccidentType.name).order_by(AccidentType.code)).all()
    assert len(names) == 20
    assert names[0] == "物体打击" and names[8] == "高处坠落" and names[-1] == "其它伤害"


def test_loading_twice_adds_nothing_and_keeps_admin_edits(session: Session) -> None:
    first = reference.load_all(session)
    assert first["accident_type"] == 20
    row = session.exec(select(AccidentType).where(AccidentType.code == "09")).one()
    service.update_row(
        session, get_spec("accident_type"), SYSTEM, row.id, {"name": "高处坠落（含临边）"}
    )
    assert reference.load_all(session) == {}
    assert session.get(AccidentType, row.id).name == "高处坠落（含临边）"


def test_a_row_added_in_a_new_release_is_loaded(
    session: Session, tmp_path: Path, monkeypatch
) -> None:
    reference.load_all(session)
    extra = tmp_path / "ref"
    extra.mkdir()
    doc = reference.read(reference.REFERENCE_DIR / "common" / "accident_types.json")
    doc["rows"] = [*doc["rows"], {"code": "99", "name": "测试类别", "name_en": "Test"}]
    (extra / "accident_types.json").write_text(
        json.dumps(doc, ensure_ascii=False), encoding="utf-8"
    )
    monkeypatch.setattr(reference, "REFERENCE_DIR", extra)
    assert reference.load_all(session) == {"accident_type": 1}
    assert session.exec(select(func.count()).select_from(AccidentType)).one() == 21
