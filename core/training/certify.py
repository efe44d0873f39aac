"""A passed exam issues a training certificate when its paper says so; its expiry feeds the existing reminders."""

from __future__ import annotations
