"""Operating the Tally warehouse: build, audit and publish it; report on it; benchmark it."""
