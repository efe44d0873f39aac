"""Occupational health (职业健康): factors, monitoring, health examinations and PPE."""
