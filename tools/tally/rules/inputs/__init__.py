"""Input problems (PE): files tally could not read or SQL it could not parse."""
