"""``python -m sim``: the same command line as ``aftersales-sim``."""

import sys

from sim.cli.commands import main

sys.exit(main())
