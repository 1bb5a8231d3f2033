"""Payments requested by nickname under the harness: a shop terminal (its
own payee) or an agent (paying a merchant) asks a person over `/v1` (the
agent, half the time, through its MCP tool on `/mcp` instead); the person
approves with the passkey or declines, or the requester withdraws; the
requester polls for the token and the payee redeems it."""

import random
import time

from .steps import approve, key


def delegated(run, people, requester_name, payer_name, seed):
    rng = random.Random(seed)
    requester, payer = people[requester_name], people[payer_name]
    payee = people["merchant"] if requester_name == "agent" else requester
    n = 0
    while time.time() < run.deadline:
        n += 1
        amount = rng.randint(1, 30) * 100
        binding = f"C{seed}-{n}"[:20]
        detail = {"type": "payment", "amount": amount, "currency": "JPY", "description": f"Crash {n}"}
        if requester_name == "agent":
            detail["payee"] = requester.payee
        body = {"login_hint": payer.name, "binding_message": binding,
                "authorization_details": [detail]}
        if requester_name == "agent" and rng.random() < 0.5:
            ar = ask_by_mcp(run, requester, payer, amount, binding, n)
            if ar is None:
                continue
            run.claim("payment_requests", ar, "pending", amount)
            run.flow_done("delegated", "asked_by_mcp")
            decide(run, rng, requester, payer, payee, ar, binding, amount)
            continue
        idem = key()
        status, first = run.call(requester, "POST", "/v1/payment-requests", body, idem=idem,
                                 may_abandon=True)
        if status is None:
            continue
        if status != 200:
            run.refused(first, status)
            continue
        ar = first["auth_req_id"]
        run.claim("payment_requests", ar, "pending", amount)
        if rng.random() < 0.3:
            run.replay(requester, "/v1/payment-requests", body, idem, first, (200,))
        if rng.random() < 0.2:
            run.reuse(requester, "/v1/payment-requests", {**body, "binding_message": binding + "x"},
                      idem)
        decide(run, rng, requester, payer, payee, ar, binding, amount)


def ask_by_mcp(run, agent, payer, amount, binding, n):
    """The agent asks through its `request_payment` tool: the request's id, or None."""
    ok, asked = run.tool(agent, "request_payment", {
        "nickname": payer.name, "amount_yen": amount, "description": f"Crash {n}",
        "payee": agent.payee, "binding_message": binding, "request_id": key()})
    if not ok:
        if asked is not None:
            run.refused(asked, 200)
        return None
    return asked["auth_req_id"]


def decide(run, rng, requester, payer, payee, ar, binding, amount):
    """Withdrawn, declined, or approved, then polled for and redeemed."""
    roll = rng.random()
    if roll < 0.15:
        status, _ = run.call(requester, "POST", f"/v1/payment-requests/{ar}/cancel", idem=key())
        if status == 204:
            run.claim("payment_requests", ar, "cancelled")
        run.flow_done("delegated", "withdrawn")
        return
    mine = lambda a: (a.get("context", {}).get("delegated") or {}).get("binding_message") == binding
    if roll < 0.3:
        status, page = run.call(payer, "POST", "/api/approvals/mine")
        item = next((i for i in (page or {}).get("items", []) if mine(i)), None)
        if item and run.call(payer, "POST", "/api/approvals/decline", {"id": item["id"]})[0] == 200:
            run.claim("payment_requests", ar, "declined")
            run.flow_done("delegated", "declined")
        return
    if approve(run, payer, mine) != "approved":
        return
    token = poll(run, requester, ar)
    if token is None:
        return
    redeem(run, rng, payee, ar, token, amount)


def poll(run, requester, ar):
    for _ in range(10):
        status, body = run.call(requester, "GET", f"/v1/payment-requests/{ar}")
        if status == 200 and body.get("payment_token"):
            run.claim("payment_requests", ar, "approved")
            return body["payment_token"]
        if status == 200 or body.get("error") not in ("authorization_pending", "slow_down"):
            run.refused(body, status)
            return None
        time.sleep(2)
    return None


def redeem(run, rng, payee, ar, token, max_amount):
    amount = max_amount - rng.choice([0, 0, 100]) if max_amount > 100 else max_amount
    body = {"payment_token": token, "amount": amount, "currency": "JPY", "reference": f"r-{ar[-12:]}"}
    idem = key()
    status, paid = run.call(payee, "POST", "/v1/payments", body, idem=idem)
    if status != 201:
        return run.refused(paid, status)
    run.claim("payment_requests", ar, "paid", amount)
    run.flow_done("delegated", "paid")
    if rng.random() < 0.4:
        run.replay(payee, "/v1/payments", body, idem, paid, (201,))
    if rng.random() < 0.3:
        run.reuse(payee, "/v1/payments", {**body, "amount": 1}, idem)
