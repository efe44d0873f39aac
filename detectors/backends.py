"""Model backends: a frame in, ``supervision.Detections`` with a role per box out.

``OnnxBackend`` is the default: ONNX Runtime on one intra-op thread (twice as fast as ORT's
default on two cores, FIELD-NOTES), a letterbox like ultralytics', and the YOLO11 head
decoded with NMS in numpy, so the service needs neither torch nor ultralytics.
``UltralyticsBackend`` runs ``.pt`` weights through ultralytics, imported only when such a
camera starts. Which one a camera gets follows the weights file's suffix
(:func:`load_backend`).

Every backend keeps the boxes whose class the camera maps to a role (``detector_config
["classes"]``, class name → ``models.video.DetectionRole``), drops ``ignore`` and unmapped
classes, and adds ``data["class_name"]`` and ``data["role"]``.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import supervision as sv

from core.config import REPO_ROOT
from detectors.torch_shim import install

log = logging.getLogger(__name__)

DEFAULT_IMGSZ = 640
DEFAULT_IOU = 0.45
PAD_VALUE = 114
IGNORE = "ignore"


class BackendError(RuntimeError):
    """A model that cannot be loaded; the message says what to do about it."""


class Backend(Protocol):
    names: dict[int, str]

    def detect(self, frame: np.ndarray) -> sv.Detections: ...


# ------------------------------------------------------------------------------ numpy parts


def letterbox(frame: np.ndarray, size: int) -> tuple[np.ndarray, float, tuple[float, float]]:
    """Resize keeping the aspect ratio and pad to ``size`` × ``size`` (centred, grey 114), as
    ultralytics does; returns the padded image, the scale and the (x, y) padding."""
    import cv2

    height, width = frame.shape[:2]
    ratio = min(size / height, size / width)
    new_w, new_h = round(width * ratio), round(height * ratio)
    pad_x, pad_y = (size - new_w) / 2, (size - new_h) / 2
    resized = (
        frame
        if (new_w, new_h) == (width, height)
        else cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    )
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    out = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
    out[top : top + new_h, left : left + new_w] = resized
    return out, ratio, (left, top)


def to_tensor(image: np.ndarray) -> np.ndarray:
    """BGR uint8 HWC → RGB float32 NCHW in [0, 1]."""
    rgb = image[:, :, ::-1].transpose(2, 0, 1)
    return np.ascontiguousarray(rgb, dtype=np.float32)[None] / 255.0


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best score first."""
    order = scores.argsort()[::-1]
    x1, y1, x2, y2 = boxes.T
    areas = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = w * h
        overlap = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[overlap <= iou]
    return np.array(keep, dtype=int)


def decode_yolo(
    output: np.ndarray,
    *,
    conf: float,
    iou: float,
    ratio: float,
    pad: tuple[float, float],
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (xyxy in frame pixels), scores and class ids from a YOLO11/YOLOv8 head.

    ``output`` is ``(1, 4 + classes, anchors)``: centre x, centre y, width, height in the
    letterboxed input, then one score per class (no objectness). NMS is per class (boxes are
    offset by class so different classes never suppress each other).
    """
    pred = output[0].T if output.ndim == 3 else output.T
    scores_all = pred[:, 4:]
    class_id = scores_all.argmax(axis=1)
    scores = scores_all[np.arange(len(pred)), class_id]
    mask = scores >= conf
    pred, scores, class_id = pred[mask], scores[mask], class_id[mask]
    if not len(pred):
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, int)
    cx, cy, w, h = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    offset = class_id[:, None].astype(np.float32) * 4096.0
    keep = nms(xyxy + offset, scores, iou)
    xyxy, scores, class_id = xyxy[keep], scores[keep], class_id[keep]
    xyxy = (xyxy - np.array([pad[0], pad[1], pad[0], pad[1]], np.float32)) / ratio
    height, width = shape
    xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
    xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
    return xyxy.astype(np.float32), scores.astype(np.float32), class_id.astype(int)


def with_roles(
    detections: sv.Detections, names: dict[int, str], roles: dict[str, str]
) -> sv.Detections:
    """Keep the boxes of mapped classes and add ``class_name`` and ``role``."""
    class_names = np.array([names.get(int(c), str(c)) for c in detections.class_id], dtype=object)
    role = np.array([roles.get(n, IGNORE) for n in class_names], dtype=object)
    keep = role != IGNORE
    detections = detections[keep] if len(detections) else detections
    detections.data["class_name"] = class_names[keep].astype(str)
    detections.data["role"] = role[keep].astype(str)
    return detections


# ------------------------------------------------------------------------------ backends


class OnnxBackend:
    """A YOLO ONNX export under ONNX Runtime.

    Example:
        >>> backend = OnnxBackend("data/models/ppe_synth_yolo11n.onnx", 320,
        ...                       {"person": "person", "helmet": "helmet"}, conf=0.4)
        >>> detections = backend.detect(frame)  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | Path,
        imgsz: int | None,
        classes: dict[str, str],
        conf: float = 0.25,
        *,
        iou: float = DEFAULT_IOU,
        threads: int = 1,
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )
        self.input = self.session.get_inputs()[0]
        sidecar = _sidecar(self.path)
        fixed = self.input.shape[2] if isinstance(self.input.shape[2], int) else None
        self.imgsz = int(fixed or imgsz or sidecar.get("imgsz") or DEFAULT_IMGSZ)
        self.names = _onnx_names(self.session, sidecar)
        self.roles = dict(classes) or sidecar.get("roles") or {n: n for n in self.names.values()}
        self.conf = float(conf)
        self.iou = float(iou)
        if imgsz and int(imgsz) != self.imgsz:
            log.warning("%s takes %d px input only; imgsz %s ignored", self.path.name,
                        self.imgsz, imgsz)  # fmt: skip

    def detect(self, frame: np.ndarray) -> sv.Detections:
        image, ratio, pad = letterbox(frame, self.imgsz)
        (output,) = self.session.run(None, {self.input.name: to_tensor(image)})[:1]
        xyxy, scores, class_id = decode_yolo(
            output, conf=self.conf, iou=self.iou, ratio=ratio, pad=pad, shape=frame.shape[:2]
        )
        detections = sv.Detections(xyxy=xyxy, confidence=scores, class_id=class_id)
        return with_roles(detections, self.names, self.roles)


class UltralyticsBackend:
    """``.pt`` weights through ultralytics (and torch), loaded only when a camera uses them."""

    def __init__(
        self,
        path: str | Path,
        imgsz: int | None,
        classes: dict[str, str],
        conf: float = 0.25,
        *,
        config_dir: Path,
        iou: float = DEFAULT_IOU,
    ) -> None:
        self.path = Path(path)
        config_dir.mkdir(parents=True, exist_ok=True)
        os.environ["YOLO_OFFLINE"] = "1"
        os.environ["YOLO_AUTOINSTALL"] = "0"
        os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
        if importlib.util.find_spec("detectors.torch_shim") is not None:
            install()  # CPU torchvision::nms before ultralytics is imported
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise BackendError(
                f"{self.path.name} needs ultralytics (and torch), which is not installed: "
                "pip install ultralytics, or export the model to ONNX "
                f"(yolo export model={self.path.name} format=onnx) and use the .onnx file"
            ) from exc
        self.model = YOLO(str(self.path))
        self.names = {int(k): str(v) for k, v in self.model.names.items()}
        roles = dict(classes) or _sidecar(self.path).get("roles")
        self.roles = roles or {n: n for n in self.names.values()}
        self.imgsz = int(imgsz or DEFAULT_IMGSZ)
        self.conf = float(conf)
        self.iou = float(iou)

    def detect(self, frame: np.ndarray) -> sv.Detections:
        result = self.model.predict(
            frame, imgsz=self.imgsz, conf=self.conf, iou=self.iou, verbose=False
        )[0]
        return with_roles(sv.Detections.from_ultralytics(result), self.names, self.roles)


# ------------------------------------------------------------------------------ choosing


def resolve_weights(weights: str, data_dir: Path) -> Path:
    """Where ``weights`` is: as given, then under the data dir, its ``models`` folder and the
    repository's ``data/models``; a clear error naming the places tried when nowhere."""
    given = Path(weights).expanduser()
    tried = [given] if given.is_absolute() else [
        given, data_dir / given, data_dir / "models" / given, REPO_ROOT / given,
        REPO_ROOT / "data" / "models" / given,
    ]  # fmt: skip
    for path in tried:
        if path.is_file():
            return path
    places = ", ".join(str(p) for p in dict.fromkeys(tried))
    raise BackendError(f"model weights {weights!r} not found (looked in {places})")


def load_backend(detector_config: dict[str, Any], data_dir: Path) -> Backend:
    """The backend for a camera's ``detector_config`` (``weights``, ``classes``,
    ``confidence``, ``imgsz``): ``.onnx`` → ONNX Runtime, ``.pt`` → ultralytics."""
    weights = str(detector_config.get("weights") or "")
    if not weights:
        raise BackendError("the camera's detector configuration names no weights file")
    path = resolve_weights(weights, data_dir)
    classes = {str(k): str(v) for k, v in (detector_config.get("classes") or {}).items()}
    conf = float(detector_config.get("confidence") or 0.25)
    imgsz = detector_config.get("imgsz")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return OnnxBackend(path, imgsz, classes, conf)
    if suffix == ".pt":
        return UltralyticsBackend(path, imgsz, classes, conf, config_dir=data_dir / "ultralytics")
    raise BackendError(f"unknown weights format {path.name!r}: use .onnx or .pt")


def _sidecar(path: Path) -> dict[str, Any]:
    """The ``.json`` next to a model (classes, imgsz), written when it was exported."""
    side = path.with_suffix(".json")
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _onnx_names(session: Any, sidecar: dict[str, Any]) -> dict[int, str]:
    """Class names from the sidecar (a list or an id → name map), else from the metadata an
    ultralytics export writes (``names``: a Python dict literal)."""
    names = sidecar.get("classes") or sidecar.get("names")
    if isinstance(names, list):
        return dict(enumerate(map(str, names)))
    if isinstance(names, dict):
        return {int(k): str(v) for k, v in names.items()}
    meta = session.get_modelmeta().custom_metadata_map.get("names")
    if meta:
        try:
            return {int(k): str(v) for k, v in ast.literal_eval(meta).items()}
        except (ValueError, SyntaxError):
            pass
    classes = session.get_outputs()[0].shape[1]
    return {i: str(i) for i in range(int(classes) - 4)} if isinstance(classes, int) else {}
