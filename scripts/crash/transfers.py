"""Transfers to other people under the harness, one of each risk decision
on purpose (the set-up's rules make the expected name pick it): settled at
once, held for the recipient's proof, held for staff review, or refused."""

import random
import time

from .steps import key, with_passkey

# decision -> how the sender writes the recipient's name (None: their real name)
NAMES = {"proceed": None, "warn": "", "recipient_proof": "first", "refuse": "Somebody Else",
         "hold": None}


def expected_name(decision, real):
    name = NAMES[decision]
    if name is None:
        return real
    return real.split()[0] if name == "first" else name


def send_form(sender, recipient, decision, yen):
    return {"form[from]": sender.account, "form[to]": recipient.name,
            "form[yen]": yen, "form[expected_name]": expected_name(decision, recipient.display),
            "form[key]": key()}


def transfers(run, people, pair, seed):
    rng = random.Random(seed)
    sender, recipient, staff = people[pair[0]], people[pair[1]], people["sato"]
    while time.time() < run.deadline:
        decision = rng.choice(list(NAMES))
        yen = rng.randint(1, 50) * 100
        form = send_form(sender, recipient, decision, yen)
        purpose = "investment" if decision == "hold" else "family_or_friend"
        review = {}

        def begin():
            status, body = run.call(sender, "POST", "/api/transfers/review", form)
            review.update(body or {})
            if status == 200 and body["ceremony"] is None:
                return 299, body  # refused at review: nothing to sign
            return status, (body or {}).get("ceremony") if status == 200 else body

        signed = {}

        def send(f):
            signed.update(form, purpose=purpose, **f)
            return run.call(sender, "POST", "/api/transfers/send", signed)

        status, sent = with_passkey(run, sender, begin, send)
        if status == 299:
            got = review["assessment"]["decision"]
            if got != decision:
                run.error(f"transfer expected {decision}, reviewed {got}")
            run.flow_done("transfer", "refused_by_risk")
            continue
        if status != 200:
            run.refused(sent, status)
            continue
        got = sent["assessment"]["decision"]
        if got != decision:
            run.error(f"transfer expected {decision}, sent as {got}")
        run.claim("p2p_transfers", sent["id"], sent["state"], yen)
        if rng.random() < 0.3:
            run.count("replays")
            # The page sends the same form again, signature and all.
            status, again = run.call(sender, "POST", "/api/transfers/send", signed)
            if status != 200 or again["id"] != sent["id"]:
                run.error(f"transfer replay of {form['form[key]']} answered {status} {again}")
        if rng.random() < 0.2:
            run.count("reuses")
            status, other = run.call(sender, "POST", "/api/transfers/send",
                                     {**signed, "form[yen]": yen + 100})
            if status == 200:
                run.error(f"transfer key reused for another amount answered {other}")
        settle(run, rng, sender, recipient, staff, sent)


def settle(run, rng, sender, recipient, staff, sent):
    """Takes a waiting transfer to its end as its people would."""
    tid, state = sent["id"], sent["state"]
    if state == "in_review":
        release = rng.random() < 0.6
        status, body = run.call(staff, "POST", "/api/staff/transfers/review",
                                {"id": tid, "release": str(release).lower()})
        if status == 200:
            run.claim("p2p_transfers", tid, "settled" if release else "declined")
        run.flow_done("transfer", "reviewed")
    elif state == "awaiting_recipient":
        if rng.random() < 0.2:
            status, _ = run.call(sender, "POST", "/api/transfers/finish", {"id": tid, "go_ahead": "false"})
            if status == 200:
                run.claim("p2p_transfers", tid, "abandoned")
            return
        message = f"It is {recipient.name}, from yoga ({tid})"
        status, body = with_passkey(
            run, recipient,
            lambda: run.call(recipient, "POST", "/api/transfers/proof/begin",
                             {"id": tid, "message": message}),
            lambda f: run.call(recipient, "POST", "/api/transfers/proof/give",
                               {"id": tid, "message": message, **f}))
        if status != 200 and (body or {}).get("reason") != "transfer_not_open":
            return run.refused(body, status)
        status, body = run.call(sender, "POST", "/api/transfers/finish", {"id": tid, "go_ahead": "true"})
        if status == 200:
            run.claim("p2p_transfers", tid, "settled")
            run.flow_done("transfer", "proved")
        else:
            run.refused(body, status)
    else:
        run.flow_done("transfer", state)
