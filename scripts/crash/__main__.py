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
        [--kills 20] [--seed N] [--instances 2]

With `--instances 2` (PostgreSQL) two servers share the database, each on
its own port, with no balancer: every try of a request goes to either, and
each kill takes down one of them at random while the other keeps serving.

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
from crash.core import Run, finish, start_server, start_twin  # noqa: E402
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


def guarded(run, client, args):
    """Runs one client; one that dies is a finding, not a quieter run."""
    try:
        client(*args)
    except Exception as e:  # noqa: BLE001 - any death must be reported
        run.error(f"client {client.__name__}{args[2:]} died: {e!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--database-url")
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--instances", type=int, choices=(1, 2), default=1)
    a = p.parse_args()
    if a.instances == 2 and not (a.database_url or "").startswith("postgres"):
        p.error("--instances 2 needs --database-url postgres://…")
    random.seed(a.seed)
    # Short windows and lifetimes, so the sweeps settle work during the run.
    work, url, server = start_server("anshin-crash-", a.bin, a.database_url,
                                     ["--purchase-window-ms", "3000", "--sub-account-ttl-ms", "5000",
                                      "--cardless-ttl-ms", "15000"])
    engine = "postgres" if url.startswith("postgres") else "sqlite"
    people = setup.prepare(server.base)
    servers = [server] + [start_twin(work, server) for _ in range(a.instances - 1)]
    before = checks.money(url)
    run = Run(servers, time.time() + 3600)
    threads = [threading.Thread(target=guarded, args=(run, f, args), daemon=True)
               for f, args in clients(run, people)]
    for t in threads:
        t.start()
    for _ in range(a.kills):
        time.sleep(random.uniform(0.5, 2.0))
        victim = random.choice(servers)
        alone = len(servers) == 1
        if alone:
            run.up.clear()
        victim.kill()
        victim.start()
        if alone:
            run.up.set()
    run.deadline = time.time() + 2
    for t in threads:
        t.join(timeout=180)
    stuck = sum(t.is_alive() for t in threads)
    # The sweeps finish what the run left due (windows, lifetimes) before the checks.
    time.sleep(8)
    for s in servers:
        s.kill()

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
    print(f"crash engine={engine} instances={a.instances} seed={a.seed} kills={a.kills} operations={c['operations']} "
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
