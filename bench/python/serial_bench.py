"""Serial throughput over a socat pty pair in Python (rows as in bench/serial_bench.cc):
serial/framed_msgs (64-byte messages/s, framed as mproc frames them: 0x00 COBS(payload +
CRC-32 LE) 0x00, encoded and decoded in Python, the CRC by zlib) and serial/bytes (bytes/s,
64 KiB writes), a writer thread on one end, the main thread reading the other.

Through pyserial when it can be imported. The PATH's python3 may lack it while /usr/bin/python3
has it: then this script re-runs itself under /usr/bin/python3 (CPython 3.11 too) and says so in
each row's "comment". Without pyserial anywhere, raw os.read/os.write on the pty (also said in the
comment). Without socat, no rows. socat relays between the two ptys, so the pair itself is the
bottleneck (see bench/socat_pair.h).

Prints one JSON object per line: {"row": ..., "rate": x, "unit": "items/s"|"GB/s", "comment": ...}.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tty
import zlib

try:
    import serial  # pyserial
except ImportError:
    serial = None

MSG = bytes((i * 37) & 0xFF for i in range(64))
BATCH = 1000
CHUNK = 64 * 1024
RAW_BATCH = 4 * 1024 * 1024


def cobs_encode(data):
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255)
                out += block
                block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data):
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            raise ValueError("malformed")
        out += data[i + 1:i + code]
        i += code
        if code < 255 and i < len(data):
            out.append(0)
    return bytes(out)


def frame(payload):
    return b"\0" + cobs_encode(payload + zlib.crc32(payload).to_bytes(4, "little")) + b"\0"


class Port:
    """pyserial when present, else the pty through os.read/os.write."""

    def __init__(self, path):
        if serial is not None:
            self.s = serial.Serial(path, 115200, timeout=10)
            self.read = self.serial_read
            self.write = self.s.write
        else:
            self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(self.fd)
            self.read = lambda n: os.read(self.fd, n)
            self.write = self.os_write

    def serial_read(self, n):
        # What has arrived, at most n bytes; waits (10 s at most) only while nothing has.
        data = self.s.read(1)
        waiting = self.s.in_waiting
        if data and waiting and n > 1:
            data += self.s.read(min(n - 1, waiting))
        return data

    def os_write(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def close(self):
        if serial is not None:
            self.s.close()
        else:
            os.close(self.fd)


def start_socat(d):
    a, b = os.path.join(d, "a"), os.path.join(d, "b")
    proc = subprocess.Popen(["socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (os.path.exists(a) and os.path.exists(b)):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("socat did not create its pty links")
        time.sleep(0.005)
    return proc, a, b


def framed_batch(w, r):
    wire = frame(MSG)
    t = threading.Thread(target=lambda: [w.write(wire) for _ in range(BATCH)])
    t.start()
    got, buf = 0, b""
    while got < BATCH:
        data = r.read(4096)
        if not data:
            raise RuntimeError("timed out")
        buf += data
        *frames, buf = buf.split(b"\0")
        for f in frames:
            if not f:
                continue
            body = cobs_decode(f)
            payload = body[:-4]
            if zlib.crc32(payload).to_bytes(4, "little") != body[-4:] or payload != MSG:
                raise RuntimeError("corrupt frame")
            got += 1
    t.join()


def bytes_batch(w, r):
    out = bytes((i * 131 + 7) & 0xFF for i in range(CHUNK))
    t = threading.Thread(target=lambda: [w.write(out) for _ in range(RAW_BATCH // CHUNK)])
    t.start()
    got = 0
    while got < RAW_BATCH:
        data = r.read(CHUNK)
        if not data:
            raise RuntimeError("timed out")
        off = got % CHUNK
        # The stream is `out` repeated: compare with the same stretch of it.
        expect = (out[off:] + out * (1 + len(data) // CHUNK))[:len(data)]
        if data != expect:
            raise RuntimeError("corrupt bytes")
        got += len(data)
    t.join()


def measure(batch, seconds):
    with tempfile.TemporaryDirectory() as d:
        proc, a, b = start_socat(d)
        try:
            w, r = Port(a), Port(b)
            runs, start = 0, time.perf_counter()
            while True:
                batch(w, r)
                runs += 1
                if time.perf_counter() - start >= seconds:
                    break
            elapsed = time.perf_counter() - start
            w.close()
            r.close()
            return runs / elapsed
        finally:
            proc.kill()
            proc.wait()


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    if shutil.which("socat") is None:
        return  # no pair, no rows (run.py shows "—")
    if serial is None and os.environ.get("MPROC_BENCH_REEXEC") is None and \
            os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
            os.path.realpath("/usr/bin/python3") and subprocess.run(
                ["/usr/bin/python3", "-c", "import serial"], capture_output=True).returncode == 0:
        env = dict(os.environ, MPROC_BENCH_REEXEC="1")
        sys.exit(subprocess.run(["/usr/bin/python3", __file__] + sys.argv[1:], env=env).returncode)
    how = "pyserial" if serial is not None else "raw os.read/os.write on the pty (no pyserial)"
    if os.environ.get("MPROC_BENCH_REEXEC") and serial is not None:
        how += f", under /usr/bin/python3 {sys.version.split()[0]} (the PATH's python3 lacks it)"
    rate = measure(framed_batch, seconds / 2) * BATCH
    print(json.dumps({"row": "serial/framed_msgs", "rate": rate, "unit": "items/s",
                      "comment": how + "; COBS + CRC-32 framing in Python"}), flush=True)
    rate = measure(bytes_batch, seconds / 2) * RAW_BATCH / 1e9
    print(json.dumps({"row": "serial/bytes", "rate": rate, "unit": "GB/s", "comment": how}),
          flush=True)


if __name__ == "__main__":
    main()
