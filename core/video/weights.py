"""The flywheel's model half (模型): import a newly trained model and point cameras at it.

An imported file lands in ``<data_dir>/models/`` — where the detector service looks for a
camera's ``detector_config.weights`` — next to a JSON sidecar saying what it is (class names,
who uploaded it, when, its hash), the same sidecar shape the shipped model has, so the
detector reads class names and roles from it. A file is checked before anything is written:
an ``.onnx`` must open in ONNX Runtime, a ``.pt`` must be a torch checkpoint (a zip) with class
names given or in an uploaded sidecar. A name already taken gets the content hash appended, so
an import never changes the model a running camera uses.

Importing and assigning need the video module's configure grant and are audited.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from core import audit
from core.attachments import write_atomic
from core.config import REPO_ROOT, Settings
from core.crud.registry import get_spec
from core.crud.service import get_row, update_row
from core.db import utcnow
from core.i18n import Translatable
from core.rbac import Actor
from models.enums import Action, Module
from models.video import Camera, DetectionRole

SHIPPED_DIR = REPO_ROOT / "data" / "models"
SUFFIXES = (".onnx", ".pt")
MAX_MODEL_MB = 200  # Streamlit's default upload limit
ROLES: tuple[str, ...] = tuple(r.value for r in DetectionRole)
#: Class names trainers commonly use for a role, beyond the role's own name.
ROLE_ALIASES = {
    "hardhat": DetectionRole.HELMET,
    "hard_hat": DetectionRole.HELMET,
    "hard-hat": DetectionRole.HELMET,
    "safety_vest": DetectionRole.VEST,
    "no-hardhat": DetectionRole.NO_HELMET,
    "no_hardhat": DetectionRole.NO_HELMET,
    "no-helmet": DetectionRole.NO_HELMET,
    "no-safety vest": DetectionRole.NO_VEST,
    "no-vest": DetectionRole.NO_VEST,
}


class ModelRefused(Translatable):
    """A model file or assignment that cannot be used; nothing was written."""


@dataclass(frozen=True)
class ModelInfo:
    """One model file the detector can load, as its sidecar describes it."""

    file: str
    name: str
    classes: list[str]
    shipped: bool
    size: int
    sha256: str | None = None
    uploaded_by: str | None = None
    uploaded_at: str | None = None
    roles: dict[str, str] = field(default_factory=dict)


def models_dir(settings: Settings) -> Path:
    return settings.data_dir / "models"


def default_roles(classes: list[str]) -> dict[str, str]:
    """Each class's role by its name (``hardhat`` → helmet); anything else is ignored."""
    roles = {}
    for name in classes:
        key = name.strip().lower()
        role = key if key in ROLES else ROLE_ALIASES.get(key, DetectionRole.IGNORE)
        roles[name] = str(role)
    return roles


def _names(value: Any) -> list[str]:
    """Class names from a list or an ``{index: name}`` map (JSON keys are strings); none
    from anything else, so a hand-edited sidecar cannot break the model list."""
    if isinstance(value, dict):
        try:
            return [str(value[k]) for k in sorted(value, key=lambda k: int(k))]
        except (TypeError, ValueError):
            return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _onnx_classes(data: bytes) -> list[str]:
    """Open the bytes in ONNX Runtime (the detector's own loader) and read ``names``."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ModelRefused("video_models.no_onnxruntime") from None
    try:
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        meta = session.get_modelmeta().custom_metadata_map.get("names")
        return _names(ast.literal_eval(meta)) if meta else []
    except Exception as exc:  # ORT raises its own exception types for junk input
        raise ModelRefused("video_models.bad_onnx", error=str(exc)[:200]) from None


def _is_checkpoint(data: bytes) -> bool:
    """A torch checkpoint is a zip holding ``<name>/data.pkl``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return any(n.endswith("/data.pkl") for n in zf.namelist())
    except zipfile.BadZipFile:
        return False


def _read_sidecar(sidecar: bytes | None) -> dict[str, Any]:
    """The uploaded ``.json`` that came with the weights (``classes`` or ``names``, ``roles``)."""
    if not sidecar:
        return {}
    try:
        data = json.loads(sidecar.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ModelRefused("video_models.bad_sidecar") from None
    if not isinstance(data, dict):
        raise ModelRefused("video_models.bad_sidecar")
    return data


def _target(folder: Path, filename: str, sha: str) -> tuple[Path, bool]:
    """Where to store the upload — its cleaned name, else with the hash appended — and
    whether that very file is already there (shipped or imported before)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(filename).stem).strip("._") or "model"
    suffix = Path(filename).suffix.lower()
    for name in (f"{stem}{suffix}", f"{stem}-{sha[:8]}{suffix}", f"{stem}-{sha}{suffix}"):
        path = folder / name
        taken = next((p for p in (path, SHIPPED_DIR / name) if p.is_file()), None)
        if taken is None and not path.with_suffix(".json").exists():  # another's sidecar
            return path, False
        if taken is not None and hashlib.sha256(taken.read_bytes()).hexdigest() == sha:
            return taken, True
    raise ModelRefused("video_models.name_taken", filename=filename)


def import_model(
    session: Session,
    actor: Actor,
    settings: Settings,
    data: bytes,
    filename: str,
    *,
    names: list[str] | None = None,
    sidecar: bytes | None = None,
) -> ModelInfo:
    """Check and store a model file with its sidecar; returns what was stored (or the
    identical file already there). Names given override those in the file or sidecar."""
    actor.require(Module.VIDEO, Action.CONFIGURE)
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ModelRefused("video_models.bad_suffix", filename=filename)
    if not data:
        raise ModelRefused("video_models.empty")
    if len(data) > MAX_MODEL_MB * 1024 * 1024:
        raise ModelRefused("video_models.too_large", max_mb=MAX_MODEL_MB)
    extra = _read_sidecar(sidecar)
    if suffix == ".pt" and not _is_checkpoint(data):
        raise ModelRefused("video_models.bad_pt", filename=filename)
    found = _onnx_classes(data) if suffix == ".onnx" else []
    given = [n.strip() for n in names or [] if n.strip()]
    classes = given or found or _names(extra.get("classes") or extra.get("names"))
    if not classes:
        raise ModelRefused("video_models.names_required")
    sha = hashlib.sha256(data).hexdigest()
    target, present = _target(models_dir(settings), filename, sha)
    if present:
        return _info(target, shipped=target.parent == SHIPPED_DIR)
    roles = default_roles(classes)
    roles |= {k: str(v) for k, v in (extra.get("roles") or {}).items() if k in roles and v in ROLES}
    info = {
        "name": target.stem,
        "file": target.name,
        "classes": dict(enumerate(classes)),
        "roles": roles,
        "sha256": sha,
        "size": len(data),
        "uploaded_by": actor.username,
        "uploaded_at": utcnow().isoformat(timespec="seconds"),
        "source_filename": filename[:200],
    }
    write_atomic(target, data)
    try:
        write_atomic(target.with_suffix(".json"), json.dumps(info, ensure_ascii=False).encode())
    except OSError:
        target.unlink(missing_ok=True)
        raise
    audit.record(
        session,
        actor,
        "video_model_import",
        detail={k: info[k] for k in ("file", "classes", "sha256", "size", "source_filename")},
    )
    return _info(target, shipped=False)


def _info(path: Path, *, shipped: bool) -> ModelInfo:
    side = path.with_suffix(".json")
    try:
        meta = json.loads(side.read_text(encoding="utf-8")) if side.is_file() else {}
    except (OSError, ValueError):
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    classes = _names(meta.get("classes") or meta.get("names"))
    roles = {str(k): str(v) for k, v in (meta.get("roles") or {}).items()}
    return ModelInfo(
        file=path.name,
        name=str(meta.get("name") or path.stem),
        classes=classes,
        shipped=shipped,
        size=path.stat().st_size,
        sha256=meta.get("sha256"),
        uploaded_by=meta.get("uploaded_by"),
        uploaded_at=meta.get("uploaded_at"),
        roles=roles or default_roles(classes),
    )


def list_models(settings: Settings) -> list[ModelInfo]:
    """The shipped models, then the imported ones, by file name."""
    found = []
    for folder, shipped in ((SHIPPED_DIR, True), (models_dir(settings), False)):
        if folder.is_dir():
            paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
            found += [_info(p, shipped=shipped) for p in paths if p.is_file()]
    return found


def assign(
    session: Session,
    actor: Actor,
    settings: Settings,
    camera_id: int,
    file: str,
    roles: dict[str, str],
) -> Camera:
    """Point a camera at a model with its class → role map (through the camera's own update,
    so scope, validation and the audit entry are the table's)."""
    actor.require(Module.VIDEO, Action.CONFIGURE)
    model = next((m for m in list_models(settings) if m.file == file), None)
    if model is None:
        raise ModelRefused("video_models.unknown_model", file=file)
    unknown = sorted(set(roles) - set(model.classes)) if model.classes else []
    if unknown:
        raise ModelRefused("video_models.unknown_class", name=", ".join(unknown))
    bad = sorted({r for r in roles.values() if r not in ROLES})
    if bad:
        raise ModelRefused("video_models.bad_role", role=", ".join(bad))
    camera = get_row(session, get_spec("camera"), actor, camera_id)
    config = dict(camera.detector_config or {})
    config.pop("imgsz", None)  # the old model's input size; the new one's is in its file
    config |= {"weights": model.file, "classes": dict(roles)}
    return update_row(session, get_spec("camera"), actor, camera_id, {"detector_config": config})
