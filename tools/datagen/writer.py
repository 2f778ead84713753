"""Parquet output: one file per table per work unit, row groups of bounded size.

Files are written under a temporary name and renamed when complete, so a reader globbing
``*.parquet`` never sees a half-written file. Low-cardinality strings may arrive as Arrow
dictionaries; they are written as ordinary Parquet strings (dictionary-encoded pages) and
read back as ``string``, exactly as schema.py declares. The Arrow schema is not embedded
(``store_schema=False``) so readers see the plain Parquet types.
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datagen.schema import RawTable

ROW_GROUP_ROWS = 262_144
COMPRESSION = "zstd"


def part_path(root: str, table: RawTable, name: str) -> str:
    return os.path.join(table.path(root), f"part-{name}.parquet")


def visible(table: pa.Table) -> pa.Table:
    """Drop the generator's hidden ``__`` bookkeeping columns."""
    return table.select([n for n in table.column_names if not n.startswith("__")])


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Select and order `schema`'s columns, casting where the types differ; a dictionary
    column whose values have the declared type is kept as it is."""
    cols = []
    for field in schema:
        column = table.column(field.name)
        t = column.type
        same = t == field.type or (pa.types.is_dictionary(t) and t.value_type == field.type)
        cols.append(column if same else pc.cast(column, field.type))
    return pa.table(cols, names=schema.names)


class TableWriter:
    """Buffers blocks of one table and writes them as row groups of one Parquet file."""

    def __init__(self, root: str, table: RawTable, name: str, schema: pa.Schema | None = None):
        self.table = table
        self.schema = schema if schema is not None else table.schema
        self.path = part_path(root, table, name)
        self._tmp = self.path + ".tmp"
        self._writer: pq.ParquetWriter | None = None
        self._physical: pa.Schema | None = None
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self.rows = 0

    def write(self, data: pa.Table) -> None:
        data = conform(data, self.schema)
        if self._physical is None:
            self._physical = data.schema
        elif data.schema != self._physical:
            data = _match(data, self._physical)
        self._buffer.append(data)
        self._buffered += data.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        data = pa.concat_tables(self._buffer)
        self._buffer, self._buffered = [], 0
        if self._writer is None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._writer = pq.ParquetWriter(self._tmp, self._physical, compression=COMPRESSION,
                                            store_schema=False, write_statistics=True)
        self._writer.write_table(data, row_group_size=max(data.num_rows, 1))
        self.rows += data.num_rows

    def close(self, keep_empty: bool = False) -> int:
        """Finish the file; returns its row count. Without rows, no file is left behind
        unless `keep_empty` (so a table always has at least one file to glob)."""
        self._flush()
        if self._writer is None:
            if not keep_empty:
                return 0
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._writer = pq.ParquetWriter(self._tmp, self.schema, compression=COMPRESSION, store_schema=False)
        self._writer.close()
        os.replace(self._tmp, self.path)
        return self.rows


def _match(data: pa.Table, physical: pa.Schema) -> pa.Table:
    cols = []
    for field, column in zip(physical, data.columns):
        if column.type == field.type:
            cols.append(column)
        elif pa.types.is_dictionary(field.type):
            cols.append(pc.dictionary_encode(pc.cast(column, field.type.value_type)))
        else:
            cols.append(pc.cast(column, field.type))
    return pa.table(cols, schema=physical)
