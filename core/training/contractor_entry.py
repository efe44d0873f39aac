"""A contractor worker's entry exam: passing it sets the worker's training-passed date and score from the exam record, never typed."""

from __future__ import annotations
