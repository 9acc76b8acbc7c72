"""The optimizer on the whole plan of the baseline: today's code against a reference commit.

Both methods run from this script one after the other, on the same optimize file, seed, worker
count and replication counts, so the machine's load weighs on both; the ratio of their wall
times is the figure to compare. "before" is the package as it was at ``--before`` (a commit,
unpacked with ``git archive`` into a temporary folder and imported from there), "now" is this
tree; each runs in a fresh Python process so neither inherits the other's imports or caches.

    .venv/bin/python benchmarks/optimizer.py                      # the plan, before vs now
    .venv/bin/python benchmarks/optimizer.py --methods now --log  # now only
    .venv/bin/python benchmarks/optimizer.py --horizon-days 14    # a reduced case
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "scenarios" / "optimize" / "plan.yaml"
BEFORE = "061645a"  # main before issue 15's optimizer work (stop 21)

# Run in the child: ``sim`` is whichever package PYTHONPATH puts first.
CHILD = r"""
import json, sys, time
from pathlib import Path
import sim
from sim.cli.common import load_for_run
from sim.experiments.executors import kept, make_executor
from sim.experiments.optimize.solve import optimize

job = json.loads(sys.argv[1])
scenario = load_for_run(Path(job["base"]), job["set"])
if job["horizon_days"] is not None:
    data = scenario.model_dump(mode="json")
    data["horizon_days"] = job["horizon_days"]
    scenario = type(scenario).model_validate(data)

def log(ev):
    verdict = "screened out" if ev.screened else ("meets" if ev.feasible else "misses")
    print(f"  #{ev.index} {ev.phase} {list(ev.values)} n={ev.replications} "
          f"cost {ev.cost:,.0f} {verdict}", file=sys.stderr, flush=True)

with kept(make_executor(job["workers"], 1000)) as executor:
    started = time.perf_counter()
    result = optimize(scenario, job["decide"], replications=job["reps"],
                      confirm_replications=job["confirm"], seed=job["seed"],
                      executor=executor, on_evaluation=log if job["log"] else None,
                      **job["extra"])
    wall = time.perf_counter() - started
doc = result.document()
print(json.dumps({
    "package": str(Path(sim.__file__).parent), "evaluations": len(result.evaluations),
    "replications": result.replications_used,
    "screened": sum(e.screened for e in result.evaluations), "wall": wall,
    "cost": result.best.cost, "cost_ci": doc["cost_ci"], "feasible": result.feasible,
    "targets": f"{sum(t['status'] == 'met' for t in doc['targets'].values())}"
               f"/{len(doc['targets'])}",
    "decision": list(result.best.values)}))
"""


def unpack(commit: str, into: Path, paths: tuple[str, ...] = ("sim",)) -> Path:
    """The ``paths`` of ``commit`` (by default the ``sim`` package), unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, *paths],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def in_tree(package_root: Path, child: str, *args: str) -> dict[str, Any]:
    """``python -c child *args`` in a fresh process importing ``sim`` from ``package_root``: the
    JSON object on its last line of output, whose ``package`` must be that tree's ``sim``."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    # from the package's folder: ``python -c`` puts the working directory first on the path
    done = subprocess.run([sys.executable, "-c", child, *args], env=env, check=True,
                          stdout=subprocess.PIPE, text=True, cwd=package_root)
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(out["package"]) != package_root / "sim":
        raise RuntimeError(f"imported {out['package']}, not {package_root / 'sim'}")
    return out


def run(package_root: Path, job: dict[str, Any]) -> dict[str, Any]:
    """One optimizer run in a fresh process importing ``sim`` from ``package_root``."""
    return in_tree(package_root, CHILD, json.dumps(job))


def main() -> None:
    """Run the methods and print a Markdown table and the ratios."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", type=Path, default=PLAN, help="an optimize file (default: plan)")
    p.add_argument("--before", default=BEFORE, help=f"the reference commit (default {BEFORE})")
    p.add_argument("--horizon-days", type=float, default=None, help="default: the base's")
    p.add_argument("--reps", type=int, default=None, help="search replications (default 10)")
    p.add_argument("--confirm", type=int, default=None, help="confirmation (default 20)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--log", action="store_true", help="each evaluation on stderr")
    p.add_argument("--methods", nargs="+", choices=("before", "now"), default=["before", "now"])
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from sim.cli.optimize import read_optimize_file

    spec = read_optimize_file(args.file)
    if spec is None:
        raise SystemExit(f"{args.file} is not an optimize file")
    job = {"base": str((args.file.parent / spec.base).resolve()), "set": list(spec.set),
           "decide": list(spec.decide), "horizon_days": args.horizon_days,
           "reps": args.reps or spec.replications, "confirm": args.confirm
           or spec.confirm_replications, "workers": args.workers, "seed": args.seed,
           "log": args.log}
    print(f"{args.file.name}: decide {' '.join(spec.decide)}; horizon "
          f"{args.horizon_days or 'of the base'}; reps {job['reps'] or 'default'}, confirm "
          f"{job['confirm'] or 'default'}, workers {args.workers}; before = {args.before}; "
          f"now: cost tolerance {spec.cost_tolerance:g}\n")
    print("| method | evaluations | screened | replications | wall s | cost (95% CI) | "
          "feasible | targets met | decision |")
    print("|---|---|---|---|---|---|---|---|---|")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods:
            if method == "before":
                r = run(unpack(args.before, Path(tmp)), job | {"extra": {}})
            else:
                r = run(ROOT, job | {"extra": {"cost_tolerance": spec.cost_tolerance}})
            out[method] = r
            low, high = r["cost_ci"]
            print(f"| {method} | {r['evaluations']} | {r['screened']} | {r['replications']} | "
                  f"{r['wall']:.0f} | {r['cost']:,.0f} ({low:,.0f}-{high:,.0f}) | "
                  f"{r['feasible']} | {r['targets']} | {r['decision']} |", flush=True)
    if len(out) == 2:
        before, now = out["before"], out["now"]
        print(f"\nratios before/now: wall {before['wall'] / now['wall']:.2f}x, replications "
              f"{before['replications'] / now['replications']:.2f}x, evaluations "
              f"{before['evaluations'] / now['evaluations']:.2f}x; cost now/before "
              f"{now['cost'] / before['cost']:.4f}")


if __name__ == "__main__":
    main()
