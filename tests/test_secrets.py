"""Declared secret columns never reach a reader; URIs with credentials are shown masked."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from analytics.sql_console import Refused, run_query
from core.crud import excel, present, service
from core.crud.registry import get_spec
from core.crud.secrets import mask_uri, shown_uri, split_credentials, with_credentials
from core.rbac import Actor
from detectors.config import load_cameras
from models.system import AuditEntry
from models.video import Camera
from tests.factories import Org, Users

URI = "rtsp://admin:s3cret@10.0.0.5/stream"
MASKED = "rtsp://admin:***@10.0.0.5/stream"
BARE = "rtsp://10.0.0.5/stream"


def _video_viewer(actor: Actor) -> Actor:
    """The same account with the video module (view, export) and the SQL console granted."""
    grants = {("video", "view"), ("video", "export"), ("analytics", "view")}
    return replace(actor, grants=actor.grants | grants)


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        (URI, MASKED),
        ("rtsp://:pw@host:554/a?b=1", "rtsp://:***@host:554/a?b=1"),
        ("rtsp://host/stream", "rtsp://host/stream"),
        ("synthetic://production?seed=1", "synthetic://production?seed=1"),
        ("0", "0"),
    ],
)
def test_mask_uri_hides_only_the_password(uri: str, shown: str) -> None:
    assert mask_uri(uri) == shown


@pytest.fixture
def camera(engine: Engine, org: Org, users: Users) -> int:
    """A committed camera whose URI, with credentials, was typed once by an admin (so it has
    a history): the URI is stored bare, the user and password in their own columns."""
    spec = get_spec("camera")
    with Session(engine) as s:
        row = Camera(name="门岗", source_uri="rtsp://10.0.0.4/stream", username="admin",
                     password="old", enterprise_id=org.ent1)  # fmt: skip
        s.add(row)
        s.flush()
        service.update_row(s, spec, users.admin, row.id, {"source_uri": URI})
        s.commit()
        return row.id


def test_camera_credentials_never_reach_viewers(engine: Engine, users: Users, camera: int) -> None:
    spec = get_spec("camera")
    with Session(engine) as s:
        row = s.get(Camera, camera)
        assert (row.source_uri, row.username, row.password) == (BARE, "admin", "s3cret")
        assert [c.source_uri for c in load_cameras(s, [camera])] == [URI]  # what opens it
    for actor in (_video_viewer(users.park_supervisor), _video_viewer(users.safety_head)):
        with Session(engine) as s:
            rows = service.list_rows(s, spec, actor, service.ListQuery(search="门岗")).rows
            shown = present.table_rows(s, spec.fields, rows, "en")
            assert [(r["source_uri"], r["username"]) for r in shown] == [(BARE, "admin")]
            query = service.ListQuery(search="门岗")
            csv = excel.export(s, spec, actor, query, "csv", "en").decode("utf-8-sig")
            assert BARE in csv and "s3cret" not in csv
            sheet = load_workbook(io.BytesIO(excel.export(s, spec, actor, query, "xlsx", "en")))
            cells = [str(c) for line in sheet.active.iter_rows(values_only=True) for c in line]
            assert BARE in cells and not any("s3cret" in c for c in cells)
            history = service.history(s, spec, actor, camera)
            assert history and "s3cret" not in json.dumps([[e.before, e.after] for e in history])
            assert BARE in json.dumps([e.after for e in history])
        frame = run_query(engine, actor, "SELECT * FROM camera").frame
        assert frame["source_uri"].to_list() == [BARE] and "password" not in frame.columns
        with pytest.raises(Refused):
            run_query(engine, actor, "SELECT password FROM camera")
        frame = run_query(engine, actor, "SELECT source_uri FROM camera WHERE id = 1 OR true").frame
        assert "s3cret" not in str(frame.to_dicts())
    with Session(engine) as s:
        audit = s.exec(select(AuditEntry).where(AuditEntry.table_name == "camera")).all()
        assert "s3cret" not in json.dumps([[e.before, e.after, e.detail] for e in audit])


def test_a_uri_written_with_its_password_elsewhere_is_still_shown_masked(
    engine: Engine, org: Org, users: Users
) -> None:
    """A row written outside the app (an old backup, direct SQL) may still hold a password in
    its URI: every reader sees it masked."""
    with Session(engine) as s:
        s.add(Camera(name="西侧旧卡口", source_uri=URI, enterprise_id=org.ent1))
        s.commit()
        spec = get_spec("camera")
        rows = service.list_rows(s, spec, users.admin, service.ListQuery(search="西侧旧卡口")).rows
        shown = present.table_rows(s, spec.fields, rows, "en")
        assert [r["source_uri"] for r in shown] == [MASKED]
    sql = "SELECT source_uri FROM camera WHERE name = '西侧旧卡口'"
    assert run_query(engine, users.admin, sql).frame["source_uri"].to_list() == [MASKED]


def test_the_form_shows_the_mask_and_a_mask_sent_back_keeps_the_password(
    session: Session, org: Org, users: Users
) -> None:
    spec = get_spec("camera")
    row = Camera(name="东门", source_uri=BARE, username="admin", password="s3cret",
                 enterprise_id=org.ent1)  # fmt: skip
    session.add(row)
    session.flush()
    assert shown_uri(row, "source_uri", spec.field("source_uri").credentials) == MASKED
    service.update_row(session, spec, users.admin, row.id, {"source_uri": MASKED, "fps_target": 3})
    assert (row.source_uri, row.username, row.password, row.fps_target) == (
        BARE, "admin", "s3cret", 3
    )  # fmt: skip
    new = "rtsp://viewer:n3w@10.0.0.6/stream"
    service.update_row(session, spec, users.admin, row.id, {"source_uri": new})
    assert (row.source_uri, row.username, row.password) == (
        "rtsp://10.0.0.6/stream",
        "viewer",
        "n3w",
    )
    service.update_row(session, spec, users.admin, row.id, {"source_uri": "rtsp://10.0.0.7/s"})
    assert (row.username, row.password) == (None, None)  # credentials taken out of the URI


@pytest.mark.parametrize(
    ("uri", "parts"),
    [
        (URI, (BARE, "admin", "s3cret")),
        ("rtsp://u:p@ss:w@host:554/a?b=1", ("rtsp://host:554/a?b=1", "u", "p@ss:w")),
        ("rtsp://user@host/a", ("rtsp://host/a", "user", None)),
        ("rtsp://host/a", ("rtsp://host/a", None, None)),
        ("/videos/gate.mp4", ("/videos/gate.mp4", None, None)),
    ],
)
def test_credentials_split_from_and_put_back_into_a_uri(
    uri: str, parts: tuple[str, str | None, str | None]
) -> None:
    assert split_credentials(uri) == parts
    assert with_credentials(*parts) == uri


def test_user_secrets_stay_denied(engine: Engine, users: Users) -> None:
    frame = run_query(engine, users.admin, 'SELECT * FROM "user"').frame
    hidden = {"password_hash", "failed_logins", "locked_until", "must_change_password"}
    assert "username" in frame.columns and not hidden & set(frame.columns)
    for column in hidden:
        with pytest.raises(Refused):
            run_query(engine, users.admin, f'SELECT {column} FROM "user"')
    assert not hidden & {f.name for f in get_spec("user").fields}


def test_an_imported_camera_keeps_its_password_apart_and_out_of_the_audit(
    session: Session, org: Org, users: Users
) -> None:
    from tests.test_excel import xlsx

    spec = get_spec("camera")
    header = [spec.field(n).label_in("en") for n in ("name", "source_uri")]
    data = xlsx(header, [["北门", URI]])
    report = excel.import_rows(session, spec, users.admin, data, "en", filename="cams.xlsx")
    assert report.ok, [e.message for e in report.errors]
    row = session.exec(select(Camera).where(Camera.name == "北门")).one()
    assert (row.source_uri, row.username, row.password) == (BARE, "admin", "s3cret")
    entries = session.exec(select(AuditEntry).where(AuditEntry.table_name == "camera")).all()
    assert entries and "s3cret" not in json.dumps([[e.after, e.detail] for e in entries])
