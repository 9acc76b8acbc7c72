"""``python -m sim``: the same command line as ``aftersales-sim``."""

import sys

from sim.cli.run import main

sys.exit(main())
