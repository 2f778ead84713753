"""Consistency (CQ): one name, one definition, across dashboards and across metrics."""
