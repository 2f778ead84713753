"""Deterministic raw-data generator for Larkspur Goods, the fictional retailer behind Tally.

Writes every table of :mod:`datagen.schema` as Parquet, with the documented "mess" of real
operational data (CDC versions, re-deliveries, test accounts, ...) and optional injected
defects. See ``tools/datagen/README.md``.
"""

# Bump when a change alters the generated rows: the same seed and scale give the same data
# only under the same generator version. Recorded in every manifest.
__version__ = "1.0.0"
