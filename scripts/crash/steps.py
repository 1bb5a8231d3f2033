"""Steps several flows share: a passkey ceremony that survives a kill
between its two calls, and confirming an approval on the phone."""

import json
import uuid


def key():
    return uuid.uuid4().hex


def ceremony_form(caller, ceremony):
    assertion = caller.passkey.assert_options(json.loads(ceremony["options_json"]))
    return {"ceremony": ceremony["id"], "credential": json.dumps(assertion)}


def ceremony_spent(status, body):
    """A retried finish whose first try the kill cut off: its challenge is
    used up, so the ceremony starts again."""
    return status == 422 and (body or {}).get("field") == "ceremony"


def with_passkey(run, caller, begin, finish, tries=6):
    """`begin()` -> (status, ceremony or refusal); `finish(form)` -> (status,
    body). Starts again when the challenge was spent by a cut-off try."""
    for _ in range(tries):
        status, ceremony = begin()
        if status != 200:
            return status, ceremony
        status, body = finish(ceremony_form(caller, ceremony))
        if not ceremony_spent(status, body):
            return status, body
    return status, body


def approve(run, caller, match, position=None):
    """Confirms the caller's pending approval that `match` picks, with the
    passkey (and position). Returns its state afterwards, or None if no
    such approval is listed."""
    for _ in range(6):
        status, page = run.call(caller, "POST", "/api/approvals/mine")
        item = next((i for i in (page or {}).get("items", []) if match(i)), None)
        if item is None:
            return None
        if item["state"] != "pending":
            return item["state"]
        status, body = with_passkey(
            run, caller,
            lambda: run.call(caller, "POST", "/api/approvals/approve/begin", {"id": item["id"]}),
            lambda form: run.call(caller, "POST", "/api/approvals/approve/finish",
                                  {"id": item["id"], **form, **(position or {})}))
        if status == 200:
            run.count("acknowledged")
            return "approved"
        if status != 409:
            run.refused(body, status)
            return None
    return None
