"""Metric conformance (MC): a query computes a metric, or claims to, but not the way it is defined."""
