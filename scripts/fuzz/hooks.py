"""Schemathesis hooks for the machine API's fuzzing: a check that a refused
request changed nothing a client can see (money, purchases, payment
requests, webhook settings, keys). Loaded through SCHEMATHESIS_HOOKS; the
database's URL comes from ANSHIN_FUZZ_DB."""

import hashlib
import os
import sqlite3
import subprocess

import schemathesis

# What a refusal must leave as it was. Row counts, and the contents of the
# settings a client can change (a sweep may advance states on its own, but
# never adds rows to these tables nor changes these settings).
FINGERPRINT = [
    "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ledger_transfers",
    "SELECT COUNT(*) FROM purchases",
    "SELECT COUNT(*) FROM payment_requests",
    "SELECT client_id, url, secret, enabled FROM webhook_endpoints ORDER BY client_id",
    "SELECT prefix, expires_at_ms FROM api_keys ORDER BY prefix",
]


def fingerprint():
    url = os.environ["ANSHIN_FUZZ_DB"]
    digest = hashlib.sha256()
    if url.startswith("sqlite:"):
        path = url.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(path, timeout=10) as db:
            for sql in FINGERPRINT:
                digest.update(repr(db.execute(sql).fetchall()).encode())
    else:
        each = [arg for sql in FINGERPRINT for arg in ("-c", sql)]
        out = subprocess.run(["psql", url, "-At", *each],
                             check=True, capture_output=True, text=True).stdout
        digest.update(out.encode())
    return digest.hexdigest()


BEFORE = {}


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    BEFORE["state"] = fingerprint()


@schemathesis.check
def refusal_changes_nothing(ctx, response, case):
    if response.status_code >= 400 and fingerprint() != BEFORE.get("state"):
        raise AssertionError(
            f"{case.method} {case.path} was refused with {response.status_code} "
            "but changed what a client can see")
