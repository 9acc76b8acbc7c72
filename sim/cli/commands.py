"""The command line: ``aftersales-sim validate | run | schema | sweep | ...`` (also ``python -m
sim``).

The CLI parses arguments, calls the loader and the experiment layer, prints, and maps bad input
to exit code 2 with a readable message; it never touches the engine. Each command lives in its
own module with a ``register(sub)`` function, imported here by name: a missing command is an
import error, never a silently shorter command list.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from sim.cli import budget, compare, fit, optimize, pack, risks, run, stress, sweep, warmup
from sim.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    Command,
    add_language_option,
    choose_language,
)
from sim.experiments.executors import ClusterError
from sim.i18n.messages import speaking, tr
from sim.output.target import OutputError, OutputRefused
from sim.scenario.problems import ScenarioError

COMMANDS = (run, sweep, compare, stress, risks, optimize, warmup, fit, pack, budget)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    p = argparse.ArgumentParser(prog="aftersales-sim",
                                description="After-sales service simulation and planning.")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    for command in sub.choices.values():  # every command prints, and most draw
        add_language_option(command)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt, so that the same
    cleanup runs: the staging folder removed, the workers stopped."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code.

    0 success; 1 a command's own "not found" / "does not agree", or the machine failed (a
    full disk, a lost Dask scheduler); 2 bad input; 130 Ctrl-C; 143 SIGTERM.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = ["aftersales-sim", *argv]
    # The command's language lasts as long as the command (main may be called again in-process).
    with speaking(choose_language(args.lang)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command, mapping failures to exit codes and one-line messages."""
    command: Command = args.func
    previous = None
    if threading.current_thread() is threading.main_thread():  # signals go to the main thread
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return command(args)
    except ScenarioError as err:
        print(tr("error: {message}", message=err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputRefused as err:  # found only when publishing: the folder changed meanwhile
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputError as err:  # a full disk: the previous folder is intact, says the message
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except ClusterError as err:  # the Dask scheduler went away mid-run
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT if err.before_run else EXIT_FAILED
    except OSError as err:  # the disk or the network failed outside a results folder
        where = f": {err.filename}" if err.filename else ""
        print(f"error: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as err:
        if isinstance(err, Terminated):
            print("terminated: no results folder was written", file=sys.stderr)
            return 128 + signal.SIGTERM
        print("interrupted: no results folder was written", file=sys.stderr)
        return 128 + signal.SIGINT
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
