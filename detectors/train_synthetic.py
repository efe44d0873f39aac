"""Train the small PPE model that ships in ``data/models``, on synthetic scenes only, on CPU.

    python -m detectors.train_synthetic --out data/models

Renders labelled images from varied :mod:`detectors.scene` scenes (YOLO format; classes
``person``, ``head`` = a head without a hard hat, ``helmet`` = a head with one), trains
ultralytics yolo11n from ``yolo11n.yaml`` (no pretrained download) at imgsz 320, exports ONNX,
then measures precision and recall of the ONNX model with ONNX Runtime on held-out scenes.
Writes ``ppe_synth_yolo11n.{pt,onnx,json}``. Needs the training extras (docs/detector.md:
CPU torch, ultralytics ``--no-deps``, ``onnx``); runs offline. It is a demo and test model: it
knows these cartoon workers, not real ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from detectors.layout import KINDS
from detectors.scene import PersonTruth, SyntheticScene
from detectors.torch_shim import install

CLASSES = ("person", "head", "helmet")
NAME = "ppe_synth_yolo11n"
SIZES = ((640, 360), (640, 360), (480, 360), (512, 288), (416, 416))


def render(seed: int) -> tuple[np.ndarray, list[tuple[int, tuple[int, int, int, int]]]]:
    """One varied training image and its labels ``(class id, xyxy)``, from ``seed``."""
    rng = random.Random(seed)
    w, h = rng.choice(SIZES)
    people, kind = rng.randint(2, 9), rng.choice(KINDS)
    noise, scale = rng.choice((0.0, 3.0, 6.0)), rng.uniform(0.8, 1.5)
    scene = SyntheticScene(seed, w, h, 10.0, people=people, kind=kind, noise=noise, scale=scale)
    img, truth = scene.frame(rng.randrange(3000))
    gain, bias = rng.uniform(0.7, 1.25), rng.uniform(-25, 25)
    img = cv2.convertScaleAbs(img, alpha=gain, beta=bias)
    if rng.random() < 0.3:
        img = cv2.GaussianBlur(img, (3, 3), 0)
    return img, labels(truth)


def labels(truth: list[PersonTruth]) -> list[tuple[int, tuple[int, int, int, int]]]:
    """Person boxes and head boxes, leaving out heads mostly hidden by someone nearer."""
    out: list[tuple[int, tuple[int, int, int, int]]] = []
    for p in truth:
        out.append((0, p.box))
        nearer = [q.box for q in truth if q.box[3] > p.box[3]]
        if max((_cover(p.head, b) for b in nearer), default=0.0) < 0.4:
            out.append((2 if p.helmet else 1, p.head))
    return out


def _cover(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Share of box ``a`` inside box ``b``."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return iw * ih / max(1, (a[2] - a[0]) * (a[3] - a[1]))


def write_dataset(root: Path, n_train: int, n_val: int) -> Path:
    """Write images/labels for train (seeds 1..) and val (seeds 50000..) and the data YAML."""
    for split, first, n in (("train", 1, n_train), ("val", 50_000, n_val)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for seed in range(first, first + n):
            img, boxes = render(seed)
            h, w = img.shape[:2]
            cv2.imwrite(str(root / "images" / split / f"{seed}.jpg"), img)
            rows = [
                f"{c} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} "
                f"{(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}"
                for c, (x1, y1, x2, y2) in boxes
            ]
            (root / "labels" / split / f"{seed}.txt").write_text("\n".join(rows) + "\n")
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASSES))
    data = root / "data.yaml"
    data.write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    return data


def offline_env(config_dir: Path) -> None:
    """No downloads, no installs; the font ultralytics checks for comes from matplotlib."""
    os.environ.update(YOLO_OFFLINE="1", YOLO_AUTOINSTALL="0", YOLO_CONFIG_DIR=str(config_dir))
    config_dir.mkdir(parents=True, exist_ok=True)
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    shutil.copy(font, config_dir / "Arial.ttf")


def detect(session, img: np.ndarray, imgsz: int, conf: float) -> list[tuple[int, float, tuple]]:
    """Run the exported model on one BGR frame: ``(class id, score, xyxy)`` after NMS."""
    h, w = img.shape[:2]
    r = min(imgsz / w, imgsz / h)
    nw, nh = round(w * r), round(h * r)
    canvas = np.full((imgsz, imgsz, 3), 114, np.uint8)
    top, left = (imgsz - nh) // 2, (imgsz - nw) // 2
    canvas[top : top + nh, left : left + nw] = cv2.resize(img, (nw, nh))
    blob = canvas[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255
    out = session.run(None, {session.get_inputs()[0].name: blob})[0][0].T  # (anchors, 4 + nc)
    scores = out[:, 4:]
    cls, score = scores.argmax(1), scores.max(1)
    keep = score >= conf
    xywh, cls, score = out[keep, :4], cls[keep], score[keep]
    xyxy = np.concatenate([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], 1)
    xyxy = (xyxy - [left, top, left, top]) / r
    found = []
    for c in np.unique(cls):
        idx = np.flatnonzero(cls == c)
        boxes = [[x1, y1, x2 - x1, y2 - y1] for x1, y1, x2, y2 in xyxy[idx].tolist()]
        for k in cv2.dnn.NMSBoxes(boxes, score[idx].tolist(), conf, 0.5):
            found.append((int(c), float(score[idx[k]]), tuple(xyxy[idx[k]].tolist())))
    return found


def _iou(a: tuple, b: tuple) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def evaluate(onnx_path: Path, imgsz: int, n: int = 60, first: int = 90_000) -> dict:
    """Precision/recall per class at IoU 0.5 and conf 0.25 / 0.5 on held-out seeds."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    frames = [render(seed) for seed in range(first, first + n)]
    result: dict = {"images": n, "first_seed": first}
    started = time.perf_counter()
    for conf in (0.25, 0.5):
        tp = np.zeros(len(CLASSES), int)
        fp, fn = tp.copy(), tp.copy()
        for img, truth in frames:
            found = detect(session, img, imgsz, conf)
            for c in range(len(CLASSES)):
                gt = [b for k, b in truth if k == c]
                pred = sorted((d for d in found if d[0] == c), key=lambda d: -d[1])
                used: set[int] = set()
                for _c, _s, box in pred:
                    best = max(range(len(gt)), key=lambda j: _iou(box, gt[j]), default=None)
                    if best is not None and best not in used and _iou(box, gt[best]) >= 0.5:
                        used.add(best)
                        tp[c] += 1
                    else:
                        fp[c] += 1
                fn[c] += len(gt) - len(used)
        result[f"conf_{conf}"] = {
            name: {
                "precision": round(float(tp[c] / max(1, tp[c] + fp[c])), 3),
                "recall": round(float(tp[c] / max(1, tp[c] + fn[c])), 3),
            }
            for c, name in enumerate(CLASSES)
        }
    result["ms_per_image"] = round((time.perf_counter() - started) * 1000 / (2 * n), 1)
    return result


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("data/models"))
    ap.add_argument("--train-images", type=int, default=240)
    ap.add_argument("--val-images", type=int, default=60)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--minutes", type=float, default=9.0, help="training time cap (ultralytics)")
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--batch", type=int, default=8, help="small batches: more steps per epoch")
    ap.add_argument("--workdir", type=Path, default=None, help="kept when given")
    ap.add_argument(
        "--init",
        default="yolo11n.yaml",
        help="start from these weights (e.g. the shipped .pt to train on) or a yaml",
    )
    ap.add_argument(
        "--mosaic",
        type=float,
        default=1.0,
        help="mosaic probability; 0 keeps small heads big enough at imgsz 320",
    )
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="safeloop-train-"))
    offline_env(work / "yolo-config")
    t0 = time.perf_counter()
    data = write_dataset(work / "dataset", args.train_images, args.val_images)
    render_s = time.perf_counter() - t0

    install()
    import torch
    from ultralytics import YOLO

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = YOLO(args.init)
    t1 = time.perf_counter()
    model.train(data=str(data), imgsz=args.imgsz, epochs=args.epochs, time=args.minutes / 60,
                batch=args.batch, warmup_epochs=1, mosaic=args.mosaic, workers=0, device="cpu",
                plots=False, amp=False, pretrained=str(args.init).endswith(".pt"),
                project=str(work / "runs"), name="train", exist_ok=True, seed=0,
                deterministic=True, verbose=False, patience=100)  # fmt: skip
    train_s = time.perf_counter() - t1
    best = work / "runs" / "train" / "weights" / "best.pt"
    trained = YOLO(str(best))
    metrics = trained.val(data=str(data), imgsz=args.imgsz, batch=16, workers=0, device="cpu",
                          plots=False, verbose=False, project=str(work / "runs"),
                          name="val")  # fmt: skip
    onnx_file = Path(trained.export(format="onnx", imgsz=args.imgsz, opset=17, simplify=False,
                                    dynamic=True, device="cpu"))  # fmt: skip

    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(best, args.out / f"{NAME}.pt")
    shutil.copy(onnx_file, args.out / f"{NAME}.onnx")
    results = work / "runs" / "train" / "results.csv"
    epochs_done = len(results.read_text().splitlines()) - 1 if results.exists() else None
    info = {
        "name": NAME,
        "architecture": "yolo11n (from yolo11n.yaml, no pretrained weights)",
        "init": Path(args.init).name,
        "mosaic": args.mosaic,
        "classes": dict(enumerate(CLASSES)),
        "roles": {"person": "person", "head": "no_helmet", "helmet": "helmet"},
        "imgsz": args.imgsz,
        "onnx_opset": 17,
        "train_images": args.train_images,
        "val_images": args.val_images,
        "epochs": args.epochs,
        "batch": args.batch,
        "epochs_run": epochs_done,  # fewer than epochs when the time cap hit
        "val_map50": round(float(metrics.box.map50), 3),
        "val_map50_95": round(float(metrics.box.map), 3),
        "val_map50_per_class": {
            CLASSES[int(c)]: round(float(m), 3)
            for c, m in zip(metrics.box.ap_class_index, metrics.box.ap50, strict=True)
        },
        "render_s": round(render_s, 1),
        "train_s": round(train_s, 1),
        "torch": torch.__version__,
        "data": "detectors.scene synthetic scenes only (train seeds 1.., val 50000..)",
    }
    info["heldout"] = evaluate(args.out / f"{NAME}.onnx", args.imgsz)
    (args.out / f"{NAME}.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))
    return info


if __name__ == "__main__":
    main()
