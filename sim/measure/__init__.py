"""Measurement: one replication's records -> its KPIs, daily series and budget; replications ->
statistics.

Every KPI is defined once, by a formula registered beside its catalogue entry (name, unit,
direction, group, definition, contract or addition) with ``registry.kpi``; grep a KPI's name to
land on both. A formula gives the KPI's *parts per day* (numerator and denominator, a sum, counts
on fixed bins), and its combination kind turns the parts of any set of days into the value: the
horizon, a window, a month and a day share one definition. The modules, by meaning:

- ``registry``: ``KpiInfo``, ``Direction``, the ``kpi`` decorator, ``Row`` (KPIs from KPIs),
  ``values``/``value`` (a formula's KPI per cohort of a view);
- ``kinds``: the combination kinds (``SUM``, ``RATIO``, ``Quantile`` on ``Bins``, ``DERIVED``);
- ``catalog``: every entry in catalogue order (``KPIS``, ``KPI_BY_NAME``, ``KPI_NAMES``,
  ``CONTRACT_KPI_NAMES``, ``COST_KPIS``), which is the column order of results files;
- ``window``: the ``Grid`` of measured days (or months), the ``Period`` view, per-day tallies,
  overlaps, staffed and busy time: the measurement rules every formula shares;
- ``calls``, ``complaints``, ``repairs``, ``parts``, ``followups``: the KPIs of each department,
  each on a small view of the records that arrived in the window, each record in its cohort (the
  day it arrived or was created): ``Calls``, ``Cases``, ``WorkOrders``/``Jobs``,
  ``PartRequests``/``Stock``, ``FollowUps``;
- ``costs``: one formula per cost line, used for each day of the ledger and each month's budget
  alike; revenue and margin;
- ``ledger``: the ``Ledger`` of a replication (every KPI's parts per day) and its combinations
  (``kpis_over`` any days, ``combine`` per replication, ``kpis_by_day``, ``kpis_by_period``);
- ``series``: daily and hour-of-week series and histograms behind the charts;
- ``outcome``: ``measure(scenario, rep) -> Outcome``, which builds each view once, fills the
  ledger and combines every measured day into the horizon's KPIs;
- ``stats``: every interval and test over replications.

``sim.calibrate`` builds the same views from event logs (a week or a replication as the cohort)
and calls the same formulas.
"""
