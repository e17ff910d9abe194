"""The rule catalogue: one module per rule, each exposing `RULE` (see `scheduler.rules.Rule`)."""
