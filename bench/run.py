#!/usr/bin/env python3
"""Runs mproc's benchmarks, the raw OS floor and the same workloads in CPython in one go, and
prints one table: row, mproc, Python, floor, mproc/Python, mproc/floor, target.

    python3 bench/run.py [--build build/posix] [--filter REGEX] [--write bench/RESULTS.md]

Every comparison is made within one run, as a ratio: the machine is shared and noisy, so absolute
numbers from different runs do not compare. Times are per operation (lower is better); rates are
per second (higher is better); the unit column says which.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The targets from the benchmark issue, per row: (comparison, value, unit). Unit "x floor" makes
# the target a ratio to the floor row measured in the same run.
TARGETS = {
    "start_join/fork": ("<=", 400, "us"),
    "start_join/forkserver": ("<=", 500, "us"),
    "start_join/spawn": ("<=", 3000, "us"),
    "pool/map_1e6": ("<=", 20, "ms"),
    "pool/apply_async": ("<=", 3.6, "us"),
    "pool/imap_1e5_c100": ("<=", 4.4, "ms"),
    "queue/8B": (">=", 2e7, "items/s"),
    "queue/1MiB": (">=", 10, "GB/s"),
    "pipe/roundtrip_blocked": ("<=", 1.2, "x floor"),
    "pipe/roundtrip_busy": ("<=", 0.15, "us"),
    "lock/uncontended": ("<=", 15, "ns"),
    "value/add_lock_2proc": ("<=", 50, "ns"),
    "value/add_atomic_2proc": ("<=", 8, "ns"),
}

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run_google_benchmark(binary, filt, min_time):
    cmd = [binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if filt:
        cmd.append(f"--benchmark_filter={filt}")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("error_occurred"):
            rows[b["name"]] = {"error": b.get("error_message", "error")}
            continue
        name = b["name"].split("/min_time")[0].removesuffix("/real_time")
        if "items_per_second" in b and b.get("label") != "time":
            rows[name] = {"rate": b["items_per_second"], "unit": "items/s"}
        elif "bytes_per_second" in b:
            rows[name] = {"rate": b["bytes_per_second"] / 1e9, "unit": "GB/s"}
        else:
            rows[name] = {"seconds": b["real_time"] * TIME_UNITS[b["time_unit"]]}
    return rows


def run_python(script, filt, seconds):
    out = subprocess.run([sys.executable, script, str(seconds)], check=True, capture_output=True,
                         text=True, cwd=HERE).stdout
    rows = {}
    for line in out.splitlines():
        r = json.loads(line)
        if filt and not re.search(filt, r["row"]):
            continue
        rows[r.pop("row")] = r
    return rows


def value(r, unit):
    if r is None or "error" in r:
        return None
    if "seconds" in r:
        return r["seconds"] / TIME_UNITS[unit]
    return r["rate"]


def fmt(v):
    if v is None:
        return "—"
    if v >= 1e5:
        return f"{v:.3g}"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def table(mproc, python, floor):
    lines = ["| row | unit | mproc | Python | floor | mproc/Python | mproc/floor | target |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in sorted(set(mproc) | set(python) | set(floor)):
        m, p, f = mproc.get(row), python.get(row), floor.get(row)
        any_rate = next((r for r in (m, p, f) if r and "rate" in r), None)
        if any_rate:
            unit = any_rate["unit"]
        else:
            secs = [r["seconds"] for r in (m, p, f) if r and "seconds" in r]
            s = min(secs) if secs else 1.0
            unit = "ns" if s < 1e-6 else "us" if s < 1e-3 else "ms" if s < 1 else "s"
        mv, pv, fv = value(m, unit), value(p, unit), value(f, unit)
        ratio = lambda a, b: f"{a / b:.2f}" if a is not None and b else "—"
        target = ""
        if row in TARGETS:
            op, t, tu = TARGETS[row]
            if tu == "x floor":
                tv, shown = (t * fv if fv is not None else None), f"{t:g}x floor"
            else:
                tv = t * TIME_UNITS[tu] / TIME_UNITS[unit] if tu in TIME_UNITS else t
                shown = fmt(tv)
            met = mv is not None and tv is not None and (mv <= tv if op == "<=" else mv >= tv)
            target = f"{op} {shown} {'met' if met else 'MISSED'}"
        lines.append(f"| {row} | {unit} | {fmt(mv)} | {fmt(pv)} | {fmt(fv)} | {ratio(mv, pv)} | "
                     f"{ratio(mv, fv)} | {target} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build", "posix"))
    ap.add_argument("--filter", default="")
    ap.add_argument("--min-time", default="0.5")
    ap.add_argument("--write", help="also write the table and the machine to this file")
    a = ap.parse_args()
    bench_dir = os.path.join(a.build, "bench")
    mproc = run_google_benchmark(os.path.join(bench_dir, "mproc_bench"), a.filter, a.min_time)
    floor = run_google_benchmark(os.path.join(bench_dir, "mproc_bench_limits"), a.filter, a.min_time)
    python = {}
    for script in sorted(os.listdir(os.path.join(HERE, "python"))):
        if script.endswith("_bench.py"):
            python.update(run_python(os.path.join(HERE, "python", script), a.filter,
                                     float(a.min_time) * 2))
    text = table(mproc, python, floor)
    print(text)
    if a.write:
        cpu = "unknown"
        try:
            with open("/proc/cpuinfo") as f:
                cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
        except (OSError, StopIteration):
            pass
        with open(a.write, "w") as f:
            f.write(f"# Benchmark results\n\nLast run: {datetime.date.today()} on {platform.node()}: "
                    f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, "
                    f"Python {platform.python_version()}.\nCommand: `python3 bench/run.py "
                    f"--write bench/RESULTS.md` (after `cmake --build --preset posix`).\n\n"
                    f"{text}\n")


if __name__ == "__main__":
    main()
