#!/usr/bin/env python3
"""Process start to first answered request: spawns the quickstart server (release build) and
polls POST /tool/add until it answers 200; repeats and prints the median.

    cargo build --release --example quickstart && python3 benches/startup.py
"""
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time

BINARY = os.environ.get("BINARY", "target/release/examples/quickstart")
RUNS = int(os.environ.get("RUNS", "20"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer(port):
    start = time.perf_counter()
    proc = subprocess.Popen(
        [BINARY, "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "APP_TOKEN": ""},
    )
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("POST", "/tool/add", body='{"a":2,"b":3}', headers={"content-type": "application/json"})
                if conn.getresponse().status == 200:
                    return time.perf_counter() - start
            except OSError:
                pass
            if time.perf_counter() - start > 10:
                sys.exit("the server did not answer within 10 s")
    finally:
        proc.kill()
        proc.wait()


times = [first_answer(free_port()) for _ in range(RUNS)]
print(f"process start to first answered POST /tool/add: median {statistics.median(times) * 1000:.1f} ms, "
      f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {RUNS} runs")
