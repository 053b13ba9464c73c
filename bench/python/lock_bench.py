"""CPython multiprocessing: an uncontended acquire + release of a Lock and an RLock (rows as in
lock_bench.cc). Prints one JSON object per line: {"row": ..., "seconds": per pair}.
"""
import json
import multiprocessing as mp
import sys
import time


def pairs(lock, seconds):
    acquire, release = lock.acquire, lock.release
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(10000):
            acquire()
            release()
        n += 10000
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / n


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print(json.dumps({"row": "lock/uncontended", "seconds": pairs(mp.Lock(), seconds)}), flush=True)
    print(json.dumps({"row": "rlock/uncontended", "seconds": pairs(mp.RLock(), seconds)}),
          flush=True)


if __name__ == "__main__":
    main()
