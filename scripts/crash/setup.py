"""What the run needs before the first kill, set up through the same HTTP
doors a person would use: the personas signed in with passkeys added, a
kiosk enrolled, API clients registered, risk rules that make each decision
reachable on purpose, and the minor's guardian conditions."""

import json

from .core import Caller, send, view_request
from .passkey import Passkey

# Risk rules under which the expected name alone picks the decision:
# exact -> proceed, empty -> warn, close -> recipient proof, other -> refuse;
# the purpose `investment` forces a hold whatever the score.
WEIGHTS = {"name_not_checked": 30, "name_close_match": 60, "name_no_match": 100}


def post(base, caller, path, form=None, as_json=False):
    data, headers = view_request(base, caller, form, as_json)
    status, raw, res_headers = send(base, "POST", path, data, headers)
    body = json.loads(raw) if raw else None
    if status != 200:
        raise SystemExit(f"set-up call {path} answered {status}: {body}")
    return body, res_headers


def sign_in(base, persona):
    me, headers = post(base, None, "/api/identity/demo-sign-in", {"persona": persona})
    caller = Caller(persona, cookie=headers.get("Set-Cookie").split(";")[0])
    caller.user = me["id"]
    caller.display = me["display_name"]
    accounts, _ = post(base, caller, "/api/accounts/mine")
    mains = [a for a in accounts if a["kind"] == "customer_main"]
    caller.account = mains[0]["id"] if mains else None
    return caller


def add_passkey(base, caller):
    ceremony, _ = post(base, caller, "/api/identity/passkeys/begin")
    caller.passkey = Passkey(json.loads(ceremony["options_json"]), base)
    post(base, caller, "/api/identity/passkeys/finish",
         {"ceremony": ceremony["id"], "credential": json.dumps(caller.passkey.credential)})


def enroll_kiosk(base, staff):
    atm = next(a for a in post(base, staff, "/api/atms/list")[0] if a["name"] == "Shibuya Station")
    code = post(base, staff, "/api/atms/reissue", {"id": atm["id"]})[0]["code"]
    _, headers = post(base, None, "/api/kiosk/enroll", {"code": code})
    kiosk = Caller("kiosk", cookie=headers.get("Set-Cookie").split(";")[0])
    kiosk.at = atm["at"]
    return kiosk


def api_client(base, staff, name, kind, scopes):
    issued, _ = post(base, staff, "/api/staff/api-clients/register",
                     {"new": {"name": name, "kind": kind, "scopes": scopes}}, as_json=True)
    caller = Caller(name, api_key=issued["secret"])
    caller.client = issued["client"]["id"]
    return caller


def risk_rules(base, staff):
    current = post(base, staff, "/api/staff/risk-rules")[0]["current"]
    rules = current["rules"]
    rules["weights"] = [[kind, WEIGHTS.get(kind, 0)] for kind, _ in rules["weights"]]
    rules.update(warn_from=25, proof_from=55, hold_from=75, refuse_from=95, floors=[])
    post(base, staff, "/api/staff/risk-rules/save",
         {"draft": rules, "based_on": current["version"], "note": "crash harness"}, as_json=True)


def guardian_conditions(base, guardian, minor):
    post(base, guardian, "/api/guardian/conditions", {"minor": minor.user, "conditions": {
        "per_purchase_yen": None, "per_day_yen": None, "per_month_yen": None,
        "blocked_categories": ["gambling"], "blocked_merchants": [], "ask_above_yen": 3000,
        "hours": None}}, as_json=True)


def prepare(base):
    """Everyone the run's clients act as, keyed by role."""
    people = {p: sign_in(base, p) for p in ("hanako", "yui", "taro", "yoko", "sato")}
    for p in ("hanako", "yui", "taro"):
        add_passkey(base, people[p])
    staff = people["sato"]
    people["kiosk"] = enroll_kiosk(base, staff)
    merchant = api_client(base, staff, "Crash books", "merchant",
                          ["purchases:write", "payments:redeem"])
    people["merchant"] = merchant
    people["terminal"] = api_client(base, staff, "Crash register", "shop_terminal",
                                    ["payments:request", "payments:redeem"])
    agent = api_client(base, staff, "Crash agent", "agent", ["payments:request"])
    agent.payee = merchant.client
    people["agent"] = agent
    risk_rules(base, staff)
    guardian_conditions(base, people["yoko"], people["taro"])
    # Account numbers are the account ids, seven digits.
    people["taro"].number = f"{people['taro'].account:07d}"
    return people
