"""CPython multiprocessing: Pipe round trip of an int between two processes (rows as in
bench/pipe_bench.cc): blocked (recv waits) and busy (both sides loop on poll() before recv).

Prints one JSON object per line: {"row": ..., "seconds": per round trip}.
"""
import json
import multiprocessing as mp
import sys
import time


def echo(conn, busy):
    while True:
        if busy:
            while not conn.poll():
                pass
        v = conn.recv()
        if v < 0:
            return
        conn.send(v)


def round_trip(busy, seconds):
    here, there = mp.Pipe()
    p = mp.Process(target=echo, args=(there, busy))
    p.start()
    there.close()
    n, total, start = 0, 0, time.perf_counter()
    while True:
        for _ in range(100):
            here.send(n)
            if busy:
                while not here.poll():
                    pass
            back = here.recv()
            assert back == n
            total += back
            n += 1
        if time.perf_counter() - start >= seconds:
            break
    elapsed = time.perf_counter() - start
    here.send(-1)
    p.join()
    assert total == n * (n - 1) // 2
    return elapsed / n


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for busy, row in ((False, "pipe/roundtrip_blocked"), (True, "pipe/roundtrip_busy")):
        print(json.dumps({"row": row, "seconds": round_trip(busy, seconds)}), flush=True)


if __name__ == "__main__":
    main()
