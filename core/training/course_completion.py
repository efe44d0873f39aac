"""Course completion: a course is complete for a person when its materials are studied and its exam, if any, is passed; completion finishes the person's open assignments of the course and writes their training record."""

from __future__ import annotations
