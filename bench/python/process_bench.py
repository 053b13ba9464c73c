"""CPython multiprocessing: Process start + join per start method (rows as in process_bench.cc).

Prints one JSON object per line: {"row": ..., "seconds": per-iteration wall time}.
"""
import json
import multiprocessing as mp
import sys
import time


def noop():
    pass


def start_join(method, seconds=1.0, heap_bytes=0):
    heap = bytearray(heap_bytes) if heap_bytes else None  # touched: bytearray zero-fills
    ctx = mp.get_context(method)
    p = ctx.Process(target=noop)  # warm-up (starts the forkserver)
    p.start()
    p.join()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        p = ctx.Process(target=noop)
        p.start()
        p.join()
        n += 1
    del heap
    return (time.perf_counter() - start) / n


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for method in ("fork", "forkserver", "spawn"):
        print(json.dumps({"row": f"start_join/{method}", "seconds": start_join(method, seconds)}),
              flush=True)
    for method in ("fork", "forkserver"):
        print(json.dumps({"row": f"start_join_1GiB/{method}",
                          "seconds": start_join(method, seconds, 1 << 30)}), flush=True)


if __name__ == "__main__":
    main()
