"""Read dbt-charts boards: every SQL query in a board, where it sits, and how charts label it.

A board names its queries under `queries:` (a bare SQL string or a mapping with `sql:`), and
a chart may carry its own inline query. Charts label the columns they show: a KPI's `label`
names its `value` column, a chart's `y_label` (or a single-series chart's `title`) names its
`y` column. Those labels are how a tile claims to show a metric.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tally.inputs.jinja import render_board_sql
from tally.inputs.units import BOARD, SqlUnit

SQL_START = re.compile(r"^\s*(\(|with\b|select\b|from\b)", re.IGNORECASE)


_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree, by libyaml when it is there (ten times faster); anything libyaml
    rejects goes to the pure-Python composer, so its error messages are the ones reported."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text)


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _position(node: yaml.ScalarNode, text_lines: list[str]) -> tuple[int, int, int]:
    """(line_offset, first_col_offset, col_offset) of a scalar's content in the file."""
    mark = node.start_mark
    if node.style in ("|", ">"):
        first = mark.line + 1
        while first < len(text_lines) and not text_lines[first].strip():
            first += 1
        line = text_lines[first] if first < len(text_lines) else ""
        indent = len(line) - len(line.lstrip(" "))
        return first, indent, indent
    quote = 1 if node.style in ('"', "'") else 0
    return mark.line, mark.column + quote, mark.column + quote


def read_board(path: Path, display_path: str) -> list[SqlUnit]:
    """Every query of one board as SqlUnits; a broken file becomes one unit with an error."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [SqlUnit(BOARD, display_path, path.stem, "", input_error="not a UTF-8 text file")]
    except OSError as exc:
        return [SqlUnit(BOARD, display_path, path.stem, "", input_error=f"cannot read: {exc.strerror}")]
    if "\x00" in text:
        return [SqlUnit(BOARD, display_path, path.stem, "", input_error="binary content (NUL bytes) in a board file")]
    try:
        root = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        unit = SqlUnit(BOARD, display_path, path.stem, "", input_error=f"broken YAML: {_yaml_problem(exc)}")
        if mark is not None:
            unit.line_offset, unit.first_col_offset = mark.line, mark.column
        return [unit]
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        return [SqlUnit(BOARD, display_path, path.stem, "", input_error="a board must be a YAML mapping")]
    board = _mapping(root)
    lines = text.splitlines()
    title = _scalar(board.get("title"))

    queries: dict[str, yaml.ScalarNode] = {}
    not_sql: list[SqlUnit] = []
    for name, value in _mapping(board.get("queries")).items():
        sql_node = value if isinstance(value, yaml.ScalarNode) else _mapping(value).get("sql")
        kind = _not_text(sql_node)
        if kind:  # `sql: 42`, `sql: ~`, `sql: [a, b]`: not SQL, and not to be read as SQL
            unit = SqlUnit(BOARD, display_path, name, "", input_error=f"query {name}: `sql` is {kind}, not SQL text")
            unit.line_offset, unit.first_col_offset = sql_node.start_mark.line, sql_node.start_mark.column
            not_sql.append(unit)
        elif isinstance(sql_node, yaml.ScalarNode) and sql_node.value.strip():
            queries[name] = sql_node

    labels: dict[str, dict[str, list[str]]] = {}
    inline: dict[str, yaml.ScalarNode] = {}
    for chart_name, chart in _charts(board):
        query_node = chart.get("query")
        query_name = _scalar(query_node)
        if query_name is not None and query_name in queries:
            target = query_name
        elif isinstance(query_node, yaml.ScalarNode) and SQL_START.match(query_node.value or ""):
            target = f"{chart_name} (inline)"
            inline[target] = query_node
        elif isinstance(query_node, yaml.MappingNode):
            sql_node = _mapping(query_node).get("sql")
            if not isinstance(sql_node, yaml.ScalarNode):
                continue
            target = f"{chart_name} (inline)"
            inline[target] = sql_node
        else:
            continue
        for column, label in _chart_labels(chart):
            labels.setdefault(target, {}).setdefault(column.lower(), []).append(label)

    texts = {name: node.value for name, node in {**queries, **inline}.items()}
    units = []
    for name, node in {**queries, **inline}.items():
        line_offset, first_col, col = _position(node, lines)
        units.append(
            SqlUnit(
                kind=BOARD,
                path=display_path,
                name=name,
                sql=render_board_sql(node.value, texts),
                line_offset=line_offset,
                first_col_offset=first_col,
                col_offset=col,
                labels=labels.get(name, {}),
                board_title=title,
            )
        )
    return not_sql + units


_NOT_TEXT_TAGS = {
    "tag:yaml.org,2002:null": "null", "tag:yaml.org,2002:bool": "a boolean", "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number", "tag:yaml.org,2002:timestamp": "a date",
}


def _not_text(node: yaml.Node | None) -> str | None:
    """What a YAML value that should hold SQL is instead (None when it is text, or absent)."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.ScalarNode) and not node.style:  # quoted and block scalars are text (libyaml says "" for plain)
        return _NOT_TEXT_TAGS.get(node.tag)
    return None


def _charts(board: dict[str, yaml.Node]):
    """(name, fields) of every chart: under `charts:` and inline in the layout."""
    for name, chart in _mapping(board.get("charts")).items():
        yield name, _mapping(chart)
    stack = [board.get(key) for key in ("rows", "cols", "grid", "tabs")]
    seen: set[int] = set()  # YAML aliases can make the layout a cycle (`rows: &r [*r]`)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            fields = _mapping(node)
            if "query" in fields and "type" in fields:
                yield _scalar(fields.get("id")) or f"chart@{node.start_mark.line + 1}", fields
                continue
            for key, value in fields.items():
                value_fields = _mapping(value)
                if "query" in value_fields and "type" in value_fields:
                    yield key, value_fields
                else:
                    stack.append(value)


def _chart_labels(chart: dict[str, yaml.Node]):
    chart_type = _scalar(chart.get("type"))
    if chart_type == "kpi":
        value, label = _scalar(chart.get("value")), _scalar(chart.get("label"))
        if value and label:
            yield value, label
        return
    y = chart.get("y")
    y_columns = [y.value] if isinstance(y, yaml.ScalarNode) else [
        item.value for item in getattr(y, "value", []) if isinstance(item, yaml.ScalarNode)
    ]
    y_label = _scalar(chart.get("y_label"))
    title = _scalar(chart.get("title"))
    for column in y_columns:
        if y_label:
            yield column, y_label
        if title and len(y_columns) == 1:
            yield column, title


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    return f"{problem}{where}"
