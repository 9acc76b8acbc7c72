"""The command line (``aftersales-sim``, ``python -m sim``): arguments in, files and tables out.

Public face: ``main``. ``sim.cli.commands`` holds the command table, ``sim.cli.common`` what the
commands share, and one module per command (``run`` also holds ``validate`` and ``schema``).
"""

from sim.cli.commands import main

__all__ = ["main"]
