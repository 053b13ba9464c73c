"""CPython multiprocessing: the seeds' compute benchmark (rows as in bench/seed_bench.cc).

N is the total range: seed/serial/<N> sums i + i**2 + i**3 for i < N; threads2 and processes2
split it into halves in two threading.Thread / multiprocessing.Process (default start method,
fork on Linux) with the results through a multiprocessing.Queue, as the seed's multithread() and
multicore() do (start and join timed); pool/<N> is a pre-created Pool(cpu_count()) mapping over
cpu_count() chunks. Only N <= 10^7: at about 0.2 us per element in CPython, 10^9 would take minutes.
Every result is checked against the closed form.

Prints one JSON object per line: {"row": ..., "seconds": per-run wall time}.
"""
import json
import multiprocessing as mp
import sys
import threading
import time


def seed_sum(lo, hi):
    res = 0
    for i in range(lo, hi):
        res += i + i**2 + i**3
    return res


def job(lo, hi, q):
    q.put(seed_sum(lo, hi))


def chunk_sum(bounds):
    return seed_sum(*bounds)


def closed_form(n):
    s1 = n * (n - 1) // 2
    return s1 + (n - 1) * n * (2 * n - 1) // 6 + s1 * s1


def serial(n, _ctx):
    return seed_sum(0, n)


def threads2(n, ctx):
    q = ctx["queue"]
    t1 = threading.Thread(target=job, args=(0, n // 2, q))
    t2 = threading.Thread(target=job, args=(n // 2, n, q))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    return q.get(timeout=120) + q.get(timeout=120)


def processes2(n, ctx):
    q = ctx["queue"]
    p1 = mp.Process(target=job, args=(0, n // 2, q))
    p2 = mp.Process(target=job, args=(n // 2, n, q))
    p1.start()
    p2.start()
    p1.join()
    p2.join()
    return q.get(timeout=120) + q.get(timeout=120)


def pool(n, ctx):
    w = ctx["workers"]
    chunks = [(n * k // w, n * (k + 1) // w) for k in range(w)]
    return sum(ctx["pool"].map(chunk_sum, chunks, 1))


def measure(fn, n, ctx, seconds):
    expect = closed_form(n)
    runs, start = 0, time.perf_counter()
    while True:
        if fn(n, ctx) != expect:
            raise SystemExit(f"wrong sum for N={n}")
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / runs


def sizes(fine):
    out = []
    for k in range(3, 8):
        out.append(10**k)
        if fine and k <= 5:
            out += [2 * 10**k, 5 * 10**k]
    return out


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    workers = mp.cpu_count()
    ctx = {"queue": mp.Queue(), "pool": mp.Pool(workers), "workers": workers}
    ctx["pool"].map(chunk_sum, [(0, 1)] * workers, 1)  # warm-up
    for name, fn, fine in (("serial", serial, True), ("threads2", threads2, False),
                           ("processes2", processes2, True), ("pool", pool, True)):
        for n in sizes(fine):
            print(json.dumps({"row": f"seed/{name}/{n}",
                              "seconds": measure(fn, n, ctx, seconds / 4)}), flush=True)
    ctx["pool"].close()
    ctx["pool"].join()


if __name__ == "__main__":
    main()
