"""Data access, entitlements, formatting and widgets shared by every portal page.

Pages import from here only; nothing under ``dashboards/`` opens DuckDB any other way.
"""
