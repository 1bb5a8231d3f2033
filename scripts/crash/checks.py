"""What must hold after the last kill: every acknowledged answer is still
true of the database (its row is in the state it named, or one that can
follow it, with the same amount), money is conserved, and the server's
own ledger and audit checks pass."""

import sqlite3
import subprocess

# table -> (key column, amount column per claimed state, states that may follow each state)
TABLES = {
    "cardless_withdrawals": ("id", lambda s: "amount_yen", {
        "ready": {"ready", "awaiting_phone", "dispensed", "cancelled", "expired"},
        "awaiting_phone": {"awaiting_phone", "dispensed", "cancelled", "expired"},
    }),
    "sub_withdrawals": ("id", lambda s: "amount_yen", {
        "ready": {"ready", "locked", "dispensing", "dispensed", "returned", "reversing"},
    }),
    "p2p_transfers": ("id", lambda s: "amount", {
        "awaiting_recipient": {"awaiting_recipient", "awaiting_sender", "settled", "declined",
                               "abandoned", "expired"},
        "awaiting_sender": {"awaiting_sender", "settled", "abandoned", "expired"},
        "in_review": {"in_review", "settled", "declined", "abandoned", "expired"},
    }),
    "purchases": ("id", lambda s: "amount_minor", {
        "awaiting_guardian": {"awaiting_guardian", "awaiting_minor", "in_window", "completed",
                              "cancelled", "refund_requested", "refunded"},
        "awaiting_minor": {"awaiting_minor", "in_window", "completed", "cancelled"},
        "in_window": {"in_window", "completed", "cancelled", "refund_requested", "refunded"},
        "refund_requested": {"refund_requested", "refunded"},
    }),
    "payment_requests": ("auth_req_id", lambda s: "paid_minor" if s == "paid" else "amount_minor", {
        "pending": {"pending", "approved", "declined", "expired", "cancelled", "paid", "revoked"},
        "approved": {"approved", "paid", "revoked", "expired"},
    }),
}

# Liabilities less the cash in ATMs, per currency: no flow changes it
# (only funding does: the demo seed, and cash loaded into an ATM).
CONSERVED = """
SELECT currency, SUM(CASE
  WHEN kind IN ('customer_main', 'withdrawal_sub', 'merchant_settlement', 'fee_income')
    THEN credits_posted - debits_posted
  WHEN kind = 'atm_cassette' THEN credits_posted - debits_posted
  ELSE 0 END)
FROM ledger_accounts GROUP BY currency ORDER BY currency"""


def query(url, sql):
    if url.startswith("sqlite:"):
        path = url.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(path) as db:
            return [tuple(str(v) for v in r) for r in db.execute(sql).fetchall()]
    out = subprocess.run(["psql", url, "-At", "-F", "|", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def money(url):
    return dict(query(url, CONSERVED))


def claims(url, run):
    """Acknowledged answers that the database no longer bears out."""
    lost = []
    rows = {}
    for table, (column, _, _) in TABLES.items():
        amounts = "amount_minor, paid_minor" if table == "payment_requests" else \
            TABLES[table][1]("") + ", NULL"
        for r in query(url, f"SELECT {column}, state, {amounts} FROM {table}"):
            rows[(table, r[0])] = r[1:]
    for (table, ident), (state, amount) in run.claims.items():
        row = rows.get((table, ident))
        if row is None:
            lost.append(f"{table} {ident} acknowledged {state} is missing")
            continue
        now, first_amount, paid = row
        allowed = TABLES[table][2].get(state, {state})
        if now not in allowed:
            lost.append(f"{table} {ident} acknowledged {state} is {now}")
        got = paid if TABLES[table][1](state) == "paid_minor" else first_amount
        if amount is not None and str(amount) != str(got):
            lost.append(f"{table} {ident} acknowledged amount {amount} is {got}")
    return lost


def server_checks(binary, url):
    results, failures = [], []
    for cmd in ("check-ledger", "verify-audit"):
        res = subprocess.run([binary, cmd, "--database-url", url], capture_output=True, text=True)
        results.append(f"{cmd}={'ok' if res.returncode == 0 else 'FAILED'}")
        if res.returncode != 0:
            failures.append(res.stdout + res.stderr)
    return results, failures
