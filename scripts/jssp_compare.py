#!/usr/bin/env python3
"""Our scheduler next to OR-Tools CP-SAT on the same job-shop instance files.

For every instance (default: every `.txt` in $MES_JSSP_DIR, else
../shared/jssp), runs `jssp-bench` (the release binary; build it first with
`cargo build --release -p mes-scheduler`) and then CP-SAT through
scripts/jssp_cpsat.py, one after the other so they never share the cores,
with the same wall-clock limit and thread/worker count. Prints makespan and
makespan / best known for both, side by side, then the mean and the largest
ratio of each, and exits 1 when one of our plans failed validation.

CP-SAT runs under the Python interpreter in $MES_ORTOOLS_PYTHON (default:
the interpreter running this script), which needs `pip install ortools`.
When it cannot import ortools the CP-SAT columns are skipped and the reason
is printed; our column is still measured.

    python3 scripts/jssp_compare.py --time-limit-secs 10 --threads 2 [ta41 swv01 ...]
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def instance_files(folder, names):
    if names:
        return [Path(n) if Path(n).is_file() else folder / f"{n.removesuffix('.txt')}.txt" for n in names]
    return sorted(folder.glob("*.txt"))


def best_known(path):
    header = path.read_text(encoding="utf-8").splitlines()[0]
    values = dict(re.findall(r"(optimum|upper_bound)=(\d+)", header))
    best = values.get("optimum") or values.get("upper_bound")
    return int(best) if best else None


def ours(bench, path, args):
    cmd = [str(bench), "--time-limit-secs", str(args.time_limit_secs), "--threads", str(args.threads),
           "--seed", str(args.seed), str(path)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    line = next((l for l in run.stdout.splitlines() if l.startswith(path.stem + " ")), None)
    if line is None:
        sys.exit(f"jssp-bench failed on {path}: {run.stderr.strip()}")
    fields = line.split()
    return {"makespan": int(fields[1]), "seconds": float(fields[4]), "valid": fields[-1] == "yes"}


def cpsat(python, path, args):
    cmd = [python, str(ROOT / "scripts" / "jssp_cpsat.py"), "--time-limit-secs", str(args.time_limit_secs),
           "--workers", str(args.threads), "--seed", str(args.seed), str(path)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        return None, run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}"
    return json.loads(run.stdout), None


def ratio_text(value, best):
    return f"{value / best:.4f}" if value is not None and best else "-"


def main():
    ap = argparse.ArgumentParser(description="jssp-bench next to OR-Tools CP-SAT")
    ap.add_argument("--time-limit-secs", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", default=os.environ.get("MES_JSSP_DIR", str(ROOT / "../shared/jssp")))
    ap.add_argument("--bench", default=str(ROOT / "target/release/jssp-bench"))
    ap.add_argument("instances", nargs="*")
    args = ap.parse_args()
    bench = Path(args.bench)
    if not bench.is_file():
        sys.exit(f"{bench} not found: cargo build --release -p mes-scheduler")
    python = os.environ.get("MES_ORTOOLS_PYTHON", sys.executable)
    probe = subprocess.run([python, "-c", "import ortools.sat.python.cp_model"], capture_output=True, text=True)
    with_cpsat = probe.returncode == 0
    if not with_cpsat:
        print(f"CP-SAT skipped: {python} cannot import ortools (pip install ortools, or set MES_ORTOOLS_PYTHON)")

    print(f"time limit {args.time_limit_secs} s, {args.threads} threads/workers, seed {args.seed}")
    print(f"{'instance':<8} {'best':>6} | {'ours':>6} {'ratio':>7} {'valid':>5} | {'cp-sat':>6} {'ratio':>7} {'bound':>6} {'status':<8}")
    mine, theirs, invalid = [], [], 0
    for path in instance_files(Path(args.dir), args.instances):
        best = best_known(path)
        o = ours(bench, path, args)
        invalid += not o["valid"]
        if best:
            mine.append(o["makespan"] / best)
        c, why = cpsat(python, path, args) if with_cpsat else (None, None)
        if why:
            print(f"{path.stem}: CP-SAT failed: {why}", file=sys.stderr)
        c_ms = c.get("makespan") if c else None
        if best and c_ms is not None:
            theirs.append(c_ms / best)
        print(f"{path.stem:<8} {best or '?':>6} | {o['makespan']:>6} {ratio_text(o['makespan'], best):>7} "
              f"{'yes' if o['valid'] else 'NO':>5} | {c_ms if c_ms is not None else '-':>6} "
              f"{ratio_text(c_ms, best):>7} {c.get('bound', '-') if c else '-':>6} {c['status'] if c else '-':<8}",
              flush=True)
    if mine:
        print(f"ours:   mean ratio {sum(mine) / len(mine):.4f}, max {max(mine):.4f} over {len(mine)} instances")
    if theirs:
        print(f"CP-SAT: mean ratio {sum(theirs) / len(theirs):.4f}, max {max(theirs):.4f} over {len(theirs)} instances")
    if invalid:
        sys.exit(f"{invalid} of our plans failed validation")


if __name__ == "__main__":
    main()
