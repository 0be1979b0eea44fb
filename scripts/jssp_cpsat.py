#!/usr/bin/env python3
"""Solves one job-shop instance file with OR-Tools CP-SAT, for comparison
with `jssp-bench` (see scripts/jssp_compare.py, which runs this).

Reads the same OR-Library text format as `mes_scheduler::jssp` (a `#` header
comment, `J M`, one line per job of `machine duration` pairs), builds the
textbook CP-SAT model (an interval per operation, no-overlap per machine,
routing precedences, minimise the latest end), solves it with the given
wall-clock limit and worker count, checks the schedule it returns, and prints
one JSON object: makespan, CP-SAT's lower bound, status and seconds taken
(model building included).

Exit status 3 with a message on stderr when `ortools` cannot be imported.
"""

import argparse
import json
import sys
import time


def parse(path):
    """Jobs as lists of (machine, duration), from the instance file."""
    with open(path, encoding="utf-8") as f:
        rows = [line.split() for line in f if line.strip() and not line.lstrip().startswith("#")]
    jobs, machines = int(rows[0][0]), int(rows[0][1])
    parsed = []
    for row in rows[1 : 1 + jobs]:
        nums = [int(t) for t in row]
        parsed.append([(nums[k], nums[k + 1]) for k in range(0, len(nums), 2)])
    return machines, parsed


def check(machines, jobs, start):
    """Raises when the schedule breaks a routing or machine constraint."""
    per_machine = [[] for _ in range(machines)]
    for j, job in enumerate(jobs):
        for k, (m, d) in enumerate(job):
            if k > 0:
                pm, pd = job[k - 1]
                if start[j][k] < start[j][k - 1] + pd:
                    raise ValueError(f"job {j} op {k} starts before its predecessor ends")
            per_machine[m].append((start[j][k], start[j][k] + d))
    for m, spans in enumerate(per_machine):
        spans.sort()
        for (s0, e0), (s1, _) in zip(spans, spans[1:]):
            if s1 < e0:
                raise ValueError(f"machine {m}: operations overlap at {s1}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit-secs", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("instance")
    args = ap.parse_args()
    try:
        from ortools.sat.python import cp_model
    except ImportError as e:
        print(f"ortools is not importable by {sys.executable}: {e}", file=sys.stderr)
        sys.exit(3)

    started = time.monotonic()
    machines, jobs = parse(args.instance)
    horizon = sum(d for job in jobs for _, d in job)
    model = cp_model.CpModel()
    starts, ends, per_machine = [], [], [[] for _ in range(machines)]
    for j, job in enumerate(jobs):
        js, je = [], []
        for k, (m, d) in enumerate(job):
            s = model.new_int_var(0, horizon, f"s{j}_{k}")
            e = model.new_int_var(0, horizon, f"e{j}_{k}")
            per_machine[m].append(model.new_interval_var(s, d, e, f"i{j}_{k}"))
            if je:
                model.add(s >= je[-1])
            js.append(s)
            je.append(e)
        starts.append(js)
        ends.append(je)
    for intervals in per_machine:
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, [je[-1] for je in ends if je])
    model.minimize(makespan)

    solver = cp_model.CpSolver()
    build_secs = time.monotonic() - started
    solver.parameters.max_time_in_seconds = max(0.1, args.time_limit_secs - build_secs)
    solver.parameters.num_workers = args.workers
    solver.parameters.random_seed = args.seed
    status = solver.solve(model)
    elapsed = time.monotonic() - started
    out = {"status": solver.status_name(status), "seconds": round(elapsed, 2)}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        start = [[solver.value(s) for s in js] for js in starts]
        check(machines, jobs, start)
        out["makespan"] = int(solver.objective_value)
        out["bound"] = int(solver.best_objective_bound)
        out["valid"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    main()
