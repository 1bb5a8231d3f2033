"""Verifies webhook deliveries with the `standardwebhooks` package (PyPI),
an implementation independent of the server's. Reads JSON on stdin:
{"secret": "whsec_...", "deliveries": [{"headers": {...}, "body": "..."}]}.
Prints each verified webhook-id on its own line; exits 1 at the first
delivery that does not verify."""

import json
import sys

from standardwebhooks import Webhook, WebhookVerificationError


def main() -> int:
    data = json.load(sys.stdin)
    hook = Webhook(data["secret"])
    for delivery in data["deliveries"]:
        try:
            hook.verify(delivery["body"], delivery["headers"])
        except WebhookVerificationError as e:
            print(f"{delivery['headers'].get('webhook-id')}: {e}", file=sys.stderr)
            return 1
        print(delivery["headers"]["webhook-id"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
