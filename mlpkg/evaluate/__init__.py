"""Evaluation shared by every task: metrics, bootstrap intervals, reports, tables, provenance."""
