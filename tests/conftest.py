"""Hypothesis profiles: the property tests draw the same examples on every run of `make test`
(so CI judges the code, not the luck of the draw), and `make hunt` draws fresh ones, more of them,
to look for new bugs; whatever it finds becomes an `@example` beside its property."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("hunt", derandomize=False, database=None)
settings.load_profile(os.environ.get("SIM_HYPOTHESIS_PROFILE", "repeatable"))
