"""Governance (GV): public models keep their promises, and readers outside dbt read only public models."""
