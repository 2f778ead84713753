"""`tally review`: what a change to a dbt project does to the numbers, for its pull request.

It reads the same inputs and analysis as `tally check` (dbt's artifacts, `build_shared`, the
column lineage, `Impact`, the semantic layer), once per side, and adds only what a comparison
needs. One small module per step, in the order the command runs them:

    settings   [tool.tally.review]: the project's data hook and how dbt finds each warehouse
    workspace  the base from git (or a base manifest), each side's target, logs and DuckDB file
    changes    dbt's state:modified, plus metric definitions, renames, column-level changes and
               everything downstream (models, semantic models, metrics, saved queries, tiles)
    breaking   which of those break a public mart's or a metric's readers
    findings   tally's rules and sqlfluff on the changed files
    numbers    base and head built on DuckDB; impacted metrics and changed marts compared
    result     all of it, for the reporters (tally.reports.review: Markdown and JSON)

tally.commands.review wires them together.
"""
