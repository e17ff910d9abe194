"""The planning core: domain model, config, term calendar, CP-SAT model, solving, verification."""
