"""Training (教育培训): courses, plans, exams and certificates."""
