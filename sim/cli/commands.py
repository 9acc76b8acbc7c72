"""The command line: ``aftersales-sim validate | run | schema | sweep | ...`` (also ``python -m
sim``).

The CLI parses arguments, calls the loader and the experiment layer, prints, and maps bad input
to exit code 2 with a readable message; it never touches the engine. Each command lives in its
own module with a ``register(sub)`` function, imported here by name: a missing command is an
import error, never a silently shorter command list.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.cli import budget, compare, fit, optimize, pack, risks, run, stress, sweep, warmup
from sim.cli.common import EXIT_BAD_INPUT, Command
from sim.scenario.problems import ScenarioError

COMMANDS = (run, sweep, compare, stress, risks, optimize, warmup, fit, pack, budget)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    p = argparse.ArgumentParser(prog="aftersales-sim",
                                description="After-sales service simulation and planning.")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = ["aftersales-sim", *argv]
    command: Command = args.func
    try:
        return command(args)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no results folder was written", file=sys.stderr)
        return 130
