"""Modeling (MD): the shape of the DAG, read from the manifest: sources staged once, layers in order."""
