"""Reporting: rollup tables filled by a resumable job, the `reporting` schema for analysts, trends.

- models.py: the rollup tables and the job's progress (state row and dirty-day queue)
- rollups.py / daycompute.py: the resumable job that fills them
- schema.py + sql/: the PostgreSQL-only `reporting` schema (views for analysts)
- roles.py: the read-only analyst role
- trends.py, stats.py: week-over-week changes and the test that tells them from noise
- selectors.py: what the dashboards read (works on SQLite and PostgreSQL)
"""
