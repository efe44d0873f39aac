"""The datasets & models page: renders in both languages, builds the dataset zip for download,
saves a violation's boxes, imports a model file (and refuses a wrong one) and assigns it.

Clicks run in zh-CN: AppTest formats a selectbox's options with the test process's default
language, so a translated ``format_func`` only round-trips in the default one."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlmodel import select

from core.config import get_settings
from core.db import session_scope
from core.i18n import t
from core.ui.video.datasets import ZIP
from core.video.weights import models_dir
from models.system import AuditEntry
from models.video import Camera, VideoViolation
from tests.modules.test_video_dataset import HELMET, PERSON, frame_jpeg, labelled
from tests.modules.test_video_models import checkpoint
from tests.modules.test_video_review import VideoWorld, build_video

PAGE = "pages/video_models.py"


@pytest.fixture(scope="module")
def video(ui_world) -> tuple[VideoWorld, int]:
    org, _ = ui_world
    with session_scope() as session:
        world = build_video(session, org)
        row = labelled(session, world, "confirmed", [PERSON, HELMET], frame_jpeg((40, 40, 40)))
        return world, row.id


def _texts(at) -> str:
    kinds = ("markdown", "caption", "text", "info", "success", "error", "warning", "subheader")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _tables(at) -> str:
    return "\n".join(frame.value.to_string() for frame in at.dataframe)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_page_renders(open_page, video, lang: str) -> None:
    at = open_page(PAGE, lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value == t("page.video_models", lang)
    assert [tab.label for tab in at.tabs] == [
        t("video_models.tab_dataset", lang),
        t("video_models.tab_models", lang),
    ]
    assert "⟦" not in _texts(at)
    assert "ppe_synth_yolo11n.onnx" in _tables(at)


def test_a_reviewer_without_export_or_configure_sees_no_export_or_import(open_page, video) -> None:
    at = open_page(PAGE, as_user="inspector_a", lang="en")  # video: view and approve
    assert not at.exception, at.exception
    assert t("video_models.export_not_allowed", "en") in _texts(at)
    assert not at.get("file_uploader")


def test_dataset_is_built_for_download(open_page, video) -> None:
    at = open_page(PAGE)
    at.button(key="video_models_prepare").click().run()
    assert not at.exception, at.exception
    assert at.get("download_button")
    with zipfile.ZipFile(io.BytesIO(at.session_state[ZIP][1])) as zf:
        assert any(n.endswith(f"/v{video[1]}.jpg") for n in zf.namelist())
        assert "data.yaml" in zf.namelist()
    with session_scope() as session:
        assert session.exec(
            select(AuditEntry).where(AuditEntry.action == "video_dataset_export")
        ).first()


def test_boxes_are_saved(open_page, video) -> None:
    at = open_page(PAGE, as_user="inspector_a")
    at.selectbox(key="video_models_violation").set_value(video[1]).run()
    at.button(key="video_models_save").click().run()
    assert not at.exception, at.exception
    assert any(f"#{video[1]}" in s.value for s in at.success)
    with session_scope() as session:
        assert session.get(VideoViolation, video[1]).labels[0]["role"] == "person"
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "video_relabel")).first()


def _import(at, data: bytes, filename: str, names: str = ""):
    (upload, _sidecar) = at.get("file_uploader")
    upload.set_value((filename, data, "application/octet-stream"))
    at.text_input[0].input(names)
    return at.button(key="FormSubmitter:video_models_import-导入").click().run()


def test_a_wrong_file_is_refused_and_a_checkpoint_imported(open_page, video) -> None:
    at = _import(open_page(PAGE), b"not a model", "notes.pt")
    assert not at.exception, at.exception
    assert any("notes.pt" in e.value for e in at.error)
    assert not (models_dir(get_settings()) / "notes.pt").exists()
    at = _import(at, checkpoint(), "site.pt", "person, hat")
    assert not at.exception, at.exception
    assert any("site.pt" in s.value for s in at.success)
    assert (models_dir(get_settings()) / "site.pt").is_file()
    assert "site.pt" in _tables(at)


def test_a_model_is_assigned_to_a_camera(open_page, video) -> None:
    at = open_page(PAGE)
    at.selectbox(key="video_models_assign_camera").set_value(video[0].camera).run()
    at.selectbox(key="video_models_assign_model").set_value("ppe_synth_yolo11n.onnx").run()
    at.button(key="video_models_assign_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    with session_scope() as session:
        config = session.get(Camera, video[0].camera).detector_config
    assert config["weights"] == "ppe_synth_yolo11n.onnx"
    assert config["classes"] == {"person": "person", "head": "no_helmet", "helmet": "helmet"}
