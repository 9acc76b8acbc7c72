"""Output: everything that reaches a user's disk or screen as a file.

Owns the results folder (staged, atomic, ``manifest.json`` last: ``folder``, ``atomic``), the run
folder of the contract (``export.write_run``), the experiment folders (``experiments``), the
disk store that lets a sweep resume (``store``), the charts (``charts``), number formats and the
KPI table for people (``numbers``), the theory panel and the budget pack with its PDF report
(``report``).
"""
