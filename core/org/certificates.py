"""When a personnel certificate counts: one rule for the permit crew check, the crew picker's
badge and the certificate reminders (a certificate is past due, on the to-do list, once its
``expires_on`` lies before today: the first day it no longer covers)."""

from __future__ import annotations

from datetime import date


def valid_through(expires_on: date | None, day: date) -> bool:
    """A certificate covers ``day`` when it has no expiry date or expires on or after it."""
    return expires_on is None or expires_on >= day
