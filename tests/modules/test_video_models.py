"""Importing a newly trained model and pointing a camera at it: bad files are refused with
nothing written, the shipped ONNX export is accepted with its class names, and assigning
rewrites the camera's detector configuration (scoped, audited)."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile

import pytest
from sqlmodel import select

from core.crud.service import NotFound
from core.rbac import PermissionDenied
from core.video.weights import (
    SHIPPED_DIR,
    ModelRefused,
    assign,
    default_roles,
    import_model,
    list_models,
    models_dir,
)
from models.system import AuditEntry
from models.video import Camera
from tests.modules.test_video_review import build_video

SHIPPED_ONNX = SHIPPED_DIR / "ppe_synth_yolo11n.onnx"
needs_ort = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None,
    reason="onnxruntime is not installed (the project's detector extra)",
)


def checkpoint() -> bytes:
    """The shape of a torch checkpoint (a zip with ``<name>/data.pkl``), without torch.

    Entries carry a fixed time so two calls give the same bytes (a zip stamps the clock).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in (("best/data.pkl", b"\x80\x02}q\x00."), ("best/version", b"3")):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _stored(settings) -> list[str]:
    folder = models_dir(settings)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize(
    ("data", "filename", "key"),
    [
        (b"just some text", "notes.txt", "video_models.bad_suffix"),
        (b"", "empty.onnx", "video_models.empty"),
        (b"PK\x03\x04 not a zip at all", "best.pt", "video_models.bad_pt"),
        (checkpoint(), "best.pt", "video_models.names_required"),
        pytest.param(b"\x08\x07garbage", "fake.onnx", "video_models.bad_onnx", marks=needs_ort),
    ],
)
def test_bad_files_are_refused_and_nothing_written(
    session, settings, users, data: bytes, filename: str, key: str
) -> None:
    with pytest.raises(ModelRefused) as err:
        import_model(session, users.safety_head, settings, data, filename)
    assert err.value.key == key
    assert _stored(settings) == []
    assert not session.exec(
        select(AuditEntry).where(AuditEntry.action == "video_model_import")
    ).all()


@needs_ort
def test_shipped_onnx_is_accepted_with_its_class_names(session, settings, users) -> None:
    data = SHIPPED_ONNX.read_bytes()
    info = import_model(session, users.safety_head, settings, data, "PPE v2 (site).onnx")
    assert info.file == "PPE_v2_site.onnx" and not info.shipped
    assert info.classes == ["person", "head", "helmet"]
    assert info.roles == {"person": "person", "head": "head", "helmet": "helmet"}
    assert _stored(settings) == ["PPE_v2_site.json", "PPE_v2_site.onnx"]
    side = json.loads((models_dir(settings) / "PPE_v2_site.json").read_text("utf-8"))
    assert side["uploaded_by"] == "safety_head" and side["size"] == len(data)
    assert side["classes"] == {"0": "person", "1": "head", "2": "helmet"}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "video_model_import")).one()
    assert entry.detail["sha256"] == side["sha256"]
    # the same bytes again under the shipped name: nothing new, the shipped file is kept
    again = import_model(session, users.safety_head, settings, data, SHIPPED_ONNX.name)
    assert again.shipped and again.file == SHIPPED_ONNX.name
    files = [m.file for m in list_models(settings)]
    assert SHIPPED_ONNX.name in files and "PPE_v2_site.onnx" in files


def test_onnx_without_onnxruntime_says_so(session, settings, users, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    with pytest.raises(ModelRefused) as err:
        import_model(session, users.safety_head, settings, b"\x08\x07", "new.onnx")
    assert err.value.key == "video_models.no_onnxruntime" and _stored(settings) == []


def test_a_broken_sidecar_does_not_break_the_list(settings) -> None:
    folder = models_dir(settings)
    folder.mkdir(parents=True)
    (folder / "odd.pt").write_bytes(checkpoint())
    (folder / "odd.json").write_text('{"classes": {"x": "person"}}', encoding="utf-8")
    odd = next(m for m in list_models(settings) if m.file == "odd.pt")
    assert odd.classes == [] and not odd.shipped


def test_a_checkpoint_with_a_sidecar_and_a_taken_name(session, settings, users) -> None:
    sidecar = json.dumps({"classes": {"0": "worker", "1": "hardhat"},
                          "roles": {"worker": "person"}}).encode()  # fmt: skip
    first = import_model(session, users.safety_head, settings, checkpoint(), "ppe.pt",
                         sidecar=sidecar)  # fmt: skip
    assert first.classes == ["worker", "hardhat"]
    assert first.roles == {"worker": "person", "hardhat": "helmet"}
    other = checkpoint() + b"\x00"  # different bytes, same name: stored beside it
    second = import_model(session, users.safety_head, settings, other, "ppe.pt",
                          names=["person", " vest "])  # fmt: skip
    assert second.file.startswith("ppe-") and second.classes == ["person", "vest"]
    assert (models_dir(settings) / "ppe.pt").read_bytes() == checkpoint()


def test_import_needs_the_configure_grant(session, settings, users) -> None:
    for actor in (users.inspector_a, users.display):
        with pytest.raises(PermissionDenied):
            import_model(session, actor, settings, checkpoint(), "x.pt", names=["person"])
    assert _stored(settings) == []


def test_default_roles_by_name() -> None:
    assert default_roles(["Person", "hardhat", "NO-Hardhat", "forklift"]) == {
        "Person": "person",
        "hardhat": "helmet",
        "NO-Hardhat": "no_helmet",
        "forklift": "ignore",
    }


def test_assign_updates_the_camera_config(session, settings, users, org) -> None:
    world = build_video(session, org)
    import_model(session, users.safety_head, settings, checkpoint(), "site.pt",
                 names=["person", "hat"])  # fmt: skip
    camera = session.get(Camera, world.camera)
    camera.detector_config = {**camera.detector_config, "imgsz": 640, "confidence": 0.4}
    session.add(camera)
    session.flush()
    roles = {"person": "person", "hat": "helmet"}
    row = assign(session, users.safety_head, settings, world.camera, "site.pt", roles)
    assert row.detector_config["weights"] == "site.pt"
    assert row.detector_config["classes"] == roles
    assert row.detector_config["confidence"] == 0.4 and "imgsz" not in row.detector_config
    updates = select(AuditEntry).where(
        AuditEntry.action == "update",
        AuditEntry.table_name == "camera",
        AuditEntry.row_id == world.camera,
    )
    entry = session.exec(updates).all()[-1]
    assert entry.after["detector_config"]["weights"] == "site.pt"


@pytest.mark.parametrize(
    ("file", "roles", "key"),
    [
        ("nothing.onnx", {}, "video_models.unknown_model"),
        ("ppe_synth_yolo11n.onnx", {"dog": "person"}, "video_models.unknown_class"),
        ("ppe_synth_yolo11n.onnx", {"person": "boss"}, "video_models.bad_role"),
    ],
)
def test_assign_refuses(session, settings, users, org, file: str, roles: dict, key: str) -> None:
    world = build_video(session, org)
    with pytest.raises(ModelRefused) as err:
        assign(session, users.safety_head, settings, world.camera, file, roles)
    assert err.value.key == key


def test_assign_is_scoped_and_needs_the_grant(session, settings, users, org) -> None:
    world = build_video(session, org)
    roles = {"person": "person"}
    with pytest.raises(PermissionDenied):
        assign(session, users.inspector_a, settings, world.camera, SHIPPED_ONNX.name, roles)
    other = build_video(session, org)
    camera = session.get(Camera, other.camera)
    camera.enterprise_id, camera.department_id = org.ent2, org.dept_e2
    session.add(camera)
    session.flush()
    with pytest.raises(NotFound):
        assign(session, users.safety_head, settings, other.camera, SHIPPED_ONNX.name, roles)
