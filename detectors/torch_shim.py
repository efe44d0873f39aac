"""Make PyPI's torchvision importable on a CPU-only torch, for the ultralytics path only.

PyPI's torchvision wheel is a CUDA build: its compiled ``_C`` extension does not load next to
the CPU torch, so ``torchvision::nms`` is never defined and ``import torchvision`` dies in
``_meta_registrations`` ("operator torchvision::nms does not exist"). Ultralytics imports
torchvision for predict, train, val and export, and uses ``torchvision.ops.nms`` whenever the
module is loaded. :func:`install` defines ``torchvision::nms`` (and ``qnms``, which the same file
touches) with a small pure-torch kernel before torchvision is imported, then tells torchvision
its ops are available so ``torchvision.ops.nms``/``batched_nms`` reach that kernel.

The ONNX Runtime path (the detector service's default) needs none of this; only training and
``.pt`` inference do. Call it before the first ``import ultralytics``::

    from detectors.torch_shim import install

    install()
    from ultralytics import YOLO
"""

from __future__ import annotations

import sys
from typing import Any

_LIB: Any = None  # the torch.library.Library object; kept alive or its definitions vanish


def nms(boxes: Any, scores: Any, iou_threshold: float) -> Any:
    """Greedy non-maximum suppression, torchvision's contract in plain torch.

    Args:
        boxes: ``(N, 4)`` float tensor, xyxy.
        scores: ``(N,)`` float tensor.
        iou_threshold: boxes overlapping a kept box by more than this are dropped.

    Returns:
        int64 indices of the kept boxes, by decreasing score.

    Example:
        >>> import torch
        >>> b = torch.tensor([[0.0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]])
        >>> nms(b, torch.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    import torch

    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.long, device=boxes.device)
    order = scores.argsort(descending=True)
    b = boxes[order].float()
    x1, y1, x2, y2 = b.unbind(1)
    area = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    ix1 = torch.maximum(x1[:, None], x1[None, :])
    iy1 = torch.maximum(y1[:, None], y1[None, :])
    ix2 = torch.minimum(x2[:, None], x2[None, :])
    iy2 = torch.minimum(y2[:, None], y2[None, :])
    inter = (ix2 - ix1).clamp(min=0) * (iy2 - iy1).clamp(min=0)
    iou = inter / (area[:, None] + area[None, :] - inter).clamp(min=1e-9)
    suppressed = torch.zeros(len(order), dtype=torch.bool, device=boxes.device)
    keep = []
    overlaps = (iou > iou_threshold).cpu()
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= overlaps[i].to(suppressed.device)
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def _qnms(boxes: Any, scores: Any, iou_threshold: float) -> Any:
    return nms(boxes.dequantize(), scores.dequantize(), iou_threshold)


def install() -> bool:
    """Register the ops and import torchvision; idempotent.

    Returns:
        True when the shim was needed (torchvision's own extension did not load), False when
        torchvision works natively or was already made to work.
    """
    global _LIB
    import torch

    if _LIB is not None:
        return True
    try:
        import torchvision  # a CPU build, or one whose extension loads)

        return False
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]  # drop the half-imported package before trying again
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor qdets, Tensor qscores, float iou_threshold) -> Tensor")
    lib.impl("nms", nms, "CPU")
    lib.impl("qnms", _qnms, "CPU")
    _LIB = lib

    import torchvision.extension

    if not torchvision.extension._has_ops():
        torchvision.extension._has_ops = lambda: True  # our kernels stand in for _C's nms
    return True
