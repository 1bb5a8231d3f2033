"""Cash flows under the harness: cardless withdrawals (prepare on the
phone, scan at the kiosk, confirm with passkey and position, dispense, or
cancel) and withdrawals by code from a sub-account a clerk's form funded."""

import random
import time

from .steps import approve, key, with_passkey


def cardless(run, people, who, seed):
    rng = random.Random(seed)
    owner, kiosk = people[who], people["kiosk"]
    near = {"lat": kiosk.at["lat"], "lon": kiosk.at["lon"], "accuracy_m": 10}
    while time.time() < run.deadline:
        yen = rng.choice([1, 2, 3, 5]) * 1000
        form = {"account": owner.account, "yen": yen, "key": key()}
        status, first = run.call(owner, "POST", "/api/cardless/prepare", form, may_abandon=True)
        if status is None:
            continue
        if status != 200:
            run.refused(first, status)
            continue
        wid = first["withdrawal"]["id"]
        run.claim("cardless_withdrawals", wid, "ready", yen)
        qr = first["qr_payload"]
        if rng.random() < 0.4:
            run.count("replays")
            status, again = run.call(owner, "POST", "/api/cardless/prepare", form)
            if status == 200 and again["withdrawal"]["id"] != wid:
                run.error(f"cardless replay of {form['key']} answered {again['withdrawal']['id']}, not {wid}")
            if status == 200:
                qr = again["qr_payload"]  # a replay issues the codes afresh
        if rng.random() < 0.2:
            run.count("reuses")
            status, other = run.call(owner, "POST", "/api/cardless/prepare", {**form, "yen": yen + 1000})
            if status == 200:
                run.error(f"cardless key {form['key']} reused for another amount answered {other}")
        if rng.random() < 0.4:
            status, body = run.call(owner, "POST", "/api/cardless/cancel", {"id": wid}, may_abandon=True)
            if status == 200:
                run.claim("cardless_withdrawals", wid, "cancelled")
                run.flow_done("cardless", "cancelled")
            elif status is not None and status != 409:
                run.error(f"cardless cancel {wid}: {status} {body}")
            continue
        status, scanned = run.call(kiosk, "POST", "/api/kiosk/scan", {"code": qr})
        if status != 200 and (scanned or {}).get("reason") != "code_used":
            run.refused(scanned, status)
            continue
        state = approve(run, owner, lambda a: a["kind"] == "cardless_withdrawal"
                        and a["context"]["amount"]["amount_minor"] == yen, near)
        if state != "approved":
            continue
        for _ in range(20):
            status, out = run.call(kiosk, "POST", "/api/kiosk/progress", {"id": wid})
            step = (out or {}).get("step", {}).get("step") if status == 200 else None
            if step == "dispensing":
                run.claim("cardless_withdrawals", wid, "dispensed", yen)
                run.flow_done("cardless", "dispensed")
                break
            if step != "awaiting_phone":
                run.refused(out, status)
                break
            time.sleep(0.1)


def open_form(run, clerk, consultation, yen):
    """The clerk's form for this consultation: pushed now, or the one a
    push cut off by a kill already left open."""
    status, form = run.call(clerk, "POST", "/api/withdrawal-forms/push",
                            {"consultation": consultation, "suggested_yen": yen})
    if status == 200:
        return form
    if (form or {}).get("reason") != "form_open":
        run.refused(form, status)
        return None
    status, forms = run.call(clerk, "POST", "/api/withdrawal-forms/of", {"consultation": consultation})
    return next((f for f in forms or [] if f["state"] in ("pushed", "opened", "submitted")), None)


def reveal(run, owner, form_id, account, yen):
    """Confirms the form with the passkey; when a kill cut off the answer
    that showed the password, a new password through a fresh passkey."""
    choice = {"kind": "generate"}

    def confirm(path, begin_path, begin_form):
        return with_passkey(
            run, owner,
            lambda: run.call(owner, "POST", begin_path, begin_form),
            lambda f: run.call(owner, "POST", path, {"id": form_id, "choice": choice, **f},
                               as_json=True))

    status, body = confirm("/api/withdrawal-forms/confirm", "/api/withdrawal-forms/begin-confirm",
                           {"id": form_id, "account": account, "yen": yen})
    if status == 409 and (body or {}).get("reason") == "form_closed":
        status, body = confirm("/api/withdrawal-forms/renew", "/api/withdrawal-forms/begin-passkey",
                               {"id": form_id})
    return status, body


def sub_withdrawals(run, people, who, seed):
    rng = random.Random(seed)
    owner, clerk, kiosk = people[who], people["sato"], people["kiosk"]
    status, asked = run.call(owner, "POST", "/api/consultations/ask", {"topic": "Cash"})
    if status != 200:
        return run.error(f"consultation for {who}: {status} {asked}")
    run.call(clerk, "POST", "/api/consultations/take", {"id": asked["id"]})
    while time.time() < run.deadline:
        yen = rng.choice([1, 2, 3]) * 1000
        form = open_form(run, clerk, asked["id"], yen)
        if form is None:
            time.sleep(0.2)
            continue
        if rng.random() < 0.25:
            status, body = run.call(owner, "POST", "/api/withdrawal-forms/cancel", {"id": form["id"]})
            if status == 200:
                run.claim("sub_withdrawals", form["id"], "withdrawn")
                run.flow_done("sub_withdrawal", "withdrawn")
            continue
        status, revealed = reveal(run, owner, form["id"], owner.account, yen)
        if status != 200:
            run.refused(revealed, status)
            continue
        run.claim("sub_withdrawals", form["id"], "ready", yen)
        if rng.random() < 0.2:
            continue  # left funded: its sweep returns it later
        status, receipt = run.call(kiosk, "POST", "/api/kiosk/code", {
            "number": revealed["withdrawal"]["number"], "password": revealed["password"]})
        if status == 200:
            run.claim("sub_withdrawals", form["id"], "dispensed", yen)
            run.flow_done("sub_withdrawal", "dispensed")
        else:
            run.refused(receipt, status)
