"""The BAL rollout's rules (team -> round, facilitator, course group), one module each with `RULE`.

Loaded by `scheduler.rollout_rules.load_rollout_rules`, never by the term catalogue
(`scheduler.rules.load_rules` skips this package: it has no `RULE`)."""
