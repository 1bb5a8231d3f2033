"""A minor's purchases under the harness: a merchant reports them over
`/v1` (charged to the minor's account or paid elsewhere), the guardian is
asked above an amount, the minor confirms with the passkey, the guardian
cancels some in the window, the merchant refunds what was asked back, and
the sweep completes the rest when the window ends. The guardian tops up
the minor's account with allowances as money runs low."""

import random
import time

from .steps import key, with_passkey

CATEGORIES = ["books", "food", "stationery", "toys", "gambling"]


def v1(run, merchant, method, path, body=None, idem=None):
    return run.call(merchant, method, path, body, idem=idem or (key() if method == "POST" else None))


def allowance(run, guardian, minor, rng):
    form = {"minor": minor.user, "amount": {"amount_minor": 20_000, "currency": "JPY"}, "key": key()}
    status, first = run.call(guardian, "POST", "/api/guardian/allowance", form, as_json=True)
    if status != 200:
        return run.refused(first, status)
    run.count("acknowledged")
    run.flow_done("purchase", "allowance")
    if rng.random() < 0.5:
        run.count("replays")
        status, again = run.call(guardian, "POST", "/api/guardian/allowance", form, as_json=True)
        if status != 200 or again["id"] != first["id"]:
            run.error(f"allowance replay answered {status} {again}, first {first['id']}")


def purchases(run, people, seed):
    rng = random.Random(seed)
    merchant, minor, guardian = people["merchant"], people["taro"], people["yoko"]
    n = 0
    while time.time() < run.deadline:
        n += 1
        if n % 6 == 1:
            allowance(run, guardian, minor, rng)
        amount = rng.randint(1, 45) * 100
        body = {"minor": minor.number, "amount": amount, "currency": "JPY",
                "category": rng.choice(CATEGORIES), "description": f"Crash item {n}",
                "reference": f"crash-{seed}-{n}", "payment": rng.choice(["anshin", "elsewhere"])}
        idem = key()
        status, first = v1(run, merchant, "POST", "/v1/purchases", body, idem)
        if status is None:
            continue
        if status != 201:
            run.refused(first, status)
            continue
        pid = first["id"]
        run.claim("purchases", pid, first["state"], amount)
        if rng.random() < 0.4:
            run.replay(merchant, "/v1/purchases", body, idem, first, (200, 201))
        if rng.random() < 0.2:
            run.reuse(merchant, "/v1/purchases", {**body, "amount": amount + 1}, idem)
        follow(run, rng, people, first)


def follow(run, rng, people, first):
    """The guardian's and the minor's part, and the merchant's refund."""
    merchant, minor, guardian = people["merchant"], people["taro"], people["yoko"]
    pid, state = first["id"], first["state"]
    if state == "awaiting_guardian":
        yes = rng.random() < 0.8
        status, body = run.call(guardian, "POST", "/api/guardian/answer",
                                {"id": pid, "yes": str(yes).lower()})
        if status != 200:
            return run.refused(body, status)
        state = body["state"]
        run.claim("purchases", pid, state)
    if state == "awaiting_minor":
        status, body = with_passkey(
            run, minor,
            lambda: run.call(minor, "POST", "/api/purchases/begin-confirm", {"id": pid}),
            lambda f: run.call(minor, "POST", "/api/purchases/confirm", {"id": pid, **f}))
        if status != 200:
            return run.refused(body, status)
        state = body["state"]
        run.claim("purchases", pid, state)
    if state == "in_window" and rng.random() < 0.3:
        status, body = run.call(guardian, "POST", "/api/guardian/cancel", {"id": pid})
        if status != 200:
            return run.refused(body, status)
        state = body["state"]
        run.claim("purchases", pid, state)
    if state == "refund_requested":
        status, body = v1(run, merchant, "POST", f"/v1/purchases/{pid}/refund")
        if status != 200:
            return run.refused(body, status)
        state = body["state"]
        run.claim("purchases", pid, state)
    run.flow_done("purchase", state)
