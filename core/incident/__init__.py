"""Incidents (事故事件): reports, the State Council grade, investigations and corrective actions."""
