"""tally: keep every dashboard, analysis and model on the canonical metric definitions.

Data flows one way: inputs (dbt artifacts and the SQL to check) -> analysis (built once) ->
rules (each reads the analysis, returns findings) -> reports.
"""

__version__ = "0.1.0"
