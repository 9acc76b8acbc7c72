"""Figure builders, pure functions from tidy tables to matplotlib figures: the shared look and
byte-stable export (``style``), a run's charts (``run``), and those of sweeps and comparisons
(``experiments``), stress tests (``stress``) and the planning commands (``optimize``)."""
