"""CPython multiprocessing.Queue between two processes, one producer and one consumer: 8-byte
messages (items/s) and 1 MiB messages (GB/s); rows as in queue_bench.cc. The consumer checks
what it receives.
"""
import json
import multiprocessing as mp
import sys
import time


def produce(q, cmd, size):
    msg = bytearray(b"x" * size)
    while True:
        n = cmd.get()
        if n <= 0:
            return
        for i in range(n):
            msg[:8] = i.to_bytes(8, "little")
            q.put(bytes(msg))


def throughput(size, batch, seconds):
    q, cmd = mp.Queue(), mp.Queue()
    p = mp.Process(target=produce, args=(q, cmd, size))
    p.start()
    n, start = 0, time.perf_counter()
    while True:
        cmd.put(batch)
        for i in range(batch):
            m = q.get(timeout=30)
            if len(m) != size or int.from_bytes(m[:8], "little") != i:
                raise RuntimeError("wrong message")
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    cmd.put(0)
    p.join()
    return n / elapsed


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print(json.dumps({"row": "queue/8B", "rate": throughput(8, 10000, seconds),
                      "unit": "items/s"}), flush=True)
    mib = 1 << 20
    print(json.dumps({"row": "queue/1MiB", "rate": throughput(mib, 16, seconds) * mib / 1e9,
                      "unit": "GB/s"}), flush=True)


if __name__ == "__main__":
    main()
