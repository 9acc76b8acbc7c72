"""Resident memory of one replication as it grows: what the workload limit's message quotes.

Each size runs in a fresh process: the scenario is loaded, then one replication is simulated
and measured, and the process's peak resident set (``VmHWM``, Linux) is read before and after.
The difference is what the replication added above the imports; over the scenario's estimated
contacts (``Scenario.workload()``, the figure the limit checks) it gives the bytes per contact
that ``sim.scenario.workload.BYTES_PER_CONTACT`` rounds up. Unlike tracemalloc (engine.py), the
resident set also counts the pages of records spilled to a temporary file and mapped back.

    .venv/bin/python benchmarks/resident.py          # about 1.5 minutes
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (
    ("baseline, 91 days", ["horizon_days=91"]),
    ("baseline, 365 days", ["horizon_days=365"]),
    ("baseline, 1,460 days", ["horizon_days=1460"]),
    ("365 days at 2,200 contacts a day", ["horizon_days=365", "demand.contacts_per_day=2200"]),
)
CHILD = """
import json, sys
from pathlib import Path
from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.measure.outcome import measure
from sim.scenario.loader import load_scenario

def peak_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

scenario = load_scenario(Path(sys.argv[1]), json.loads(sys.argv[2]))
before = peak_mb()
measure(scenario, simulate(scenario, replication_seed(scenario.seed, 0)))
print(json.dumps({"imports": before, "peak": peak_mb(), "contacts": scenario.workload().contacts}))
"""


def main() -> None:
    """Print a Markdown table: size, contacts, resident peak above imports, bytes per contact."""
    scenario = str(ROOT / "scenarios" / "baseline.yaml")
    print("| run | contacts (estimate) | after imports | replication's peak above them | "
          "bytes per contact |")
    print("|---|---|---|---|---|")
    for label, sets in SIZES:
        done = subprocess.run([sys.executable, "-c", CHILD, scenario, json.dumps(sets)],
                              cwd=ROOT, check=True, capture_output=True, text=True)
        out = json.loads(done.stdout.strip().splitlines()[-1])
        above = out["peak"] - out["imports"]
        print(f"| {label} | {out['contacts']:,.0f} | {out['imports']:.0f} MiB | {above:.0f} MiB | "
              f"{above * 2**20 / out['contacts']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
