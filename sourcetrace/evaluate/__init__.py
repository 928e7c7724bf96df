"""Evaluation: one module per task, each reading the task's public gold format and printing its metrics."""
