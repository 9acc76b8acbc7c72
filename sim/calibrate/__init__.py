"""Calibration: the model's records written as a company's event logs, and fitted back.

Owns the event-log format (``schema``), writing logs from records (``logs.event_tables``),
reading and checking a company's logs (``read``), the estimators and fits of every scenario
section (``fit``, ``calls``, ``service``, ``shocks``, ``estimators``, ``builder``), the
record-side measures (``measures``, which call ``sim.measure``'s KPI formulas) and the
back-test (``backtest``) with its report.

Public face: ``fit.fit_files``, ``backtest.backtest``, ``logs.event_tables``, ``read.read_logs``.
"""
