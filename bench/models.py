"""Benchmark of the DuckDB models at scale (run on demand, not in CI).

    .venv/bin/python bench/models.py [--scale 1.0] [--work DIR] [--record]

On simulated history of ~1M runs / ~10M step events / ~2M model calls (``--scale``
shrinks it for a quick look) it measures, each against a baseline run in this script:

1. full refresh of every model vs one scan of the same lake columns (target ≤ 5×),
   with the refresh's peak memory (a child process, so nothing else counts);
2. success rate / p95 duration per job and day and cost per day computed with pandas
   from the same Parquet vs the same metrics in DuckDB (target: DuckDB ≥ 10× faster);
   skipped with a message when pandas is not installed (it is not a JobLens dependency);
3. success rate per job over 30 days through Dagster's instance API on 10k runs vs the
   same question to the ``agg_job_daily`` model;
4. incremental refresh of one new day on 30 vs 365 days of history (target: flat).

``--record`` rewrites the figures section of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.home import Home  # noqa: E402
from pipelines.lake.compaction import compact  # noqa: E402
from pipelines.lake.reader import connect  # noqa: E402
from pipelines.models.simulator import simulate  # noqa: E402

from bench import models_baselines as baselines  # noqa: E402

END = date(2026, 3, 31)
RUNS_PER_DAY = 2740  # × 365 days ≈ 1M runs, ~10M step events, ~2M model calls
README = Path(__file__).with_name("README.md")

_CHILD = """
import json, resource, sys, time
from pipelines.home import Home
from pipelines.models.refresh import refresh
home = Home(__import__("pathlib").Path(sys.argv[1]))
started = time.perf_counter()
report = refresh(home, full=sys.argv[2] == "full", run_audits=False)
slowest = sorted(((m.name, m.seconds) for m in report.models), key=lambda m: -m[1])[:5]
# VmHWM is this process's own peak; ru_maxrss keeps the forking parent's peak across exec
hwm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")]
peak_mb = int(hwm[0]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"mode": report.mode, "seconds": time.perf_counter() - started, "query_seconds": report.query_seconds,
                  "peak_rss_mb": peak_mb, "slowest": slowest}))
"""


def refresh_in_child(home: Home, mode: str) -> dict:
    """One refresh in a fresh process: its time, its models' query time and its peak memory."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(home.root), mode], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise SystemExit(f"refresh ({mode}) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build_history(home: Home, days: int, runs_per_day: int) -> dict:
    """Simulate ``days`` ending the day before END, compact, and count what was made."""
    started = time.perf_counter()
    report = simulate(home.lake, days, runs_per_day, seed=1, end_date=END - timedelta(days=1))
    generated = time.perf_counter() - started
    started = time.perf_counter()
    compact(home.lake)
    compacted = time.perf_counter() - started
    con = connect(home.lake)
    count = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
    return {
        "runs": report.runs, "step_events": count("select count(*) from steps"),
        "step_attempts": count("select count(*) from steps where status not in ('usage', 'started')"),
        "model_calls": count("select count(*) from model_calls"), "simulate_s": generated, "compact_s": compacted,
    }


def add_new_day(home: Home, runs_per_day: int) -> None:
    simulate(home.lake, 1, runs_per_day, seed=2, end_date=END)


def run(scale: float, work: Path) -> dict:
    runs_per_day = max(20, round(RUNS_PER_DAY * scale))
    big, small = Home(work / "big"), Home(work / "small")
    figures: dict = {"scale": scale, "runs_per_day": runs_per_day}
    print(f"simulating 365 days × {runs_per_day} runs/day …", flush=True)
    figures["history"] = build_history(big.ensure(), 365, runs_per_day)
    print(json.dumps(figures["history"]), flush=True)
    figures["full_refresh"] = refresh_in_child(big, "full")
    figures["scan_s"] = baselines.scan_model_columns(big)
    figures["metrics"] = baselines.pandas_vs_duckdb(big)
    figures["dagster"] = baselines.dagster_vs_models(big, work / "dagster", runs=10_000)
    add_new_day(big, runs_per_day)
    figures["incremental_365"] = refresh_in_child(big, "incremental")
    print("simulating 30 days for the incremental comparison …", flush=True)
    build_history(small.ensure(), 30, runs_per_day)
    refresh_in_child(small, "full")
    add_new_day(small, runs_per_day)
    figures["incremental_30"] = refresh_in_child(small, "incremental")
    figures["load_average"] = os.getloadavg()
    return figures


def summary(f: dict) -> list[tuple[str, str, str]]:
    """(measure, figure, target) lines."""
    h, full, m, d = f["history"], f["full_refresh"], f["metrics"], f["dagster"]
    inc30, inc365 = f["incremental_30"], f["incremental_365"]
    lines = [
        ("history", f"{h['runs']:,} runs, {h['step_events']:,} step events ({h['step_attempts']:,} attempts), "
                    f"{h['model_calls']:,} model calls; simulated in {h['simulate_s']:.0f} s, compacted in {h['compact_s']:.0f} s", ""),
        ("full refresh, all models", f"{full['seconds']:.2f} s wall, {full['query_seconds']:.2f} s of query, "
                                     f"peak {full['peak_rss_mb']:.0f} MB", "≤ 2.5 s query, ≤ 1 GB"),
        ("slowest models in it", ", ".join(f"{n} {t:.1f} s" for n, t in full.get("slowest", [])), ""),
        ("one scan of the same columns", f"{f['scan_s']:.2f} s", ""),
        ("full refresh / scan", f"{full['query_seconds'] / f['scan_s']:.1f}×", "≤ 5×"),
    ]
    if m.get("pandas_s") is None:
        lines.append(("pandas / DuckDB, same metrics", m["note"], "≥ 10×"))
    else:
        lines.append(("pandas / DuckDB, same metrics", f"{m['pandas_s']:.2f} s / {m['duckdb_s']:.2f} s = "
                      f"{m['pandas_s'] / m['duckdb_s']:.1f}× (metrics equal: {m['equal']})", "≥ 10×"))
    lines += [
        ("Dagster instance API / agg_job_daily, 30-day success rate", f"{d['dagster_s'] * 1000:.0f} ms on {d['runs']:,} runs "
         f"/ {d['model_s'] * 1000:.1f} ms = {d['dagster_s'] / d['model_s']:.0f}×", ""),
        ("incremental refresh of one day, 30 vs 365 days of history",
         f"{inc30['query_seconds'] * 1000:.0f} ms vs {inc365['query_seconds'] * 1000:.0f} ms of query "
         f"({inc30['seconds']:.2f} s vs {inc365['seconds']:.2f} s wall) = {inc365['query_seconds'] / inc30['query_seconds']:.2f}×",
         "flat; ≤ 150 ms"),
    ]
    return lines


def record(lines: list[tuple[str, str, str]], figures: dict) -> None:
    begin, end = "<!-- models:begin -->", "<!-- models:end -->"
    table = ["| measure | figure | target |", "| --- | --- | --- |"] + [f"| {a} | {b} | {c} |" for a, b, c in lines]
    load = ", ".join(f"{x:.1f}" for x in figures.get("load_average", ()))
    stamp = (f"Measured {time.strftime('%Y-%m-%d')} with `bench/models.py --scale {figures['scale']}`"
             f" (load average at the end: {load}).")
    block = "\n".join([begin, stamp, "", *table, end])
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Models (`bench/models.py`)\n\n" + block + "\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the 1M-run history (e.g. 0.1)")
    parser.add_argument("--work", type=Path, help="keep the generated homes here (default: a temp folder)")
    parser.add_argument("--record", action="store_true", help="write the figures into bench/README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="joblens-bench-") as tmp:
        figures = run(args.scale, args.work or Path(tmp))
    lines = summary(figures)
    width = max(len(a) for a, _, _ in lines)
    for measure, figure, target in lines:
        print(f"{measure:<{width}}  {figure}" + (f"   [target {target}]" if target else ""))
    print(json.dumps(figures, default=str))
    if args.record:
        record(lines, figures)


if __name__ == "__main__":
    main()
