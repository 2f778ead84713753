"""Portability (PT): model SQL that some target engine cannot run."""
