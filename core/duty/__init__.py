"""Duty performance (安全履责): duties per post, tasks, submissions and the ranking."""
