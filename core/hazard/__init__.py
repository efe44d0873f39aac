"""Hazards (隐患排查治理): numbering, SLA deadlines, the overdue rule, the workflow and its
reminders."""
