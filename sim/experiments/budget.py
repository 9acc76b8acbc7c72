"""The budget in the company's format: revenue, cost and expense budgets by calendar month, each
line with its 95% interval over replications, and the totals of the horizon.

This module owns ``budget_table`` (the rows of ``budget.csv``), ``measured_months`` (the calendar
months of a run's measured days) and the names of the budget's summary rows. Simulated lines are
KPIs of the ledger combined over each month's days (``sim.measure.ledger.kpis_by_period``, what
``sim.experiments.windows.period_kpis`` gives), so a month's cost has the horizon's definition:
the cost departments (``cost_<department>``) and ``total`` (``total_cost``) make the cost budget;
repair revenue (``revenue``, with a ``revenue`` section) and the ``finance.monthly_revenue``
lines the revenue budget; the ``finance.monthly_expenses`` lines the expense budget. A finance
line is an amount per calendar month: a month the measured days cover in part (cut by the end of
the warm-up or of the horizon) gets its share by days. ``margin`` = total revenue - total cost -
total expense.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.measure.costs import DEPARTMENTS, MARGIN, REVENUE, TOTAL
from sim.measure.ledger import Ledger, kpis_by_period
from sim.measure.stats import t_interval
from sim.scenario.dates import CalendarPeriod, calendar_months, calendar_quarters
from sim.scenario.format import Scenario

TOTAL_REVENUE, TOTAL_EXPENSE = "total_revenue", "total_expense"
ALL_MONTHS = "total"
"""The ``month`` of the rows that sum every measured month."""
COST, REVENUE_BUDGET, EXPENSE, RESULT = "cost", "revenue", "expense", "result"
BUDGETS: tuple[str, ...] = (REVENUE_BUDGET, COST, EXPENSE)
"""The three budgets of the company's format; ``margin`` is the ``result``."""
COLUMNS: tuple[str, ...] = ("month", "department", "mean", "std", "ci_low", "ci_high", "n",
                            "budget", "measured_days", "month_days")
"""The columns of ``budget.csv``: those it had before calendar months first (``month`` is now
``YYYY-MM``), then which budget the line belongs to and how much of the month was measured."""


def measured_months(scenario: Scenario) -> list[CalendarPeriod]:
    """The calendar months that the measured days (after the warm-up) touch."""
    return calendar_months(scenario.start_date, scenario.warmup_days, scenario.run_days)


def measured_quarters(scenario: Scenario) -> list[CalendarPeriod]:
    """The calendar quarters that the measured days touch."""
    return calendar_quarters(scenario.start_date, scenario.warmup_days, scenario.run_days)


def as_periods(periods: Sequence[CalendarPeriod]) -> list[tuple[str, int, int]]:
    """Calendar periods as the (label, first day, last day) of ``kpis_by_period``."""
    return [(p.label, p.first_day, p.last_day) for p in periods]


def _lines(scenario: Scenario, by_month: pd.DataFrame, months: Sequence[CalendarPeriod]
           ) -> list[tuple[str, str, np.ndarray]]:
    """(budget, line, amount per row of ``by_month``) in the order of the budget."""
    share = by_month["period"].map({m.label: m.share for m in months}).to_numpy(float)
    finance = scenario.finance
    lines: list[tuple[str, str, np.ndarray]] = [
        (COST, d, by_month[f"cost_{d}"].to_numpy(float)) for d in DEPARTMENTS]
    lines.append((COST, TOTAL, by_month["total_cost"].to_numpy(float)))
    revenue: list[tuple[str, str, np.ndarray]] = []
    if scenario.revenue is not None:
        revenue.append((REVENUE_BUDGET, REVENUE, by_month["revenue"].to_numpy(float)))
    for line, amount in (finance.monthly_revenue if finance else {}).items():
        revenue.append((REVENUE_BUDGET, line, amount * share))
    expenses = [(EXPENSE, line, amount * share)
                for line, amount in (finance.monthly_expenses if finance else {}).items()]
    total_expense = np.sum([a for *_, a in expenses], axis=0) if expenses else 0.0
    if expenses:
        expenses.append((EXPENSE, TOTAL_EXPENSE, np.asarray(total_expense, dtype=float)))
    if revenue:
        total_revenue = np.sum([a for *_, a in revenue], axis=0)
        revenue.append((REVENUE_BUDGET, TOTAL_REVENUE, total_revenue))
        margin = total_revenue - lines[-1][2] - total_expense
        return [*revenue, *lines, *expenses, (RESULT, MARGIN, margin)]
    return [*lines, *expenses]


def budget_table(scenario: Scenario, ledger: Ledger) -> pd.DataFrame:
    """The rows of ``budget.csv``: per calendar month (``YYYY-MM``) and line, then per line over
    every measured month (``month`` = ``total``), the mean over replications and its 95%
    t-interval.

    Args:
        scenario: The scenario that ran (its start date, finance section and revenue section).
        ledger: The replications' ledgers, stacked.

    Returns:
        Columns ``COLUMNS``; months in calendar order, lines in budget order (revenue, cost,
        expense, then ``margin``) within each month.
    """
    months = measured_months(scenario)
    by_month = kpis_by_period(ledger, as_periods(months))
    if "rep" not in by_month:
        by_month.insert(0, "rep", 0)
    lines = _lines(scenario, by_month, months)
    # Every month of each replication added up, all lines in one grouping.
    whole = pd.DataFrame({i: amount for i, (_, _, amount) in enumerate(lines)}).groupby(
        by_month["rep"].to_numpy()).sum().to_numpy()
    period = by_month["period"].to_numpy()
    rows = []
    for month in [*months, None]:
        chosen = period == month.label if month else None
        for i, (budget, line, amount) in enumerate(lines):
            ci = t_interval(amount[chosen] if chosen is not None else whole[:, i])
            rows.append({"month": month.label if month else ALL_MONTHS, "department": line,
                         "mean": ci.mean, "std": ci.std, "ci_low": ci.ci_low,
                         "ci_high": ci.ci_high, "n": ci.n, "budget": budget,
                         "measured_days": (month.measured_days if month
                                           else float(sum(m.measured_days for m in months))),
                         "month_days": (month.days_in_period if month
                                        else int(sum(m.days_in_period for m in months)))})
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.astype({"n": "int64", "month_days": "int64"})


def month_lines(budget: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows of one budget (``cost``, ``revenue``, ``expense``) for the calendar months, the
    budget's total line left out: what a chart of the lines by month draws."""
    totals = {TOTAL, TOTAL_REVENUE, TOTAL_EXPENSE}
    keep = ((budget["budget"] == kind) & (budget["month"] != ALL_MONTHS)
            & ~budget["department"].isin(totals))
    return budget[keep].reset_index(drop=True)


def month_totals(budget: pd.DataFrame) -> pd.DataFrame:
    """Per calendar month, the total of each budget and the margin: ``month``, ``budget``
    (``revenue``, ``cost``, ``expense``, ``result``), ``mean``, ``ci_low``, ``ci_high``."""
    totals = {TOTAL_REVENUE: REVENUE_BUDGET, TOTAL: COST, TOTAL_EXPENSE: EXPENSE, MARGIN: RESULT}
    keep = budget["department"].isin(totals) & (budget["month"] != ALL_MONTHS)
    out = budget[keep][["month", "budget", "mean", "ci_low", "ci_high"]]
    return out.reset_index(drop=True)


def is_partial(budget: pd.DataFrame) -> bool:
    """Whether a month of the budget is covered only in part (finance lines are prorated)."""
    months = budget[budget["month"] != ALL_MONTHS]
    return not all(math.isclose(a, b) for a, b in zip(months["measured_days"],
                                                       months["month_days"], strict=True))
