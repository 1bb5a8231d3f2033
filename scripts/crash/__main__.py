"""Crash harness: every money flow under load while the server is killed.

Concurrent clients drive cardless and sub-account withdrawals, transfers
with each risk decision, a minor's purchases with the guardian's cancels,
and payments requested by nickname, through the real HTTP doors (the
views' server functions and `/v1`), retrying cut-off requests with the
same idempotency key and reusing keys with a changed body. Meanwhile the
server is SIGKILLed at random moments and started again on the same
database. At the end every acknowledged answer must still be true, every
replay must have got the first answer and every reuse a refusal, no money
may be created or lost, `check-ledger` and `verify-audit` must pass, and
no request may have got a 5xx. Prints one summary line; exits 1 on any
finding.

    python3 scripts/crash --bin target/debug/anshin [--database-url URL]
        [--kills 20] [--seed N]

Needs `cryptography` and `cbor2` (PyPI) for its software passkey.
Loopback only; every loop is bounded in count and time.
"""

import argparse
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from crash import checks, setup  # noqa: E402
from crash.cash import cardless, sub_withdrawals  # noqa: E402
from crash.core import Run, finish, start_server  # noqa: E402
from crash.delegated import delegated  # noqa: E402
from crash.purchases import purchases  # noqa: E402
from crash.transfers import transfers  # noqa: E402


def clients(run, people):
    """One thread per actor: each flow, from each side that starts it."""
    return [
        (cardless, (run, people, "hanako", 1)),
        (cardless, (run, people, "yui", 2)),
        (sub_withdrawals, (run, people, "hanako", 3)),
        (transfers, (run, people, ("hanako", "yui"), 4)),
        (transfers, (run, people, ("yui", "hanako"), 5)),
        (purchases, (run, people, 6)),
        (delegated, (run, people, "terminal", "hanako", 7)),
        (delegated, (run, people, "agent", "yui", 8)),
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--database-url")
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=int(time.time()))
    a = p.parse_args()
    random.seed(a.seed)
    # Short windows and lifetimes, so the sweeps settle work during the run.
    work, url, server = start_server("anshin-crash-", a.bin, a.database_url,
                                     ["--purchase-window-ms", "3000", "--sub-account-ttl-ms", "5000",
                                      "--cardless-ttl-ms", "15000"])
    engine = "postgres" if url.startswith("postgres") else "sqlite"
    people = setup.prepare(server.base)
    before = checks.money(url)
    run = Run(server, time.time() + 3600)
    threads = [threading.Thread(target=f, args=args, daemon=True) for f, args in clients(run, people)]
    for t in threads:
        t.start()
    for _ in range(a.kills):
        time.sleep(random.uniform(0.5, 2.0))
        run.up.clear()
        server.kill()
        server.start()
        run.up.set()
    run.deadline = time.time() + 2
    for t in threads:
        t.join(timeout=180)
    stuck = sum(t.is_alive() for t in threads)
    # The sweeps finish what the run left due (windows, lifetimes) before the checks.
    time.sleep(8)
    server.kill()

    lost = checks.claims(url, run)
    after = checks.money(url)
    if after != before:
        run.error(f"money not conserved: liabilities less cash were {before}, are {after}")
    results, failures = checks.server_checks(a.bin, url)
    run.errors += lost + failures
    if stuck:
        run.error(f"{stuck} client threads did not finish")
    c = run.counts
    flows = " ".join(f"{f}{sorted(d.items())}".replace(" ", "") for f, d in sorted(run.per_flow.items()))
    print(f"crash engine={engine} seed={a.seed} kills={a.kills} operations={c['operations']} "
          f"acknowledged={c['acknowledged']} replays={c['replays']} reuses={c['reuses']} "
          f"retried_after_kill={c['retried_after_kill']} waited_in_progress={c['waited_in_progress']} abandoned={c['abandoned']} "
          f"refused={c['refused']} server_errors={c['server_errors']} lost={len(lost)} "
          f"money_before={before} money_after={after} {' '.join(results)} flows: {flows} "
          f"refusals: {sorted(run.reasons.items())}".replace(": ", ":"))
    for e in run.errors[:30]:
        print("  " + e)
    finish(work, bool(run.errors or c["server_errors"]))


if __name__ == "__main__":
    main()
