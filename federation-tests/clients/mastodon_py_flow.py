"""Drives a running Enishi instance with Mastodon.py, the way a Mastodon app would.

Checks, in order, and exits non-zero at the first failure:
 1. app registration (POST /api/v1/apps) through Mastodon.create_app;
 2. alice's login through the authorization-code flow with PKCE S256, driving the login
    and approve forms over HTTP: state round-trips, deny gives access_denied, a wrong
    verifier, a missing verifier and a reused code are refused (400 invalid_grant), a
    code without PKCE is redeemed by Mastodon.py's own log_in();
 3. verify_credentials names alice;
 4. a public voice and a friends-only diary (with a title) come back with the right
    visibility and `enishi` extension;
 5. alice and bob become friends through a follow request (relationships both ways);
 6. bob's friends-only diary reaches alice's home timeline;
 7. alice's like reaches bob as a `favourite` notification;
 8. carol, nobody's friend, never sees that diary (by id, context, account statuses,
    home, search by word and by URL, like, notifications) but does see bob's public voice;
 9. a token with only the `read` scope reads but cannot post (403);
10. a revoked token is refused (401) while another token of alice's still works.

Environment: ENISHI_BASE (no trailing slash), ALICE_USER, ALICE_PASSWORD, BOB_TOKEN,
CAROL_TOKEN. Needs the packages in requirements.txt beside this file.
"""

import base64
import hashlib
import os
import secrets
import sys
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from mastodon import (Mastodon, MastodonAPIError, MastodonIllegalArgumentError,
                      MastodonNotFoundError, MastodonUnauthorizedError)
from mastodon.return_types import Status

BASE = os.environ["ENISHI_BASE"].rstrip("/")
ALICE, ALICE_PASSWORD = os.environ["ALICE_USER"], os.environ["ALICE_PASSWORD"]
BOB_TOKEN, CAROL_TOKEN = os.environ["BOB_TOKEN"], os.environ["CAROL_TOKEN"]
SCOPES = ["read", "write", "follow"]
REDIRECT = "org.enishi.test:/callback"  # custom scheme, lax syntax, as Ivory's
RUN = f"{int(time.time() * 1000):x}{secrets.token_hex(3)}"  # unique words per run
HTTP_TIMEOUT = 30


def step(message):
    print(f"ok: {message}", flush=True)


def check(condition, message):
    if not condition:
        print(f"FAIL: {message[:1000]}", file=sys.stderr, flush=True)
        sys.exit(1)


def expect_error(kind, status, call, what):
    """Runs `call`, which must raise `kind` with HTTP `status`; returns the exception."""
    try:
        result = call()
    except kind as e:
        check(len(e.args) > 1 and e.args[1] == status,
              f"{what}: expected HTTP {status}, got {e.args!r}")
        return e
    check(False, f"{what}: expected {kind.__name__} (HTTP {status}), got {result!r}")


def eventually(probe, what, seconds=10.0):
    """Polls `probe` until it returns something truthy (for work done after the response)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            check(found, f"{what} (waited {seconds:.0f}s)")
            return found
        time.sleep(0.25)


# --- HTML forms, as a browser submits them ------------------------------------------

class _FormFields(HTMLParser):
    """Collects the named controls of the first <form> whose action's path is `path`."""

    def __init__(self, path):
        super().__init__()
        self.path, self.inside, self.action, self.fields = path, False, None, []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and self.action is None and urlsplit(a.get("action", "")).path == self.path:
            self.inside, self.action = True, a["action"]
        elif self.inside and tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            self.fields.append((kind, a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def submit_form(browser, page, path, values, button=None):
    """Posts the form of `page` whose action is `path`, urlencoded in document order (so the
    CSRF field the server put first stays first), with `values` filled in and, of the submit
    buttons, only `button` (a (name, value) pair) sent. Redirects are not followed."""
    parser = _FormFields(path)
    parser.feed(page.text)
    check(parser.action is not None, f"no form with action {path} on {page.url}: {page.text[:300]!r}")
    names = {name for _, name, _ in parser.fields}
    check(set(values) <= names, f"form {path} lacks fields {set(values) - names}; has {names}")
    body = []
    for kind, name, value in parser.fields:
        if kind in ("submit", "image"):
            if button == (name, value):
                body.append((name, value))
        elif kind not in ("checkbox", "radio"):
            body.append((name, values.get(name, value)))
    check(button is None or button in body, f"form {path} has no button {button}")
    return browser.post(urljoin(page.url, parser.action), data=body, allow_redirects=False,
                        timeout=HTTP_TIMEOUT)


def same_url(a, b):
    """Same scheme, host, path and query parameters (whatever their encoding and order)."""
    (a, b) = (urlsplit(a), urlsplit(b))
    return a[:3] == b[:3] and parse_qs(a.query) == parse_qs(b.query)


def pkce_pair():
    """RFC 7636: a random verifier and its S256 challenge (Mastodon.py has no PKCE support)."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- the OAuth dance ------------------------------------------------------------------

def authorize(browser, app, challenge, decision="approve"):
    """Walks the authorize page (logging alice in first if needed); returns the redirect's
    query parameters after checking that `state` came back unchanged."""
    state = secrets.token_urlsafe(16)
    # Mastodon.py builds the URL (reading /.well-known/oauth-authorization-server) but has no
    # PKCE parameters, so they are appended. allow_http: the test instance is plain http.
    url = app.auth_request_url(redirect_uris=REDIRECT, scopes=SCOPES, state=state, allow_http=True)
    check(url.startswith(BASE + "/"), f"authorize URL {url} is not on {BASE}")
    if challenge:
        url += "&" + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    page = browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    if page.status_code == 303:
        login_url = urljoin(url, page.headers["Location"])
        check(urlsplit(login_url).path == "/login", f"authorize without a session sent to {login_url}")
        login_page = browser.get(login_url, timeout=HTTP_TIMEOUT)
        check(login_page.status_code == 200, f"GET {login_url}: {login_page.status_code}")
        done = submit_form(browser, login_page, "/login", {"username": ALICE, "password": ALICE_PASSWORD})
        back = urljoin(login_url, done.headers.get("Location", ""))
        check(done.status_code == 303 and same_url(back, url),
              f"login: expected 303 back to {url}, got {done.status_code} to {back}")
        check(browser.cookies, "login set no session cookie")
        step("login form (303 back to authorize, session cookie)")
        page = browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    check(page.status_code == 200, f"authorize page: expected 200, got {page.status_code}")
    answer = submit_form(browser, page, "/oauth/authorize", {}, button=("decision", decision))
    location = answer.headers.get("Location", "")
    check(answer.status_code == 303 and location.startswith(REDIRECT + "?"),
          f"{decision}: expected 303 to {REDIRECT}?…, got {answer.status_code} {location!r}")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    check(query.get("state") == state, f"state sent {state!r}, came back {query.get('state')!r}")
    return query


def client(**credentials):
    # ratelimit_method="throw": a 429 fails at once. Mastodon.py's default ("wait") would sleep
    # and retry, reading X-RateLimit-Reset (it ignores Retry-After), doubling up to 5 minutes.
    return Mastodon(api_base_url=BASE, ratelimit_method="throw", **credentials)


def token_request(fields):
    # Plain POST: Mastodon.py's log_in() cannot send code_verifier.
    return requests.post(f"{BASE}/oauth/token", data=fields, timeout=HTTP_TIMEOUT)


def main():
    # 1. The app.
    client_id, client_secret = Mastodon.create_app(
        "Enishi Mastodon.py test", scopes=SCOPES, redirect_uris=REDIRECT,
        website="https://enishi.invalid/", api_base_url=BASE)
    check(client_id and client_secret, f"create_app gave {client_id!r}, {client_secret!r}")
    app = client(client_id=client_id, client_secret=client_secret)
    step(f"app registered (client_id {client_id})")

    # 2. Authorization code with PKCE, over a browser-like session.
    browser = requests.Session()
    verifier, challenge = pkce_pair()
    denied = authorize(browser, app, challenge, decision="deny")
    check(denied.get("error") == "access_denied" and "code" not in denied, f"deny gave {denied}")
    step("deny redirects with error=access_denied")

    def exchange(code, code_verifier):
        fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                  "client_id": client_id, "client_secret": client_secret}
        if code_verifier is not None:
            fields["code_verifier"] = code_verifier
        return token_request(fields)

    def refused(response, what):
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        check(response.status_code == 400 and body.get("error") == "invalid_grant",
              f"{what}: expected 400 invalid_grant, got {response.status_code} {response.text[:200]!r}")

    refused(exchange(authorize(browser, app, challenge)["code"], pkce_pair()[0]), "wrong verifier")
    refused(exchange(authorize(browser, app, challenge)["code"], None), "PKCE code without verifier")
    code = authorize(browser, app, challenge)["code"]
    got = exchange(code, verifier)
    check(got.status_code == 200, f"code exchange: {got.status_code} {got.text[:300]!r}")
    token = got.json()
    check(token.get("access_token") and token.get("token_type", "").lower() == "bearer"
          and set(token.get("scope", "").split()) == set(SCOPES), f"token response {token}")
    refused(exchange(code, verifier), "reused code")
    step("PKCE: code exchanged once; wrong/missing verifier and reuse refused (invalid_grant)")

    plain = client(client_id=client_id, client_secret=client_secret)
    plain.log_in(code=authorize(browser, app, None)["code"], redirect_uri=REDIRECT,
                 scopes=SCOPES, allow_http=True)
    check(plain.account_verify_credentials().username == ALICE, "log_in(code=…) token is not alice's")
    step("a code without PKCE redeemed by Mastodon.py log_in(code=…)")

    # 3. Who am I.
    alice = client(client_id=client_id, client_secret=client_secret, access_token=token["access_token"])
    me = alice.account_verify_credentials()
    check(me.username == ALICE and me.acct == ALICE, f"verify_credentials: {me.username!r} {me.acct!r}")
    version = alice.retrieve_mastodon_version(fail_hard=True)  # GET /api/v1/instance/ and v2's
    check(alice.verify_minimum_version("4.0.0", cached=True), f"instance version parsed as {version}")
    step(f"verify_credentials: {me.acct} (id {me.id}); instance version {version}")

    # 4. A voice and a diary.
    voice = alice.status_post(f"voice{RUN} from Mastodon.py", visibility="public")
    check(voice.visibility == "public" and voice.enishi.kind == "voice"
          and voice.enishi.audience == "public", f"public voice came back as {voice}")

    def post_diary(author, title, body, visibility):
        # status_post() has no way to add Enishi's `title`, so this goes through Mastodon.py's
        # own (name-mangled, private) request method: same auth, form encoding and errors.
        return author._Mastodon__api_request(
            "POST", "/api/v1/statuses", {"status": body, "visibility": visibility, "title": title},
            override_type=Status)

    title = f"Title{RUN}"
    diary = post_diary(alice, title, f"alicediary{RUN} for friends", "private")
    check(diary.visibility == "private" and diary.enishi.audience == "friends"
          and diary.enishi.kind == "diary" and diary.enishi.title == title
          and diary.content.startswith("<h2>"), f"friends-only diary came back as {diary}")
    step("posted a public voice and a friends-only diary")

    # 5. Friends through a follow request.
    bob = client(access_token=BOB_TOKEN)
    bob_account = alice.account_lookup("bob")
    check(bob_account.username == "bob", f"lookup bob gave {bob_account.acct!r}")
    rel = alice.account_follow(bob_account.id)
    check(rel.requested and not rel.following, f"after follow: {rel}")
    check(any(a.id == me.id for a in bob.follow_requests()), "alice not in bob's follow requests")
    check(any(n.type == "follow_request" and n.account.id == me.id for n in bob.notifications()),
          "bob has no follow_request notification from alice")
    bob.follow_request_authorize(me.id)
    # Mastodon.py sends `id=` for one id and `id[]=` for a list: one of each.
    for who, viewer, other, ask in (("alice", alice, bob_account.id, bob_account.id),
                                    ("bob", bob, me.id, [me.id])):
        rel = viewer.account_relationships(ask)[0]
        check(rel.id == other and rel.following and rel.followed_by and not rel.requested,
              f"{who}'s relationship after authorize: {rel}")
    # A handled request leaves the list, as in Mastodon; alice hears that bob follows back.
    check(not bob.follow_requests(), "the authorized request is still listed")
    check(any(n.type == "follow" and n.account.id == bob_account.id for n in alice.notifications()),
          "alice has no follow notification from bob")
    step("alice and bob are friends (relationships both ways)")

    # 6. bob's friends-only diary in alice's home.
    secret_word = f"bobsecret{RUN}"
    bob_diary = post_diary(bob, f"Bob{RUN}", f"{secret_word} only for friends", "friends")
    check(bob_diary.visibility == "private" and bob_diary.enishi.audience == "friends",
          f"bob's diary came back as {bob_diary}")
    seen = eventually(lambda: [s for s in alice.timeline_home() if s.id == bob_diary.id],
                      "bob's friends-only diary not in alice's home timeline")[0]
    check(seen.visibility == "private" and seen.enishi.audience == "friends", f"in home: {seen}")
    step("bob's friends-only diary is in alice's home timeline")

    # 7. A like becomes a notification.
    liked = alice.status_favourite(bob_diary.id)
    check(liked.id == bob_diary.id and liked.favourited, f"favourite returned {liked}")
    eventually(lambda: [n for n in bob.notifications() if n.type == "favourite"
                        and n.account.id == me.id and n.status and n.status.id == bob_diary.id],
               "bob has no favourite notification from alice about his diary")
    step("alice's like reached bob as a favourite notification")

    # 8. carol is nobody's friend.
    carol = client(access_token=CAROL_TOKEN)
    bob_voice = bob.status_post(f"bobvoice{RUN} for everyone", visibility="public")
    check(carol.status(bob_voice.id).id == bob_voice.id, "carol cannot see bob's public voice")
    expect_error(MastodonNotFoundError, 404, lambda: carol.status(bob_diary.id), "carol: status(diary)")
    expect_error(MastodonNotFoundError, 404, lambda: carol.status_context(bob_diary.id),
                 "carol: status_context(diary)")
    expect_error(MastodonNotFoundError, 404, lambda: carol.status_favourite(bob_diary.id),
                 "carol: status_favourite(diary)")
    listed = [s.id for s in carol.account_statuses(bob_account.id)]
    check(bob_voice.id in listed, f"bob's public voice not in his statuses for carol: {listed}")
    check(bob_diary.id not in listed, "bob's friends-only diary in his statuses for carol")
    check(bob_diary.id not in [s.id for s in carol.timeline_home()], "diary in carol's home")
    found = carol.search_v2(secret_word)
    check(bob_diary.id not in [s.id for s in found.statuses], "carol found the diary by a word")
    # By URL, as an app resolves a pasted link: a friend finds it, carol does not.
    check(bob_diary.id in [s.id for s in alice.search_v2(bob_diary.uri).statuses],
          f"alice (a friend) cannot find bob's diary by its URL {bob_diary.uri}")
    check(bob_diary.id not in [s.id for s in carol.search_v2(bob_diary.uri).statuses],
          "carol found the diary by its URL")
    check(not any(n.status and n.status.id == bob_diary.id for n in carol.notifications()),
          "a notification of carol's carries the diary")
    step("carol never sees bob's friends-only diary, but sees his public voice")

    # 9. A read-only token.
    reader = client(client_id=client_id, client_secret=client_secret)
    reader.log_in(ALICE, ALICE_PASSWORD, scopes=["read"], allow_http=True)
    check(reader.account_verify_credentials().id == me.id, "read token is not alice's")
    check(bob_diary.id in [s.id for s in reader.timeline_home()], "read token cannot read home")
    e = expect_error(MastodonAPIError, 403, lambda: reader.status_post(f"readonly{RUN}"),
                     "read-only token posting")
    check(type(e) is MastodonAPIError and e.args[3], f"403 should carry an error message: {e.args}")
    step(f"read-only token reads, cannot post (403 {e.args[3]!r})")

    # 10. Revocation.
    alice.revoke_access_token(allow_http=True)
    # revoke_access_token() forgets the token; a fresh client presents it again.
    revoked = client(access_token=token["access_token"])
    expect_error(MastodonUnauthorizedError, 401, revoked.account_verify_credentials,
                 "verify_credentials with a revoked token")
    check(reader.account_verify_credentials().id == me.id, "revoking one token broke another")
    step("revoked token refused (401); alice's other token still works")
    print("mastodon_py_flow: all checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except (MastodonAPIError, MastodonIllegalArgumentError, requests.RequestException) as e:
        print(f"FAIL: unexpected {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        raise
