"""Timefold's meeting-scheduling quickstart as a benchmark for moedeplan's engine.

`instance` parses the neutral JSON, `score` is the independent hard/medium/soft scoring from the
benchmark's README, and `solve` is a CP-SAT model in the scheduler's style.
"""
