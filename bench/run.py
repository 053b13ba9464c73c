#!/usr/bin/env python3
"""Runs mproc's benchmarks, the raw OS floor and the same workloads in CPython in one go, and
prints one table: row, mproc, Python, floor, mproc/Python, mproc/floor, target.

    python3 bench/run.py [--build build/posix] [--filter REGEX] [--rounds N] [--write bench/RESULTS.md]

Every comparison is made within one run, as a ratio: the machine is shared and noisy, so absolute
numbers from different runs do not compare. --rounds N runs the three programs N times,
interleaved, and shows each row's median (a whole round takes about 3.5 min here). Times are per operation (lower is better); rates are
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

# The seed compute rows (seed/<variant>/<N>) get a table of their own (seed_table), with these
# targets from the same issue: the speed-up of two processes at N = 10^9, and the break-even work
# of the 2-worker pool (the serial time at the smallest N from which on the pool wins).
SEED_SPEEDUP_TARGET = ("processes2", 1000000000, 1.85)
SEED_BREAK_EVEN_TARGET = ("pool", 0.3)  # ms of serial work


def run_google_benchmark(binary, filt, min_time):
    cmd = [binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if filt:
        cmd.append(f"--benchmark_filter={filt}")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        # Google Benchmark appends the settings a row fixes (/min_time:, /iterations:, /real_time).
        name = b["name"].split("/min_time")[0].removesuffix("/real_time")
        name = re.sub(r"/iterations:\d+$", "", name)
        if b.get("error_occurred"):
            rows[name] = {"error": b.get("error_message", "error")}
            continue
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


def median_rows(rounds):
    """One row set from several rounds of the same program: per row, the median time or rate of
    the rounds where it ran (an error only if it failed in every round)."""
    out = {}
    for name in sorted(set(n for r in rounds for n in r)):
        ok = [r[name] for r in rounds if name in r and "error" not in r[name]]
        if not ok:
            out[name] = next(r[name] for r in rounds if name in r)
            continue
        key = "seconds" if "seconds" in ok[0] else "rate"
        ok = sorted(ok, key=lambda x: x[key])
        out[name] = dict(ok[len(ok) // 2])
    return out


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


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


def seed_rows(rows):
    """{variant: {N: seconds}} from the seed/<variant>/<N> rows that have a time."""
    out = {}
    for name, r in rows.items():
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "seed" and parts[2].isdigit() and "seconds" in r:
            out.setdefault(parts[1], {})[int(parts[2])] = r["seconds"]
    return out


def break_even(rows, variant):
    """(N, serial seconds at N): the smallest measured N at which `variant` beats serial there and
    at the next larger N measured too (two wins in a row, so that one lucky point on a noisy
    machine does not count, and one unlucky point far above does not hide the crossing); None if
    there is no such N."""
    serial, par = rows.get("serial", {}), rows.get(variant, {})
    ns = sorted(n for n in par if n in serial)
    wins = [par[n] < serial[n] for n in ns]
    for i, n in enumerate(ns):
        if wins[i] and (i + 1 == len(ns) or wins[i + 1]):
            return n, serial[n]
    return None


def fmt_n(n):
    k = len(str(n)) - 1
    lead = n // 10**k
    return f"10^{k}" if lead == 1 and n == 10**k else f"{lead}x10^{k}" if n == lead * 10**k else str(n)


def fmt_ms(seconds):
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def seed_table(mproc, python, floor):
    """The seed compute rows: per N, serial time and each variant's speed-up over serial in the
    same program (serial / variant), then the break-even N of the pool and of two processes."""
    progs = [("mproc", seed_rows(mproc)), ("Python", seed_rows(python)), ("floor", seed_rows(floor))]
    if not any(rows for _, rows in progs):
        return ""
    ns = sorted(set(n for _, rows in progs for v in rows.values() for n in v))
    cols = [("mproc", "threads2"), ("mproc", "processes2"), ("mproc", "pool"),
            ("Python", "threads2"), ("Python", "processes2"), ("Python", "pool"),
            ("floor", "threads2"), ("floor", "processes2"), ("floor", "pool")]
    by = dict(progs)

    def speedup(prog, variant, n):
        serial, par = by[prog].get("serial", {}).get(n), by[prog].get(variant, {}).get(n)
        return f"{serial / par:.2f}x" if serial and par else "—"

    lines = ["Seed compute (seeds 000/004): sum of i + i^2 + i^3 over i < N, exact in 128 bits. "
             "N is the total range; the 2-worker variants take half each (the pool: cpu_count() "
             "chunks). Serial time in ms; the others as speed-up over serial in the same program "
             "(higher is better; > 1x wins). Python only up to N = 10^7.",
             "",
             "| N | serial ms mproc | serial ms Python | serial ms floor | "
             + " | ".join(f"{v} {p}" for p, v in cols) + " |",
             "| --- " * (4 + len(cols)) + "|"]
    for n in ns:
        serials = [by[p].get("serial", {}).get(n) for p in ("mproc", "Python", "floor")]
        lines.append(f"| {fmt_n(n)} | " + " | ".join(fmt_ms(x) if x else "—" for x in serials)
                     + " | " + " | ".join(speedup(p, v, n) for p, v in cols) + " |")
    lines += ["", "| break-even: smallest N at which 2 workers beat serial, there and at the next N "
              "(its serial work) "
              "| mproc | Python | floor | target |", "| --- | --- | --- | --- | --- |"]
    for variant in ("pool", "processes2"):
        cells = []
        for prog in ("mproc", "Python", "floor"):
            be = break_even(by[prog], variant)
            measured = sorted(n for n in by[prog].get(variant, {}))
            if not measured:
                cells.append("—")
            elif be is None:
                cells.append(f"not reached by {fmt_n(measured[-1])}")
            else:
                first = "≤ " if be[0] == measured[0] else ""
                cells.append(f"{first}N = {fmt_n(be[0])} ({fmt_ms(be[1])} ms)")
        target = ""
        if variant == SEED_BREAK_EVEN_TARGET[0]:
            be = break_even(by["mproc"], variant)
            met = be is not None and be[1] * 1e3 <= SEED_BREAK_EVEN_TARGET[1]
            target = f"<= {SEED_BREAK_EVEN_TARGET[1]:g} ms {'met' if met else 'MISSED'}"
        lines.append(f"| {variant} | " + " | ".join(cells) + f" | {target} |")
    variant, n, want = SEED_SPEEDUP_TARGET
    cells = []
    for prog in ("mproc", "Python", "floor"):
        cells.append(speedup(prog, variant, n))
    got = by["mproc"].get("serial", {}).get(n), by["mproc"].get(variant, {}).get(n)
    met = all(got) and got[0] / got[1] >= want
    lines.append(f"| {variant} speed-up at N = {fmt_n(n)} | " + " | ".join(cells)
                 + f" | >= {want:g}x {'met' if met else 'MISSED'} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build", "posix"))
    ap.add_argument("--filter", default="")
    ap.add_argument("--min-time", default="0.5")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the three programs this many times, interleaved; show medians")
    ap.add_argument("--write", help="also write the table and the machine to this file")
    a = ap.parse_args()
    bench_dir = os.path.join(a.build, "bench")
    load_before = loadavg()
    rounds = {"mproc": [], "floor": [], "python": []}
    # Rounds interleave the three programs, so that each is sampled at several moments of a
    # machine whose load drifts; the table shows each row's median over the rounds.
    for _ in range(a.rounds):
        rounds["mproc"].append(run_google_benchmark(os.path.join(bench_dir, "mproc_bench"),
                                                    a.filter, a.min_time))
        rounds["floor"].append(run_google_benchmark(os.path.join(bench_dir, "mproc_bench_limits"),
                                                    a.filter, a.min_time))
        python = {}
        for script in sorted(os.listdir(os.path.join(HERE, "python"))):
            if script.endswith("_bench.py"):
                python.update(run_python(os.path.join(HERE, "python", script), a.filter,
                                         float(a.min_time) * 2))
        rounds["python"].append(python)
    mproc, floor, python = (median_rows(rounds[k]) for k in ("mproc", "floor", "python"))
    # The seed rows are many (4 variants x 15 sizes): they get their own table, not the main one.
    not_seed = lambda rows: {k: v for k, v in rows.items() if not k.startswith("seed/")}
    parts = []
    if not_seed(mproc) or not_seed(python) or not_seed(floor):
        parts.append(table(not_seed(mproc), not_seed(python), not_seed(floor)))
    seed = seed_table(mproc, python, floor)
    if seed:
        parts.append(seed)
    text = "\n\n".join(parts)
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
                    f"Python {platform.python_version()}; load average {load_before} before, "
                    f"{loadavg()} after.\nCommand: `python3 bench/run.py --rounds {a.rounds} "
                    f"--write bench/RESULTS.md` (after `cmake --build --preset posix`); each "
                    f"cell is the median of {a.rounds} interleaved round(s).\n\n"
                    f"{text}\n")


if __name__ == "__main__":
    main()
