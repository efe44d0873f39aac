"""Contractors (相关方): company files, qualifications, workers and their admission rules."""
