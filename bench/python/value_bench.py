"""CPython multiprocessing: two processes each doing `with v.get_lock(): v.value += 1` K times on
one Value('q'); seconds per increment = wall time / 2K; the sum is checked (rows as in
value_bench.cc; Python has no atomic add, so no add_atomic_2proc row).
"""
import json
import multiprocessing as mp
import sys
import time


def add(v, n):
    lock = v.get_lock()
    for _ in range(n):
        with lock:
            v.value += 1


def add_lock_2proc(seconds):
    k = 2000
    while True:  # grow K until one run takes about `seconds`
        v = mp.Value('q', 0)
        p = mp.Process(target=add, args=(v, k))
        start = time.perf_counter()
        p.start()
        add(v, k)
        p.join()
        elapsed = time.perf_counter() - start
        if v.value != 2 * k:
            raise RuntimeError(f"wrong sum {v.value} != {2 * k}")
        if elapsed >= seconds or k >= 10**7:
            return elapsed / (2 * k)
        k = int(k * min(8.0, max(1.5, 1.2 * seconds / elapsed)))


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print(json.dumps({"row": "value/add_lock_2proc", "seconds": add_lock_2proc(seconds)}),
          flush=True)


if __name__ == "__main__":
    main()
