"""Inspections (隐患排查): checklists from control measures, plans → rounds, rounds on the
ground."""
