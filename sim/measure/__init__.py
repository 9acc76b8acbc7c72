"""Measurement: one replication's records -> its KPIs, daily series and budget; replications ->
statistics.

Every KPI is defined once, by a formula registered beside its catalogue entry (name, unit,
direction, group, definition, contract or addition) with ``registry.kpi``; grep a KPI's name to
land on both. The modules, by meaning:

- ``registry``: ``KpiInfo``, ``Direction``, the ``kpi`` decorator, ``Row`` (KPIs from KPIs);
- ``catalog``: every entry in catalogue order (``KPIS``, ``KPI_BY_NAME``, ``KPI_NAMES``,
  ``CONTRACT_KPI_NAMES``, ``COST_KPIS``), which is the column order of results files;
- ``window``: the measured ``Period``, staffed and busy time, ``ratio``, ``mean_or_nan``,
  ``split`` (records by day or week): the measurement rules every formula shares;
- ``calls``, ``complaints``, ``repairs``, ``parts``, ``followups``: the KPIs of each department,
  each on a small view of the records that arrived in the window (``Calls``, ``Cases``,
  ``WorkOrders``/``Jobs``, ``PartRequests``/``Stock``, ``FollowUps``);
- ``costs``: one formula per cost line, used for the horizon's KPIs and each month's budget
  alike; revenue and margin;
- ``series``: daily and hour-of-week series and histograms behind the charts;
- ``outcome``: ``measure(scenario, rep) -> Outcome``, which builds each view once and applies
  the catalogue;
- ``stats``: every interval and test over replications.

``sim.calibrate`` builds the same views from event logs and calls the same formulas.
"""
