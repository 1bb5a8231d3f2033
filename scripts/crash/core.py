"""The harness's plumbing: the server under test (started, SIGKILLed and
started again on the same database), HTTP calls that keep trying through
a kill, and the run's counts, claims and findings."""

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_dist(work):
    """Each bundle's page (shared::bundle): the server needs them all to start."""
    dist = os.path.join(work, "dist")
    os.makedirs(dist, exist_ok=True)
    for page in ("index.html", "customer.html", "cash.html", "send.html", "guardian.html",
                 "staff.html", "atm.html"):
        with open(os.path.join(dist, page), "w") as f:
            f.write("<!doctype html><title>crash</title>")
    return dist


class Server:
    """One `anshin serve --demo` process; `kill` is SIGKILL, never a shutdown."""

    def __init__(self, binary, url, dist, port, log, extra=(), site=None):
        unlimited = "1000000"
        self.args = [binary, "serve", "--demo", "--listen", f"127.0.0.1:{port}",
                     "--database-url", url, "--dist", dist,
                     "--sign-in-per-minute", unlimited, "--decisions-per-minute", unlimited,
                     "--requests-per-nickname", unlimited, "--requests-per-requester", unlimited,
                     "--api-per-minute", unlimited,
                     "--approval-sweep-ms", "200", "--expiry-sweep-ms", "500", *extra]
        self.made_with = (binary, url, dist, tuple(extra))
        self.base = f"http://localhost:{port}"
        # A second instance serves the first one's site: one origin for
        # pages and passkeys, as behind a balancer.
        self.site = site or self.base
        if site:
            self.args += ["--origin", site]
        self.log = log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode} at start")
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        raise SystemExit("server did not come up in 60 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def start_server(prefix, binary, database_url=None, extra=()):
    """A demo server in a working directory of its own (its log, its
    SQLite database unless `database_url` names another): (work, url, server)."""
    work = tempfile.mkdtemp(prefix=prefix)
    url = database_url or f"sqlite://{work}/anshin.db?mode=rwc"
    log = open(os.path.join(work, "server.log"), "wb")
    server = Server(binary, url, _write_dist(work), _free_port(), log, extra)
    server.start()
    return work, url, server


def start_twin(work, first):
    """Another instance on `first`'s database and site, on a port of its own."""
    log = open(os.path.join(work, "server2.log"), "wb")
    binary, url, dist, extra = first.made_with
    twin = Server(binary, url, dist, _free_port(), log, extra, site=first.base)
    twin.start()
    return twin


def finish(work, failed):
    """Exits: 0 and the working directory removed, or 1 with it kept to look at."""
    if failed:
        print(f"  server log and database kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


def _event_data(raw):
    """A JSON body, or the JSON of the first server-sent event that has some."""
    if not raw.lstrip().startswith((b"data:", b"event:", b"id:", b"retry:", b":")):
        return raw
    for line in raw.splitlines():
        if line.startswith(b"data:") and line[5:].strip():
            return line[5:].strip()
    return b"null"


class Down(Exception):
    """No answer: the server is down (or was killed mid-request)."""


def form_body(form):
    # Leptos reads nested names (`form[to]`) with the brackets as they are.
    return "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in form.items()
                    if v is not None).encode()


def send(base, method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=15) as res:
            return res.status, res.read(), res.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError,
            TimeoutError) as e:
        # A kill may also cut an answer off mid-body (IncompleteRead).
        raise Down(str(e)) from e


def view_request(base, caller, body, as_json=False):
    """A server function's request from a page of `base`: (data, headers)."""
    headers = {"Origin": base}
    if caller is not None and caller.cookie:
        headers["Cookie"] = caller.cookie
    if as_json:
        headers["Content-Type"] = "application/json"
        return json.dumps(body or {}).encode(), headers
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return form_body(body or {}), headers


class Caller:
    """Who calls: a person's session, a kiosk's cookie or an API key."""

    def __init__(self, name, cookie=None, api_key=None):
        self.name = name
        self.cookie = cookie
        self.api_key = api_key
        self.passkey = None


class Run:
    """One run's clients share it. Each try of a request goes to one of the
    `servers`, chosen at random, as a page or client of their one site."""

    def __init__(self, servers, deadline):
        self.servers = servers
        self.site = servers[0].site
        self.deadline = deadline
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.up.set()
        self.counts = {k: 0 for k in ("operations", "acknowledged", "replays", "reuses",
                                      "retried_after_kill", "waited_in_progress", "abandoned",
                                      "refused", "server_errors")}
        self.per_flow = {}
        self.errors = []
        self.reasons = {}  # "path reason" -> how many 4xx answers
        # (table, id) -> (state claimed by an acknowledged answer, amount or None)
        self.claims = {}

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def flow_done(self, flow, what):
        with self.lock:
            row = self.per_flow.setdefault(flow, {})
            row[what] = row.get(what, 0) + 1

    def error(self, text):
        with self.lock:
            self.errors.append(text)

    def claim(self, table, ident, state, amount=None):
        """An acknowledged answer said this row is in `state` (with `amount`)."""
        self.count("acknowledged")
        with self.lock:
            self.claims[(table, str(ident))] = (state, amount)

    def refused(self, body, status):
        """A flow gave up on an item because of this answer."""
        self.count("refused")

    def answered(self, path, status, body):
        if 400 <= status < 500:
            reason = (body or {}).get("reason") or (body or {}).get("error") or str(status)
            where = re.sub(r"/(ar_[\w-]+|\d+)(?=/|$)", "/:id", path)
            with self.lock:
                key = f"{where}:{reason}"
                self.reasons[key] = self.reasons.get(key, 0) + 1

    def replay(self, caller, path, body, idem, first, statuses):
        """The same `/v1` request again with its key: it must get the first answer."""
        self.count("replays")
        status, again = self.call(caller, "POST", path, body, idem=idem)
        if status not in statuses or again != first:
            self.error(f"replay of {path} with {idem} answered {status} {again}, first {first}")

    def reuse(self, caller, path, changed, idem):
        """The key again with another body: it must be refused as a conflict."""
        self.count("reuses")
        status, other = self.call(caller, "POST", path, changed, idem=idem)
        if status != 409:
            self.error(f"key {idem} reused on {path} answered {status} {other}")

    def tool(self, caller, name, arguments):
        """An MCP tool called over `/mcp`: (ok, what it answered as JSON),
        or (False, None) when the call was given up."""
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": name, "arguments": arguments}}
        status, answer = self.call(caller, "POST", "/mcp", message, may_abandon=True)
        if status is None:
            return False, None
        if status != 200 or "result" not in (answer or {}):
            self.error(f"MCP {name} answered {status} {answer}")
            return False, None
        result = answer["result"]
        text = (result.get("content") or [{}])[0].get("text", "")
        try:
            value = json.loads(text)
        except ValueError:
            value = {"error": text}
        return not result.get("isError"), value

    def call(self, caller, method, path, body=None, idem=None, as_json=False, may_abandon=False):
        """Until an answer: a request cut off by a kill is sent again,
        unchanged; with `may_abandon`, half the time it is given up instead
        (a page closed) and `(None, None)` is returned. A 5xx is a finding."""
        headers = {}
        if path == "/mcp":
            # MCP over streamable HTTP, one JSON-RPC message per request.
            headers = {"Authorization": f"Bearer {caller.api_key}",
                       "Accept": "application/json, text/event-stream",
                       "MCP-Protocol-Version": "2025-06-18", "Content-Type": "application/json"}
            data = json.dumps(body).encode()
        elif path.startswith("/v1/"):
            headers["Authorization"] = f"Bearer {caller.api_key}"
            if idem:
                headers["Idempotency-Key"] = idem
            data = json.dumps(body).encode() if body is not None else None
            if data is not None:
                headers["Content-Type"] = "application/json"
        else:
            data, headers = view_request(self.site, caller, body, as_json)
        while time.time() < self.deadline + 120:
            self.up.wait(timeout=5)
            try:
                base = random.choice(self.servers).base
                status, raw, res_headers = send(base, method, path, data, headers)
            except Down:
                if may_abandon and random.random() < 0.5:
                    self.count("abandoned")
                    return None, None
                self.count("retried_after_kill")
                time.sleep(0.05)
                continue
            self.count("operations")
            if status >= 500:
                self.count("server_errors")
                self.error(f"{status} on {method} {path}: {raw[:200]!r}")
                time.sleep(0.05)
                continue
            try:
                body = json.loads(_event_data(raw)) if raw else None
            except ValueError:
                self.error(f"{status} on {method} {path} is not JSON: {raw[:200]!r}")
                return status, None
            if status == 409 and (body or {}).get("reason") == "request_in_progress":
                # A try cut off by a kill holds the key until its time runs
                # out: ask again when the server says, for the first answer.
                self.count("waited_in_progress")
                time.sleep(min(int(res_headers.get("Retry-After", "5")), 60))
                continue
            self.answered(path, status, body)
            return status, body
        raise SystemExit(f"no answer to {path} before the deadline")
