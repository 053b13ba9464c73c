"""CPython multiprocessing.Pool(2) on tiny tasks (x*x), rows as in pool_bench.cc.

Prints one JSON object per line: {"row": ..., "seconds": per-operation wall time}. The pool is
created once, outside the timing; every run checks the sum of the squares.
"""
import json
import multiprocessing as mp
import sys
import time


def square(x):
    return x * x


def sum_of_squares(n):
    return (n - 1) * n * (2 * n - 1) // 6


def timed(fn, seconds):
    """Runs fn until `seconds` have passed (at least once); the mean wall time per run."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        if time.perf_counter() - start >= seconds:
            return (time.perf_counter() - start) / n


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    with mp.Pool(2) as pool:
        pool.map(square, range(1000))  # warm-up

        def map_run(n, chunksize=None):
            out = pool.map(square, range(n), chunksize)
            assert sum(out) == sum_of_squares(n) and len(out) == n

        print(json.dumps({"row": "pool/map_1e6", "seconds": timed(lambda: map_run(10**6), seconds)}),
              flush=True)
        print(json.dumps({"row": "pool/map_1e5_chunksize1",
                          "seconds": timed(lambda: map_run(10**5, 1), seconds)}), flush=True)

        batch = 1000

        def apply_run():
            results = [pool.apply_async(square, (i,)) for i in range(batch)]
            assert sum(r.get() for r in results) == sum_of_squares(batch)

        print(json.dumps({"row": "pool/apply_async", "seconds": timed(apply_run, seconds) / batch}),
              flush=True)

        def imap_run(method):
            n = 10**5
            assert sum(method(square, range(n), 100)) == sum_of_squares(n)

        print(json.dumps({"row": "pool/imap_1e5_c100",
                          "seconds": timed(lambda: imap_run(pool.imap), seconds)}), flush=True)
        print(json.dumps({"row": "pool/imap_unordered_1e5_c100",
                          "seconds": timed(lambda: imap_run(pool.imap_unordered), seconds)}),
              flush=True)


if __name__ == "__main__":
    main()
