#!/usr/bin/env python3
"""Crash-and-load check of cardless withdrawals, from outside.

Clients prepare, replay and cancel cardless withdrawals over HTTP (the
views' server functions) while the server is killed with SIGKILL at random
moments and restarted on the same database. A request cut off by a kill is
retried with the same key until it gets an answer. At the end it checks
that every acknowledged answer is still true, that no money is held with no
open withdrawal behind it (or the other way round), and runs check-ledger
and verify-audit. Prints one summary line; exits 1 on any finding.

    scripts/crash-cardless.py --bin target/release/anshin [--database-url URL]
        [--kills 20] [--clients 8]

Loopback only; every loop is bounded in count and time.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, url, dist, port, log):
        self.args = [binary, "serve", "--demo", "--listen", f"127.0.0.1:{port}",
                     "--database-url", url, "--dist", dist, "--sign-in-per-minute", "100000",
                     "--approval-sweep-ms", "200", "--expiry-sweep-ms", "500"]
        self.base = f"http://localhost:{port}"
        self.log = log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        raise SystemExit("server did not come up in 60 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


class Down(Exception):
    """No answer: the server is down (or was killed mid-request)."""


def post(base, path, form, cookie=None):
    data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    req = urllib.request.Request(base + path, data=data, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    req.add_header("Origin", base)
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.read(), res.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers
    except (urllib.error.URLError, ConnectionError, OSError, TimeoutError) as e:
        raise Down(str(e))


class Run:
    def __init__(self, server, deadline):
        self.server = server
        self.deadline = deadline
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.up.set()
        self.counts = {"operations": 0, "acknowledged": 0, "replays": 0, "retries": 0,
                       "server_errors": 0, "refused": 0, "abandoned": 0}
        self.errors = []
        self.reasons = {}    # refusal reason -> how many
        self.prepared = {}   # key -> (withdrawal id, amount)
        self.cancelled = set()  # withdrawal ids acknowledged cancelled

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def call(self, path, form, cookie, may_abandon=False):
        """Until an answer: a request cut off is sent again, unchanged; with
        `may_abandon`, half the time it is given up instead (a page closed),
        and `None` is returned."""
        while time.time() < self.deadline + 60:
            self.up.wait(timeout=5)
            try:
                status, body, _ = post(self.server.base, path, form, cookie)
            except Down:
                if may_abandon and random.random() < 0.5:
                    self.count("abandoned")
                    return None, None
                self.count("retries")
                time.sleep(0.05)
                continue
            self.count("operations")
            if status >= 500:
                self.count("server_errors")
                with self.lock:
                    self.errors.append(f"{status} on {path}: {body[:200]!r}")
                # The outcome is unknown: the same request again, as the page does.
                time.sleep(0.05)
                continue
            return status, json.loads(body) if body else None
        raise SystemExit(f"no answer to {path} before the deadline")


def sign_in(base, persona):
    status, body, headers = post(base, "/api/identity/demo-sign-in", {"persona": persona})
    assert status == 200, (status, body)
    cookie = headers.get("Set-Cookie").split(";")[0]
    status, body, _ = post(base, "/api/accounts/mine", {}, cookie)
    main = next(a for a in json.loads(body) if a["kind"] == "customer_main")
    return cookie, main["id"]


def client(run, cookie, account, seed):
    rng = random.Random(seed)
    while time.time() < run.deadline:
        key = uuid.uuid4().hex
        yen = rng.choice([1, 2, 3, 5, 8]) * 1000
        form = {"account": account, "yen": yen, "key": key}
        status, first = run.call("/api/cardless/prepare", form, cookie, may_abandon=True)
        if status is None:
            continue
        if status != 200:
            run.count("refused")
            reason = (first or {}).get("reason", str(status))
            with run.lock:
                run.reasons[reason] = run.reasons.get(reason, 0) + 1
            continue
        run.count("acknowledged")
        wid = first["withdrawal"]["id"]
        with run.lock:
            run.prepared[key] = (wid, yen)
        if rng.random() < 0.5:
            status, again = run.call("/api/cardless/prepare", form, cookie)
            run.count("replays")
            if status == 200 and again["withdrawal"]["id"] != wid:
                with run.lock:
                    run.errors.append(f"replay of {key} answered {again['withdrawal']['id']}, not {wid}")
            elif status != 200 and status != 409:
                with run.lock:
                    run.errors.append(f"replay of {key} refused with {status}: {again}")
        if rng.random() < 0.8:
            status, body = run.call("/api/cardless/cancel", {"id": wid}, cookie, may_abandon=True)
            if status is None:
                continue
            if status == 200:
                run.count("acknowledged")
                with run.lock:
                    run.cancelled.add(wid)
            elif status != 409:
                with run.lock:
                    run.errors.append(f"cancel {wid}: {status} {body}")


def query(url, sql):
    if url.startswith("sqlite:"):
        path = url.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(path) as db:
            return db.execute(sql).fetchall()
    out = subprocess.run(["psql", url, "-At", "-F", "|", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--database-url")
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--clients", type=int, default=8)
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="anshin-crash-")
    dist = os.path.join(work, "dist")
    os.makedirs(dist)
    # Each bundle's page (shared::bundle): the server needs them all to start.
    for page in ("index.html", "customer.html", "cash.html", "send.html", "guardian.html", "staff.html", "atm.html"):
        with open(os.path.join(dist, page), "w") as f:
            f.write("<!doctype html><title>crash</title>")
    url = a.database_url or f"sqlite://{work}/crash.db?mode=rwc"
    engine = "postgres" if url.startswith("postgres") else "sqlite"
    log = open(os.path.join(work, "server.log"), "wb")
    server = Server(a.bin, url, dist, free_port(), log)
    server.start()
    people = [sign_in(server.base, p) for p in ("hanako", "yoko")]
    run = Run(server, time.time() + 3600)
    threads = [threading.Thread(target=client, args=(run, *people[i % 2], i), daemon=True)
               for i in range(a.clients)]
    for t in threads:
        t.start()
    for _ in range(a.kills):
        time.sleep(random.uniform(0.3, 1.5))
        run.up.clear()
        server.kill()
        server.start()
        run.up.set()
    run.deadline = time.time() + 2
    for t in threads:
        t.join(timeout=120)
    server.kill()

    # Every acknowledged answer still stands.
    rows = {r[0]: (int(r[1]), int(r[2]), r[3]) for r in query(
        url, "SELECT request_key, id, amount_yen, state FROM cardless_withdrawals")}
    lost = 0
    for key, (wid, yen) in run.prepared.items():
        row = rows.get(key)
        if row is None or row[0] != wid or row[1] != yen:
            lost += 1
            run.errors.append(f"acknowledged {key} -> {wid} is {row}")
    for key, (wid, _, state) in rows.items():
        if wid in run.cancelled and state != "cancelled":
            lost += 1
            run.errors.append(f"acknowledged cancel of {wid} is {state}")
    # Held money and open withdrawals agree, both ways.
    limbo = query(url, """
        SELECT COUNT(*) FROM ledger_transfers t WHERE t.kind = 'pending' AND t.state = 'pending'
        AND t.scope = 'cardless' AND NOT EXISTS (SELECT 1 FROM cardless_withdrawals w
            WHERE w.hold_transfer = t.id AND w.state IN ('ready', 'awaiting_phone'))""")[0][0]
    freed = query(url, """
        SELECT COUNT(*) FROM cardless_withdrawals w JOIN ledger_transfers t ON t.id = w.hold_transfer
        WHERE w.state IN ('ready', 'awaiting_phone') AND t.state <> 'pending'""")[0][0]
    checks = []
    for cmd in ("check-ledger", "verify-audit"):
        res = subprocess.run([a.bin, cmd, "--database-url", url], capture_output=True, text=True)
        checks.append(f"{cmd}={'ok' if res.returncode == 0 else 'FAILED'}")
        if res.returncode != 0:
            run.errors.append(res.stdout + res.stderr)
    c = run.counts
    print(f"crash-cardless engine={engine} kills={a.kills} clients={a.clients} "
          f"operations={c['operations']} acknowledged={c['acknowledged']} replays={c['replays']} "
          f"retried_after_kill={c['retries']} abandoned={c['abandoned']} refused={c['refused']}{sorted(run.reasons.items())} "
          f"server_errors={c['server_errors']} lost={lost} held_without_withdrawal={limbo} "
          f"open_without_hold={freed} {' '.join(checks)}")
    for e in run.errors[:20]:
        print("  " + e)
    bad = run.errors or int(limbo) or int(freed) or c["server_errors"]
    if not bad:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"  server log and database kept in {work}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
