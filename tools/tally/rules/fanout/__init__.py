"""Fan-out (FO): aggregates that count or sum rows a join has duplicated."""
