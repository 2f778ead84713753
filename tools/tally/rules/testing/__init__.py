"""Testing (TS): every model has a proven primary key, every source a freshness check."""
