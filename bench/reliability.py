#!/usr/bin/env python3
"""Reliability runs of `painrx serve` (issue 13), each one command, standard library only.

    bench/reliability.py kill9 [--db sqlite|postgres] [--rounds N]
    bench/reliability.py outage
    bench/reliability.py dos
    bench/reliability.py load          (needs wrk; bench/load.sh installs it)

Each starts its own release server on a free port with a fresh data directory (and, for
PostgreSQL, a fresh database on 127.0.0.1:5432), prints what it measured and the target, and
exits 1 when a target is missed. docs/RELIABILITY.md holds the latest figures.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAINRX = os.path.join(ROOT, "target", "release", "painrx")
BARE = os.path.join(ROOT, "target", "release", "examples", "bare")
PG = os.environ.get("PAINRX_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, token=None, timeout=30, raw=None):
    """(status, headers, parsed JSON or text); status 0 when the connection failed."""
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if raw is not None:
        data = raw
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        return resp.status, dict(resp.getheaders()), value
    except (OSError, http.client.HTTPException):
        return 0, {}, None
    finally:
        conn.close()


class Server:
    """A release `painrx serve` on a free port."""

    def __init__(self, data_dir, db=None):
        self.data_dir = data_dir
        self.db = db
        self.port = free_port()
        self.proc = None

    def start(self):
        cmd = [PAINRX, "--data-dir", self.data_dir, "serve", "--addr", f"127.0.0.1:{self.port}"]
        if self.db:
            cmd += ["--db", self.db]
        log = open(os.path.join(self.data_dir, "serve.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"painrx serve exited with {self.proc.returncode}; see {self.data_dir}/serve.log")
            if request(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                return self
            time.sleep(0.1)
        sys.exit("painrx serve did not answer /healthz within 60 s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def rss_kb(self, field="VmRSS"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0


def account(port, email, role="patient"):
    """Register `email` and log in: its bearer token."""
    status, _, value = request(port, "POST", "/api/v1/auth/register",
                               {"email": email, "password": PASSWORD, "role": role})
    if status not in (201, 202):
        sys.exit(f"register {email}: {status} {value}")
    status, _, value = request(port, "POST", "/api/v1/auth/login",
                               {"email": email, "password": PASSWORD})
    if status != 200:
        sys.exit(f"login {email}: {status} {value}")
    return value["token"]


def fresh_postgres(tag):
    name = f"painrx_{tag}_{os.getpid()}"
    subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    return name


def drop_postgres(name):
    subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=False, capture_output=True)


def sql_count(db, sqlite_path, query):
    if db == "sqlite":
        with sqlite3.connect(sqlite_path) as c:
            return c.execute(query).fetchone()[0]
    out = subprocess.run(["psql", sqlite_path, "-tAc", query], check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def entry(note, i):
    return {"date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "pain": i % 11, "note": note}


# ---------------------------------------------------------------------------------------------
def kill9(args):
    """kill -9 during concurrent diary writes: acknowledged entries lost, entries with no audit row."""
    data = tempfile.mkdtemp(prefix="painrx-kill9-")
    pg_name = None
    if args.db == "postgres":
        pg_name = fresh_postgres("kill9")
        db_url = f"{PG}/{pg_name}"
        where = db_url
    else:
        db_url = None
        where = os.path.join(data, "painrx.db")
    acked = {}  # entry id -> note
    lock = threading.Lock()
    server = Server(data, db_url).start()
    account(server.port, "admin@example.org", "patient")  # the first account is the admin
    token = account(server.port, "writer@example.org")
    attempts = 0
    statuses = {}
    try:
        for rnd in range(args.rounds):
            if rnd:
                server.start()
            stop = threading.Event()

            def writer(t):
                nonlocal attempts
                i = 0
                while not stop.is_set():
                    note = f"r{rnd}-t{t}-{i}"
                    status, _, value = request(server.port, "POST", "/api/v1/diary/entries",
                                               entry(note, i), token, timeout=10)
                    with lock:
                        attempts += 1
                        statuses[status] = statuses.get(status, 0) + 1
                        if status == 201:
                            acked[value["id"]] = note
                    i += 1

            threads = [threading.Thread(target=writer, args=(t,)) for t in range(args.writers)]
            for th in threads:
                th.start()
            time.sleep(random.uniform(1.0, 3.0))
            stop.set()  # no new writes; those in flight die with the server
            server.kill9()
            for th in threads:
                th.join()
            print(f"round {rnd + 1}: killed -9 with {len(acked)} entries acknowledged so far")
        server.start()
        stored = {}
        offset = 0
        while True:
            status, _, page = request(server.port, "GET",
                                      f"/api/v1/diary/entries?limit=1000&offset={offset}", token=token)
            if status != 200:
                sys.exit(f"list: {status} {page}")
            for e in page["entries"]:
                stored[e["id"]] = e.get("note")
            if len(page["entries"]) < 1000:
                break
            offset += 1000
        server.stop()
        lost = sum(1 for i, note in acked.items() if stored.get(i) != note)
        no_audit = sql_count(args.db, where,
                             "SELECT count(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
                             "WHERE a.entry_id = e.id)")
        print(f"{args.db}: {args.rounds} kill -9 runs, {attempts} writes tried, {len(acked)} acknowledged, "
              f"{len(stored)} stored")
        print("answers: " + ", ".join(f"{'no answer (killed)' if k == 0 else k}: {n}" for k, n in sorted(statuses.items())))
        print(f"acknowledged entries lost: {lost} (target 0)")
        print(f"entries with no audit row: {no_audit} (target 0)")
        return 0 if lost == 0 and no_audit == 0 and acked else 1
    finally:
        server.stop()
        if pg_name:
            drop_postgres(pg_name)
        shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
class Proxy:
    """A TCP proxy to PostgreSQL that can go down (refusing and cutting every connection) and up."""

    def __init__(self, upstream_port=5432):
        self.port = free_port()
        self.upstream = upstream_port
        self.conns = []
        self.lock = threading.Lock()
        self.listener = None

    def up(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; new connects are refused
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.conns.clear()

    def _accept(self, s):
        while True:
            try:
                client, _ = s.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                chunk = a.recv(65536)
                if not chunk:
                    break
                b.sendall(chunk)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass


def outage(args):
    """PostgreSQL goes away under load and comes back: 503 + Retry-After, then recovery, no restart."""
    data = tempfile.mkdtemp(prefix="painrx-outage-")
    pg_name = fresh_postgres("outage")
    proxy = Proxy()
    proxy.up()
    server = Server(data, f"postgres://postgres@127.0.0.1:{proxy.port}/{pg_name}").start()
    pid = server.proc.pid
    account(server.port, "admin@example.org")
    token = account(server.port, "patient@example.org")
    seen = []  # (route, status, content type, retry-after, started, ended)
    stop = threading.Event()
    lock = threading.Lock()

    def load(t):
        i = 0
        while not stop.is_set():
            t0 = time.time()
            if i % 3 == 0:
                route, status, headers, _ = ("write",) + request(
                    server.port, "POST", "/api/v1/diary/entries", entry(f"o{t}-{i}", i), token, timeout=15)
            elif i % 3 == 1:
                route, status, headers, _ = ("read",) + request(
                    server.port, "GET", "/api/v1/diary/entries?limit=5", token=token, timeout=15)
            else:
                route, status, headers, _ = ("monograph",) + request(
                    server.port, "GET", "/api/v1/drugs/pregabalin", timeout=15)
            with lock:
                seen.append((route, status,
                             headers.get("Content-Type", headers.get("content-type", "")),
                             headers.get("Retry-After", headers.get("retry-after")), t0, time.time()))
            i += 1
            time.sleep(0.01)

    threads = [threading.Thread(target=load, args=(t,)) for t in range(4)]
    try:
        for th in threads:
            th.start()
        time.sleep(args.before)
        down_at = time.time()
        proxy.down()
        time.sleep(args.down)
        proxy.up()
        up_at = time.time()
        time.sleep(args.after)
        stop.set()
        for th in threads:
            th.join()
        # A request is counted in a phase only if it started and ended inside it; those that
        # crossed a switch (in flight when the database went or came back) are shown apart.
        phases = {
            "before": [r for r in seen if r[5] < down_at],
            "down": [r for r in seen if r[4] >= down_at and r[5] < up_at],
            "after": [r for r in seen if r[4] >= up_at],
        }
        crossing = len(seen) - sum(len(v) for v in phases.values())
        ok = True
        for name, rows in phases.items():
            counts = {}
            for r in rows:
                counts[(r[0], r[1])] = counts.get((r[0], r[1]), 0) + 1
            print(f"{name}: " + ", ".join(f"{route} {status}: {n}" for (route, status), n in sorted(counts.items())))
        print(f"in flight across a switch (not counted): {crossing}")
        down_db = [r for r in phases["down"] if r[0] != "monograph"]
        bad_down = [r for r in down_db if not (r[1] == 503 and r[2].startswith("application/problem+json") and r[3])]
        print(f"database routes while down: {len(down_db)}, not 503 problem+json with Retry-After: {len(bad_down)} (target 0)")
        if down_db:
            print(f"time to the 503: at most {max(r[5] - r[4] for r in down_db):.2f} s")
        ok &= bool(down_db) and not bad_down
        mono_down = [r for r in phases["down"] if r[0] == "monograph" and r[1] != 200]
        print(f"monograph (no database) not 200 while down: {len(mono_down)} (target 0)")
        ok &= not mono_down
        before_bad = [r for r in phases["before"] if not 200 <= r[1] < 300]
        print(f"non-2xx before the outage: {len(before_bad)} (target 0)")
        ok &= not before_bad
        after_db = [r for r in phases["after"] if r[0] != "monograph"]
        first_ok = next((r[5] for r in after_db if 200 <= r[1] < 300), None)
        if first_ok is None:
            print("no database request succeeded after the database came back (target: recovery)")
            ok = False
        else:
            late_bad = [r for r in after_db if r[5] > first_ok and not 200 <= r[1] < 300]
            print(f"recovered {first_ok - up_at:.2f} s after the database came back, same process "
                  f"(pid {pid}, alive: {server.proc.poll() is None}); failures after recovery: {len(late_bad)} (target 0)")
            ok &= not late_bad and server.proc.poll() is None and server.proc.pid == pid
        return 0 if ok else 1
    finally:
        stop.set()
        server.stop()
        proxy.down()
        drop_postgres(pg_name)
        shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
def _attacker(kind, port, seconds, emails):
    """One attacking process (its own GIL, so the prober's timings are not the client's)."""
    end = time.time() + seconds
    long_name = "x" * 60_000
    threads = []

    def long_names():
        i = 0
        while time.time() < end:
            n = random.choice([long_name, "pregabalin" * 6000, "a" * 4000 + " 300 mg tid"])
            if i % 4 == 0:
                request(port, "POST", "/api/v1/check", {"medications": [n] * 4})
            elif i % 4 == 1:
                request(port, "GET", f"/api/v1/drugs/{n}")
            elif i % 4 == 2:
                request(port, "GET", f"/api/v1/search?q={n[:8000]}")
            else:
                request(port, "GET", f"/api/v1/resolve?q={n[:8000]}")
            i += 1

    def logins(email):
        while time.time() < end:
            request(port, "POST", "/api/v1/auth/login", {"email": email, "password": "wrong password!"})

    def registers(k):
        i = 0
        while time.time() < end:
            request(port, "POST", "/api/v1/auth/register",
                    {"email": f"flood{k}-{i}-{os.getpid()}@example.org", "password": PASSWORD, "role": "patient"})
            i += 1

    def kb_check():
        while time.time() < end:
            request(port, "GET", "/api/v1/kb/check")

    if kind == "names":
        threads = [threading.Thread(target=long_names) for _ in range(8)]
    elif kind == "logins":
        threads = [threading.Thread(target=logins, args=(e,)) for e in emails]
        threads += [threading.Thread(target=registers, args=(k,)) for k in range(8)]
    else:
        threads = [threading.Thread(target=kb_check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def dos(args):
    """Long names, parallel logins and kb check at once: p99 of /healthz and a monograph, peak RSS."""
    data = tempfile.mkdtemp(prefix="painrx-dos-")
    server = Server(data).start()
    try:
        account(server.port, "admin@example.org")
        emails = [f"victim{i}@example.org" for i in range(8)]
        for e in emails:
            account(server.port, e)
        emails = (emails * 16)[:120] + [f"nobody{i}@example.org" for i in range(8)]  # 128 in parallel

        def probe(seconds):
            times = {"/healthz": [], "/api/v1/drugs/pregabalin": []}
            failures = 0
            end = time.time() + seconds
            while time.time() < end:
                for path in times:
                    t0 = time.perf_counter()
                    status = request(server.port, "GET", path, timeout=30)[0]
                    times[path].append((time.perf_counter() - t0) * 1000)
                    failures += status != 200
                time.sleep(0.02)
            return times, failures

        def summary(label, times, failures):
            out = {}
            for path, ms in times.items():
                ms.sort()
                p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
                out[path] = p99
                print(f"{label} GET {path}: n={len(ms)} p50 {statistics.median(ms):.1f} ms, "
                      f"p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
            print(f"{label}: probe requests not 200: {failures}")
            return out

        summary("quiet", *probe(3))
        procs = [multiprocessing.Process(target=_attacker, args=(k, server.port, args.seconds, emails))
                 for k in ("names", "logins", "kb")]
        for p in procs:
            p.start()
        peak = [0]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], server.rss_kb())
                time.sleep(0.1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        time.sleep(1)  # let the attack start
        times, failures = probe(args.seconds - 2)
        for p in procs:
            p.join()
        sampling.set()
        sampler.join()
        p99 = summary("under attack", times, failures)
        hwm = server.rss_kb("VmHWM")
        print(f"peak RSS during the attack: {peak[0] / 1024:.0f} MB sampled, {hwm / 1024:.0f} MB high-water mark (target < 256 MB)")
        worst = max(p99.values())
        print(f"worst p99 under attack: {worst:.1f} ms (target < 50 ms)")
        return 0 if worst < 50 and hwm < 256 * 1024 and failures == 0 else 1
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
def wrk(url, conns, seconds, script):
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                          "-s", script, url], check=True, capture_output=True, text=True).stdout
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    total = int(next(line.split()[0] for line in out.splitlines() if "requests in" in line))
    non2xx = sum(int(line.split(":")[1]) for line in out.splitlines() if "Non-2xx" in line)
    errors = 0
    for line in out.splitlines():
        if "Socket errors" in line:
            errors = sum(int(part.split()[1]) for part in line.split(":", 1)[1].split(","))
            print("   ", line.strip())
    p99 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("99%")), "?")
    return rps, total, non2xx, errors, p99


def lua(path, method, body=None, token=None):
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = [[{json.dumps(body)}]]"]
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def load(args):
    """Concurrency 16 and 64 on a check, a monograph page and a diary write; non-2xx; ratio to bare axum."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (bench/load.sh installs it)")
    data = tempfile.mkdtemp(prefix="painrx-load-")
    server = Server(data).start()
    bare_port = free_port()
    bare = subprocess.Popen([BARE, f"127.0.0.1:{bare_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        account(server.port, "admin@example.org")
        token = account(server.port, "load@example.org")
        time.sleep(0.5)
        check = {"medications": ["pregabalin 150 mg bid", "oxycodone 10 mg q6h", "sertraline 50 mg daily"], "age": 70}
        cases = [
            ("bare axum POST /echo", f"http://127.0.0.1:{bare_port}/echo", lua(f"{data}/echo.lua", "POST", check)),
            ("POST /api/v1/check", f"http://127.0.0.1:{server.port}/api/v1/check", lua(f"{data}/check.lua", "POST", check)),
            ("GET /drugs/pregabalin (page)", f"http://127.0.0.1:{server.port}/drugs/pregabalin", lua(f"{data}/page.lua", "GET")),
            ("POST /api/v1/diary/entries", f"http://127.0.0.1:{server.port}/api/v1/diary/entries",
             lua(f"{data}/write.lua", "POST", {"date": "2025-06-01", "pain": 4, "note": "load"}, token)),
        ]
        ok = True
        print(f"{'endpoint':34} {'conc':>4} {'req/s':>9} {'× bare':>7} {'p99':>9} {'requests':>9} {'non-2xx':>8} {'errors':>7}")
        for conns in (16, 64):
            bare_rps = None
            for name, url, script in cases:
                rps, total, non2xx, errors, p99 = wrk(url, conns, args.seconds, script)
                bare_rps = bare_rps or rps
                ok &= non2xx == 0 and errors == 0
                print(f"{name:34} {conns:>4} {rps:>9.0f} {rps / bare_rps:>7.2f} {p99:>9} {total:>9} {non2xx:>8} {errors:>7}")
        print("target: 0 non-2xx and 0 socket errors" + ("" if ok else " — MISSED"))
        return 0 if ok else 1
    finally:
        bare.terminate()
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="run", required=True)
    k = sub.add_parser("kill9")
    k.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    k.add_argument("--rounds", type=int, default=4)
    k.add_argument("--writers", type=int, default=8)
    o = sub.add_parser("outage")
    o.add_argument("--before", type=float, default=4)
    o.add_argument("--down", type=float, default=10)
    o.add_argument("--after", type=float, default=8)
    d = sub.add_parser("dos")
    d.add_argument("--seconds", type=int, default=15)
    ld = sub.add_parser("load")
    ld.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    for binary in (PAINRX,) + ((BARE,) if args.run == "load" else ()):
        if not os.path.exists(binary):
            sys.exit(f"{binary} is missing: run cargo build --release -p painrx-cli (and --example bare -p painrx-server)")
    sys.exit({"kill9": kill9, "outage": outage, "dos": dos, "load": load}[args.run](args))


if __name__ == "__main__":
    main()
