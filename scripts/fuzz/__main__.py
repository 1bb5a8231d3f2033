"""API fuzzing: schemathesis (PyPI) against `/v1/openapi.json`, once with a
real API key of each kind a bank registers (merchant, shop terminal, agent,
remittance system), on a demo server of its own. Every check schemathesis
has must pass — no 5xx, every status and body as the document says, valid
data accepted and invalid data refused, 405 with `Allow` for a method a
path lacks — and one of ours: a refused request changes nothing a client
can see. Prints one line per key kind; exits 1 on any failure.

    python3 scripts/fuzz --bin target/debug/anshin [--database-url URL]
        [--max-examples 30] [--seed N]
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from crash import setup  # noqa: E402
from crash.core import finish, start_server  # noqa: E402

# Each kind with the scopes staff would usually grant it (ClientKind::usual_scopes).
KINDS = {
    "merchant": ["purchases:write", "webhooks:manage", "payments:redeem"],
    "shop_terminal": ["payments:request", "payments:redeem"],
    "agent": ["payments:request", "webhooks:manage"],
    "remittance_system": ["relationships:read"],
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--database-url")
    p.add_argument("--max-examples", type=int, default=30)
    p.add_argument("--seed", type=int, default=int(time.time()))
    a = p.parse_args()
    work, url, server = start_server("anshin-fuzz-", a.bin, a.database_url)
    failed = False
    try:
        staff = setup.sign_in(server.base, "sato")
        for kind, scopes in KINDS.items():
            client = setup.api_client(server.base, staff, f"Fuzz {kind}", kind, scopes)
            env = {**os.environ, "SCHEMATHESIS_HOOKS": "hooks", "ANSHIN_FUZZ_DB": url,
                   "PYTHONPATH": HERE}
            report = os.path.join(work, f"{kind}.txt")
            with open(report, "w") as out:
                res = subprocess.run(
                    [os.path.join(os.path.dirname(sys.executable), "schemathesis"),
                     "--config-file", os.path.join(HERE, "schemathesis.toml"), "run",
                     f"{server.base}/v1/openapi.json", "--url", server.base,
                     "-H", f"Authorization: Bearer {client.api_key}",
                     "--checks", "all", "--max-examples", str(a.max_examples),
                     "--seed", str(a.seed), "--workers", "1"],
                    stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)
            text = open(report).read()
            cases = re.findall(r"(\d+) generated", text)
            summary = next((line.strip() for line in reversed(text.splitlines())
                            if re.search(r"\d+ (passed|failed)", line)), "no summary")
            print(f"fuzz-api kind={kind} seed={a.seed} cases={cases[-1] if cases else '?'} "
                  f"exit={res.returncode} {summary}")
            if res.returncode != 0:
                failed = True
                print(text[-6000:])
    finally:
        server.kill()
    finish(work, failed)


if __name__ == "__main__":
    main()
