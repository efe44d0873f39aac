"""数据集与模型: export reviewed snapshots as a YOLO dataset, fix their boxes, import a model."""

from core.ui.video.datasets import render

render()
