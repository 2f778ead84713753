"""The SQL units tally checks: board queries, analyses, plain .sql files, stdin and models.

Every unit knows where its SQL sits in its file, so a finding at line 3 of a board query is
reported at the right line of the YAML file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tally.findings import Location

if TYPE_CHECKING:
    from tally.inputs.project import Node

# Kinds of unit, as rules name them in `applies_to`.
BOARD, ANALYSIS, SQL_FILE, STDIN, MODEL = "board", "analysis", "sql", "stdin", "model"


@dataclass
class SqlUnit:
    kind: str
    path: str  # as shown in findings, relative to the project when possible
    name: str  # board query name, model name or file stem
    sql: str
    # Where line 1, column 1 of `sql` sits in the file (0-based line, 0-based column), and the
    # indentation of the following lines (block scalars in YAML are indented).
    line_offset: int = 0
    first_col_offset: int = 0
    col_offset: int = 0
    # For a board query: output column -> labels the charts give it (KPI label, y_label, title).
    labels: dict[str, list[str]] = field(default_factory=dict)
    board_title: str | None = None
    node: "Node | None" = None
    # For a model analysed from compiled SQL: map compiled lines back to the source file.
    line_map: "LineMap | None" = None
    # Set when the unit could not even be read (binary junk, broken YAML): reported as is.
    input_error: str | None = None
    # A model's Jinja source with macros left as placeholders, for the portability check.
    portable_sql: str | None = None

    @property
    def subject(self) -> str:
        return f"{self.kind} {self.name}"

    def location(self, line: int = 1, col: int = 1) -> Location:
        """Translate a 1-based position in `sql` to a position in the file."""
        if self.line_map is not None:
            line = self.line_map.to_source(line)
        file_line = self.line_offset + line
        file_col = (self.first_col_offset if line == 1 else self.col_offset) + col
        return Location(self.path, max(1, file_line), max(1, file_col))


class LineMap:
    """Maps lines of compiled SQL to lines of the Jinja source they came from.

    Compilation keeps most lines and expands a few (a macro becomes several lines), so aligning
    the two texts line by line finds, for each compiled line, the source line it came from.
    """

    def __init__(self, source: str, compiled: str) -> None:
        source_lines = [line.strip() for line in source.splitlines()]
        compiled_lines = [line.strip() for line in compiled.splitlines()]
        self._map: dict[int, int] = {}
        matcher = difflib.SequenceMatcher(None, compiled_lines, source_lines, autojunk=False)
        for tag, c1, c2, s1, s2 in matcher.get_opcodes():
            for offset, compiled_line in enumerate(range(c1, c2)):
                if tag == "equal":
                    self._map[compiled_line + 1] = s1 + offset + 1
                else:  # an expansion: point at the start of the Jinja that produced it
                    self._map[compiled_line + 1] = min(s1 + offset, max(s1, s2 - 1)) + 1
        self._last = len(source_lines) or 1

    def to_source(self, line: int) -> int:
        return min(self._map.get(line, line), self._last)
