"""Simulation benchmark: `arrears simulate --days 60 --accounts 3000` on SQLite, phase by phase.

Side by side in one process, interleaved A B A B ... for ``--rounds`` rounds:
A = the full simulation (morning extract and import, the collectors' workday, the nightly cycle,
allocation, the ten invariant checks, month ends); B = the baseline: the same days, the same
book, the same imports, cycle and allocation, with no collectors and no checks. Prints, per
round and as the median and spread over rounds: wall time, CPU time of the process, seconds per
simulated day, the ratio A / B, and where the time goes (seconds per phase per day); then peak
memory. The target (issue 13): A under 5 minutes on this 2-core machine.

    python bench/simulate.py [--days 60] [--accounts 3000] [--rounds 3] [--seed 11]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from datetime import date

from arrears.config import get_settings
from arrears.simulation.run import Options, SimulationResult, simulate


def one(options: Options) -> tuple[float, float, SimulationResult]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = simulate(options)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def phases(result: SimulationResult, days: int) -> dict[str, float]:
    return {k: round(sum(v) / days, 3) for k, v in sorted(result.timings.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ.pop("ARREARS_DATABASE_URL", None)  # SQLite: the benchmark's store
    get_settings.cache_clear()
    start = date(2026, 1, 5)
    full = Options(days=args.days, accounts=args.accounts, seed=args.seed, start=start)
    base = Options(
        days=args.days,
        accounts=args.accounts,
        seed=args.seed,
        start=start,
        collectors=False,
        check=False,
    )
    rows: list[tuple[float, float, float, float]] = []
    print(f"{args.days} days x {args.accounts:,} accounts, SQLite + DuckDB, {args.rounds} rounds")
    for r in range(args.rounds):
        a_wall, a_cpu, a = one(full)
        b_wall, b_cpu, b = one(base)
        rows.append((a_wall, a_cpu, b_wall, b_cpu))
        print(
            f"round {r + 1}: simulate {a_wall:6.1f} s wall ({a_cpu:6.1f} s CPU, "
            f"{a_wall / args.days:.2f} s/day) | baseline {b_wall:6.1f} s wall "
            f"({b_cpu:6.1f} s CPU, "
            f"{b_wall / args.days:.2f} s/day) | ratio {a_wall / b_wall:.2f} "
            f"(CPU {a_cpu / b_cpu:.2f})"
        )
        print(f"  simulate s/day by phase: {phases(a, args.days)}")
        print(f"  baseline s/day by phase: {phases(b, args.days)}")
        print(f"  calls {a.summary['calls']:,}, payments {a.summary['payments']:,}")
    ratios = [a / b for a, _, b, _ in rows]
    walls = [a for a, _, _, _ in rows]
    print(
        f"median: simulate {statistics.median(walls):.1f} s wall "
        f"({statistics.median(walls) / args.days:.2f} s/day; target < 300 s), "
        f"ratio {statistics.median(ratios):.2f} (spread {min(ratios):.2f}-{max(ratios):.2f}); "
        f"CPU ratio {statistics.median(a / b for _, a, _, b in rows):.2f}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
