"""Seeds a fresh Enishi instance through its JSON API for the fuzzer, and writes the
schemathesis configuration that points the fuzzer's path ids, handles and targets at the data.

Usage: seed.py BASE_URL TOKENS_JSON OUT_DIR

TOKENS_JSON maps each member created by `enishi user create` to a token from `enishi token
create`; `fuzz` is the member the fuzzer acts as. Only the standard library is used.
"""

import json
import sys
import urllib.error
import urllib.request

BASE, TOKENS_FILE, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
TOKENS = json.load(open(TOKENS_FILE))
PASSWORD = "fuzz-password-1"

# Who is who, seen from `fuzz`.
FRIENDS = ["ann", "ben", "cat", "dan"]
REQUESTERS = ["eve", "fay", "gus", "hal", "ivy", "jon"]  # pending requests to fuzz
ASKED = ["kim"]  # fuzz's pending request
BLOCKED = ["lee", "mia"]
STRANGERS = ["nat"]
AUDIENCES = ["public", "members", "friends_of_friends", "friends", "private"]


def call(who, method, path, body=None, expect=(200, 201, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("authorization", "Bearer " + TOKENS[who])
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status not in expect:
        sys.exit(f"seed: {who} {method} {path} answered {status}: {text}")
    return json.loads(text) if text else None


def befriend(a, b):
    out = call(a, "POST", "/api/v1/friends/requests", {"target": b, "message": "hi"})
    if out["status"] == "friends":
        return
    incoming = call(b, "GET", "/api/v1/friends/requests?direction=incoming")["items"]
    rid = next(r["id"] for r in incoming if r["from"]["handle"] == a)
    call(b, "POST", f"/api/v1/friends/requests/{rid}/accept")


diaries, voices, comments, introductions = [], [], [], []

for name in FRIENDS:
    befriend("fuzz", name)
befriend("ann", "ben")
befriend("ann", "nat")
for name in REQUESTERS:
    call(name, "POST", "/api/v1/friends/requests", {"target": "fuzz", "message": f"from {name}"})
for name in ASKED:
    call("fuzz", "POST", "/api/v1/friends/requests", {"target": name})
for name in BLOCKED:
    call("fuzz", "POST", "/api/v1/blocks", {"target": name})
requests = [r["id"] for r in call("fuzz", "GET", "/api/v1/friends/requests")["items"]]

for author in ["fuzz", "fuzz", "ann", "nat"]:
    for audience in AUDIENCES:
        d = call(author, "POST", "/api/v1/diaries",
                 {"title": f"{author} {audience}", "body": "A day.", "audience": audience})
        diaries.append(d["id"])
        v = call(author, "POST", "/api/v1/voices", {"text": f"{author} says hi", "audience": audience})
        voices.append(v["id"])
for kind, ids in (("diaries", diaries), ("voices", voices)):
    for pid in ids[:10]:
        for who in ["fuzz", "ann", "ben"]:
            c = call(who, "POST", f"/api/v1/{kind}/{pid}/comments", {"text": f"{who} was here"},
                     expect=(201, 404))
            if c and "id" in c:
                comments.append(c["id"])
        call("ann", "POST", f"/api/v1/{kind}/{pid}/like", expect=(204, 404))
for writer, subject in [("ann", "fuzz"), ("ben", "fuzz"), ("cat", "fuzz"), ("dan", "fuzz"),
                        ("fuzz", "ann"), ("fuzz", "ben")]:
    i = call(writer, "POST", f"/api/v1/users/{subject}/introductions", {"text": f"{writer} on {subject}"})
    introductions.append(i["id"])
call("fuzz", "PATCH", "/api/v1/me/profile",
     {"nickname": "Fuzz", "bio": "Tested.", "fields": [{"name": "town", "value": "Kyoto", "audience": "friends"}]})

handles = ["fuzz"] + FRIENDS + REQUESTERS + ASKED + BLOCKED + STRANGERS


def toml_list(values):
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


config = f"""# Written by scripts/api_fuzz/seed.py for one run: the seeded ids and handles.
[dictionaries]
diaries = {{ values = {toml_list(diaries)} }}
voices = {{ values = {toml_list(voices)} }}
comments = {{ values = {toml_list(comments)} }}
introductions = {{ values = {toml_list(introductions)} }}
requests = {{ values = {toml_list(requests)} }}
handles = {{ values = {toml_list(handles)} }}
usernames = {{ values = ["fuzz"] }}
passwords = {{ values = [{json.dumps(PASSWORD)}] }}

[parameters]
"path.handle" = {{ dictionary = "handles", probability = 0.7 }}
"body.target" = {{ dictionary = "handles", probability = 0.7 }}
"body.username" = {{ dictionary = "usernames", probability = 0.5 }}
"""
for path, dictionary in [
    ("^/api/v1/diaries/", "diaries"),
    ("^/api/v1/voices/", "voices"),
    ("^/api/v1/comments/", "comments"),
    ("^/api/v1/introductions/", "introductions"),
    ("^/api/v1/friends/requests/", "requests"),
]:
    config += f"""
[[operations]]
include-path-regex = "{path}"
parameters = {{ "path.id" = {{ dictionary = "{dictionary}", probability = 0.8 }} }}
"""
# The password only where a login takes it: `DELETE /api/v1/me` takes one too, and the
# fuzzing member must not delete its own account halfway through the run.
config += """
[[operations]]
include-name = "POST /api/v1/sessions"
parameters = { "body.password" = { dictionary = "passwords", probability = 0.5 } }
"""
open(f"{OUT}/seeded.toml", "w").write(config)
print(
    f"seeded {len(handles)} members, {len(diaries)} diaries, {len(voices)} voice posts, "
    f"{len(comments)} comments, {len(introductions)} introductions, {len(requests)} pending "
    f"requests to the fuzzing member, {len(BLOCKED)} blocks"
)
