"""Suppression hygiene (TL): reported by the engine while applying inline suppressions."""
