"""Measurement: one replication's records -> its KPIs, daily series and costs; replications ->
statistics.

Owns the KPI catalogue (``catalog``: name, unit, direction and definition of every KPI), the
measurement rules of the contract (what arrived after the warm-up counts; time-weighted
quantities over the measured window), costs and revenue, and every interval and test over
replications (``stats``).
"""
