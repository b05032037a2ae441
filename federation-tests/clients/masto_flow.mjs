// Drives a running Enishi instance with masto (npm), the way a Mastodon web app would: the flow
// of mastodon_py_flow.py, plus the streaming API. Prints `ok: …` per step and finally
// `masto_flow: all checks passed`; at the first failure, `FAIL: …` on stderr and exit 1.
//
//  1. app (apps.create); alice logs in through the authorization-code flow with PKCE S256, the
//     login and approve forms driven over HTTP (a hand-kept cookie jar; each form posted in
//     document order, so that the CSRF field stays first); tokens from masto's OAuth client:
//     deny, wrong/missing verifier and a reused code refused, a code without PKCE redeemed;
//  2. verifyCredentials, /api/v2/instance; a public voice and a friends-only diary (`title`);
//  3. alice and bob become friends through a follow request;
//  4. streams (masto's streaming client): alice's, bob's and carol's `user` and an anonymous
//     `public`; bob's friends-only voice reaches alice's within 1 s of his POST returning, and
//     never carol's or the public one, which do get what they should; a like reaches bob's;
//  5. carol, nobody's friend, never sees bob's friends-only diary through the REST API;
//  6. a `read` token (password grant) cannot post (403); a revoked token gets 401.
//
// Environment: ENISHI_BASE (e.g. http://localhost:41234), ALICE_USER, ALICE_PASSWORD, BOB_TOKEN,
// CAROL_TOKEN (app tokens with read write follow); MASTO_LOG=debug shows masto's traffic.
// Node 22, after `npm ci` in this folder.

import { createHash, randomBytes } from "node:crypto";
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient, MastoHttpError } from "masto";

const env = (name) => process.env[name] || fail(`${name} is not set`);
const BASE = env("ENISHI_BASE").replace(/\/+$/, "");
const [ALICE, ALICE_PASSWORD, BOB_TOKEN, CAROL_TOKEN] =
  ["ALICE_USER", "ALICE_PASSWORD", "BOB_TOKEN", "CAROL_TOKEN"].map(env);
const SCOPES = "read write follow";
const REDIRECT = "org.enishi.test:/callback"; // a custom scheme, as native apps use
const RUN = Date.now().toString(36) + randomBytes(3).toString("hex"); // unique words per run
const HTTP_TIMEOUT = 30_000;
const STREAM_DEADLINE = 1_000; // ms from a friend's POST returning to the event on the stream
const QUIET = 1_500; // ms a stream is watched for what it must not receive
const LOG = process.env.MASTO_LOG || "warn";

const step = (message) => console.log(`ok: ${message}`);
const show = (v) => JSON.stringify(v)?.slice(0, 400);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fail(message) {
  process.stderr.write(`FAIL: ${String(message).slice(0, 1000)}\n`);
  process.exit(1);
}

/** Fails with `message` (a string, or a function making it) unless `condition` holds. */
function check(condition, message) {
  if (!condition) fail(typeof message === "function" ? message() : message);
}

/** Awaits `promise`, which must fail with masto's MastoHttpError of HTTP `status`. */
async function expectHttpError(status, promise, what) {
  const e = await promise.then((result) => fail(`${what}: expected HTTP ${status}, got ${show(result)}`), (e) => e);
  check(e instanceof MastoHttpError && e.statusCode === status,
    () => `${what}: expected HTTP ${status}, got ${e?.constructor?.name} ${e?.statusCode} ${e?.message}`);
  return e;
}

/** Polls `probe` until it gives something truthy or `ms` have passed; gives its last answer. */
async function waitFor(probe, ms) {
  const deadline = performance.now() + ms;
  let found;
  while (!(found = await probe()) && performance.now() < deadline) await sleep(50);
  return found;
}

/** As waitFor, failing when nothing came (for work done after the response). */
async function eventually(probe, what, ms = 10_000) {
  const found = await waitFor(probe, ms);
  check(found, `${what} (waited ${ms / 1000} s)`);
  return found;
}

// --- A browser: a cookie jar, redirects not followed, forms sent as a browser sends them ---

const jar = new Map();

async function browse(url, init = {}) {
  const headers = new Headers(init.headers);
  if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
  const r = await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(HTTP_TIMEOUT) });
  for (const line of r.headers.getSetCookie()) {
    const [, name, value, attributes] = line.match(/^\s*([^=;]+)=([^;]*)(.*)$/) ?? [];
    if (!name) continue;
    if (value.trim() === "" || /;\s*max-age\s*=\s*(0|-\d+)\s*(;|$)/i.test(attributes)) jar.delete(name.trim());
    else jar.set(name.trim(), value.trim());
  }
  return { status: r.status, location: r.headers.get("location"), url: String(url), text: await r.text() };
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const decode = (s) => s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => ENTITIES[e.toLowerCase()]
  ?? String.fromCodePoint(e[1].toLowerCase() === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)));

function attributesOf(text) {
  const pairs = text.matchAll(/([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g);
  return Object.fromEntries([...pairs].map((m) => [m[1].toLowerCase(), decode(m[2] ?? m[3] ?? m[4] ?? "")]));
}

/** The named controls of the first <form> whose action's path is `path`, in document order. */
function formOf(page, path) {
  let action = null;
  const fields = [];
  for (const [, closing, tag, rest] of page.text.matchAll(/<(\/?)(form|input|button)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi)) {
    const [kind, a] = [tag.toLowerCase(), attributesOf(rest)];
    if (kind === "form" && closing && action !== null) break;
    if (kind === "form" && !closing && action === null && new URL(a.action ?? "", page.url).pathname === path) {
      action = a.action;
    } else if (kind !== "form" && action !== null && !closing && a.name) {
      fields.push({ type: (a.type ?? (kind === "button" ? "submit" : "text")).toLowerCase(), name: a.name, value: a.value ?? "" });
    }
  }
  check(action !== null, () => `no form with action ${path} on ${page.url}: ${page.text.slice(0, 300)}`);
  return { action: new URL(action, page.url), fields };
}

/** Posts the form `path` of `page` with `values` filled in and, of its buttons, only `button`. */
async function submit(page, path, values, button) {
  const { action, fields } = formOf(page, path);
  const missing = Object.keys(values).filter((n) => !fields.some((f) => f.name === n));
  check(missing.length === 0, () => `form ${path} lacks ${missing}; has ${fields.map((f) => f.name)}`);
  const body = new URLSearchParams();
  for (const f of fields) {
    if (f.type === "submit" || f.type === "image") {
      if (button?.[0] === f.name && button[1] === f.value) body.append(f.name, f.value);
    } else if (f.type !== "checkbox" && f.type !== "radio") {
      body.append(f.name, values[f.name] ?? f.value);
    }
  }
  check(!button || body.getAll(button[0]).includes(button[1]), `form ${path} has no button ${button}`);
  // As a browser does, the POST says where the form came from.
  return browse(action, { method: "POST", body, headers: { origin: new URL(page.url).origin } });
}

function sameUrl(a, b) {
  const [x, y] = [new URL(a), new URL(b)];
  const query = (u) => [...u.searchParams].map(String).sort().join("&");
  return x.origin === y.origin && x.pathname === y.pathname && query(x) === query(y);
}

function pkcePair() {
  const verifier = randomBytes(48).toString("base64url");
  return [verifier, createHash("sha256").update(verifier).digest("base64url")];
}

/** Walks the authorize page (logging alice in first if needed); returns the redirect's query. */
async function authorize(endpoint, clientId, challenge, decision = "approve") {
  const state = randomBytes(16).toString("base64url");
  const url = new URL(endpoint);
  url.search = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, scope: SCOPES, state });
  if (challenge) url.search += "&" + new URLSearchParams({ code_challenge: challenge, code_challenge_method: "S256" });
  let page = await browse(url);
  if (page.status === 303) {
    const login = new URL(page.location, url);
    check(login.pathname === "/login", `authorize without a session sent to ${login}`);
    const form = await browse(login);
    check(form.status === 200, `GET ${login}: ${form.status}`);
    const done = await submit(form, "/login", { username: ALICE, password: ALICE_PASSWORD });
    const back = new URL(done.location ?? "", login).href;
    check(done.status === 303 && sameUrl(back, url), `login: expected 303 back to ${url}, got ${done.status} to ${back}`);
    check(jar.size > 0, "login set no session cookie");
    step("login form (303 back to authorize, session cookie)");
    page = await browse(url);
  }
  check(page.status === 200, `authorize page: expected 200, got ${page.status}`);
  const answer = await submit(page, "/oauth/authorize", {}, ["decision", decision]);
  const location = answer.location ?? "";
  check(answer.status === 303 && location.startsWith(REDIRECT + "?"),
    `${decision}: expected 303 to ${REDIRECT}?…, got ${answer.status} ${location}`);
  const query = Object.fromEntries(new URL(location).searchParams);
  check(query.state === state, `state sent ${state}, came back ${query.state}`);
  return query;
}

const rest = (accessToken) => createRestAPIClient({ url: BASE, accessToken, timeout: HTTP_TIMEOUT, log: LOG });

// --- Streams ---------------------------------------------------------------------------------

/** Subscribes with masto's streaming client and records every event with its arrival time. */
function listen(name, streamingApiUrl, accessToken, subscribe) {
  // retry: false, so that a refused connection fails the flow rather than being retried forever.
  const client = createStreamingAPIClient({ streamingApiUrl, accessToken, retry: false, log: LOG });
  const listener = { name, client, events: [], error: null };
  (async () => {
    try {
      for await (const event of subscribe(client)) listener.events.push({ ...event, at: performance.now() });
      listener.error = "the stream ended";
    } catch (e) {
      listener.error = `${e?.constructor?.name}: ${e?.message}`;
    }
  })();
  return listener;
}

/** The first event of `kind` on `listener` whose payload passes `test`, within `ms`. */
function arrival(listener, test, what, ms, kind = "update") {
  return eventually(() => {
    check(!listener.error, () => `${listener.name}'s stream failed: ${listener.error}`);
    return listener.events.find((e) => e.event === kind && test(e.payload));
  }, `${what} not on ${listener.name}'s stream`, ms);
}

function neverSaw(listener, words, ids) {
  check(!listener.error, () => `${listener.name}'s stream failed: ${listener.error}`);
  for (const e of listener.events) {
    const leaked = words.some((w) => show(e.payload)?.includes(w)) || ids.includes(e.payload?.status?.id ?? e.payload?.id);
    check(!leaked, () => `${listener.name}'s stream received a friends-only post: ${e.event} ${show(e.payload)}`);
  }
}

// --- The flow --------------------------------------------------------------------------------

async function main() {
  // The app, and where to send alice (masto reads no metadata: apps do that themselves).
  const meta = await (await fetch(`${BASE}/.well-known/oauth-authorization-server`)).json();
  check(meta.code_challenge_methods_supported?.includes("S256") && meta.authorization_endpoint,
    () => `authorization server metadata: ${show(meta)}`);
  const app = await rest().v1.apps.create({
    clientName: "Enishi masto test", redirectUris: REDIRECT, scopes: SCOPES, website: "https://enishi.invalid/",
  });
  check(app.clientId && app.clientSecret, () => `apps.create gave ${show(app)}`);
  const client = { clientId: app.clientId, clientSecret: app.clientSecret };
  step(`app registered (client_id ${app.clientId})`);

  // Authorization code with PKCE; tokens through masto's OAuth client.
  const oauth = createOAuthAPIClient({ url: BASE, timeout: HTTP_TIMEOUT, log: LOG });
  const codeFor = async (challenge) => (await authorize(meta.authorization_endpoint, app.clientId, challenge)).code;
  const [verifier, challenge] = pkcePair();
  const denied = await authorize(meta.authorization_endpoint, app.clientId, challenge, "deny");
  check(denied.error === "access_denied" && !denied.code, `deny gave ${show(denied)}`);
  step("deny redirects with error=access_denied");
  const exchange = (code, codeVerifier) => oauth.token.create({
    grantType: "authorization_code", ...client, redirectUri: REDIRECT, code, codeVerifier, scope: SCOPES,
  });
  const refused = async (promise, what) => {
    const e = await expectHttpError(400, promise, what);
    check(e.message === "invalid_grant", `${what}: expected invalid_grant, got ${e.message} (${e.description})`);
  };
  await refused(exchange(await codeFor(challenge), pkcePair()[0]), "wrong verifier");
  await refused(exchange(await codeFor(challenge)), "PKCE code without verifier");
  const code = await codeFor(challenge);
  const token = await exchange(code, verifier);
  const sorted = (scopes) => scopes?.split(" ").sort().join(" ");
  check(token.accessToken && token.tokenType?.toLowerCase() === "bearer" && sorted(token.scope) === sorted(SCOPES),
    () => `token response ${show(token)}`);
  await refused(exchange(code, verifier), "reused code");
  step("PKCE: code exchanged once; wrong/missing verifier and reuse refused (invalid_grant)");
  const plain = await exchange(await codeFor(null));
  check((await rest(plain.accessToken).v1.accounts.verifyCredentials()).username === ALICE, "non-PKCE token");
  step("a code without PKCE redeemed");

  // Who am I, and where the streams are.
  const alice = rest(token.accessToken);
  const me = await alice.v1.accounts.verifyCredentials();
  check(me.username === ALICE && me.acct === ALICE, `verifyCredentials: ${me.username} ${me.acct}`);
  const instance = await alice.v2.instance.fetch();
  const streaming = instance.configuration?.urls?.streaming;
  check(/^wss?:\/\//.test(streaming ?? "") && new URL(streaming).host === new URL(BASE).host,
    `configuration.urls.streaming is ${streaming}, not a ws(s) URL of ${BASE}`);
  step(`verifyCredentials: ${me.acct} (id ${me.id}); version ${instance.version}; streaming at ${streaming}`);

  // A voice and a diary: masto sends extra properties along, such as Enishi's `title`.
  const voice = await alice.v1.statuses.create({ status: `voice${RUN} from masto`, visibility: "public" });
  check(voice.visibility === "public" && voice.enishi?.kind === "voice" && voice.enishi?.audience === "public",
    () => `public voice came back as ${show(voice)}`);
  const postDiary = (author, title, status) => author.v1.statuses.create({ status, visibility: "private", title });
  const diary = await postDiary(alice, `Title${RUN}`, `alicediary${RUN} for friends`);
  check(diary.visibility === "private" && diary.enishi?.audience === "friends" && diary.enishi?.kind === "diary"
    && diary.enishi?.title === `Title${RUN}` && diary.content.startsWith("<h2>"), () => `diary came back as ${show(diary)}`);
  step("posted a public voice and a friends-only diary");

  // Friends through a follow request.
  const [bob, carol] = [rest(BOB_TOKEN), rest(CAROL_TOKEN)];
  const bobAccount = await alice.v1.accounts.lookup({ acct: "bob" });
  check(bobAccount.username === "bob", `lookup bob gave ${bobAccount.acct}`);
  const asked = await alice.v1.accounts.$select(bobAccount.id).follow();
  check(asked.requested && !asked.following, () => `after follow: ${show(asked)}`);
  check((await bob.v1.followRequests.list()).some((a) => a.id === me.id), "alice not in bob's follow requests");
  check((await bob.v1.notifications.list()).some((n) => n.type === "follow_request" && n.account.id === me.id),
    "bob has no follow_request notification from alice");
  await bob.v1.followRequests.$select(me.id).authorize();
  for (const [who, viewer, other] of [["alice", alice, bobAccount.id], ["bob", bob, me.id]]) {
    const [rel] = await viewer.v1.accounts.relationships.fetch({ id: [other] });
    check(rel?.id === other && rel.following && rel.followedBy && !rel.requested, () => `${who}'s relationship: ${show(rel)}`);
  }
  check((await bob.v1.followRequests.list()).length === 0, "the authorized request is still listed");
  check((await alice.v1.notifications.list()).some((n) => n.type === "follow" && n.account.id === bobAccount.id),
    "alice has no follow notification from bob");
  step("alice and bob are friends (relationships both ways)");

  // Streams. masto connects after a second, and no server says when a subscription took effect:
  // bob and carol post public warm-ups until every stream had one (own posts reach one's own).
  const streams = {
    alice: listen("alice", streaming, token.accessToken, (c) => c.user.subscribe()),
    bob: listen("bob", streaming, BOB_TOKEN, (c) => c.user.subscribe()),
    carol: listen("carol", streaming, CAROL_TOKEN, (c) => c.user.subscribe()),
    public: listen("the anonymous public", streaming, undefined, (c) => c.public.subscribe()),
  };
  const warm = (listener, who) => listener.events.some((e) => e.payload?.content?.includes(`${who}warm${RUN}`));
  const ready = () => warm(streams.alice, "bob") && warm(streams.bob, "bob") && warm(streams.carol, "carol")
    && warm(streams.public, "bob") && warm(streams.public, "carol");
  const broken = () => Object.values(streams).some((l) => l.error);
  for (let round = 1; !ready(); round++) {
    check(round <= 15 && !broken(), () => `streams not live (alice should get bob's warm-ups, bob and carol their own, `
      + `the public stream both): ${Object.values(streams)
      .map((l) => `${l.name}: ${l.error ?? `${l.events.length} events`}`).join("; ")}`);
    await bob.v1.statuses.create({ status: `bobwarm${RUN} ${round}`, visibility: "public" });
    await carol.v1.statuses.create({ status: `carolwarm${RUN} ${round}`, visibility: "public" });
    await waitFor(() => ready() || broken(), 1_000);
  }
  step("user streams (alice, bob, carol) and an anonymous public stream are live");

  // bob's friends-only posts: in alice's home and on her stream; not carol's, not the public's.
  const seen = (id) => (status) => status.id === id;
  const secretWord = `bobsecret${RUN}`;
  const bobDiary = await postDiary(bob, `Bob${RUN}`, `${secretWord} only for friends`);
  check(bobDiary.visibility === "private" && bobDiary.enishi?.audience === "friends", () => `bob's diary: ${show(bobDiary)}`);
  const inHome = await eventually(async () => (await alice.v1.timelines.home.list()).find(seen(bobDiary.id)),
    "bob's friends-only diary not in alice's home timeline");
  check(inHome.visibility === "private" && inHome.enishi?.audience === "friends", () => `in home: ${show(inHome)}`);
  step("bob's friends-only diary is in alice's home timeline");

  const streamWord = `bobstream${RUN}`;
  const bobVoice = await bob.v1.statuses.create({ status: `${streamWord} friends only`, visibility: "private" });
  const posted = performance.now();
  check(bobVoice.visibility === "private", () => `bob's friends-only voice: ${show(bobVoice)}`);
  const live = await arrival(streams.alice, seen(bobVoice.id), "bob's friends-only voice", 5_000);
  const delay = Math.round(live.at - posted);
  check(delay <= STREAM_DEADLINE, `bob's friends-only voice reached alice's stream ${delay} ms after the POST`);
  check(live.stream.includes("user") && live.payload.visibility === "private"
    && live.payload.enishi?.audience === "friends" && live.payload.account?.id === bobAccount.id, () => `event: ${show(live)}`);
  step(`bob's friends-only voice on alice's user stream ${delay < 0 ? "before" : `${delay} ms after`} the POST returned`);

  const bobPublic = await bob.v1.statuses.create({ status: `bobvoice${RUN} for everyone`, visibility: "public" });
  await arrival(streams.public, seen(bobPublic.id), "bob's public voice (posted after the friends-only ones)", 5_000);
  await sleep(QUIET - (performance.now() - posted));
  for (const listener of [streams.carol, streams.public]) {
    neverSaw(listener, [secretWord, streamWord], [bobDiary.id, bobVoice.id]);
  }
  step(`carol's user stream and the public stream: bob's public voice, none of his friends-only posts (${QUIET} ms)`);

  // A like becomes a notification, listed and streamed.
  const liked = await alice.v1.statuses.$select(bobDiary.id).favourite();
  const likedAt = performance.now();
  check(liked.id === bobDiary.id && liked.favourited, () => `favourite returned ${show(liked)}`);
  const isLike = (n) => n.type === "favourite" && n.account?.id === me.id && n.status?.id === bobDiary.id;
  await eventually(async () => (await bob.v1.notifications.list()).some(isLike),
    "bob has no favourite notification from alice about his diary");
  const note = await arrival(streams.bob, isLike, "alice's favourite notification", 5_000, "notification");
  step(`alice's like reached bob as a favourite notification (on his stream ${Math.round(note.at - likedAt)} ms after)`);

  // carol is nobody's friend.
  check((await carol.v1.statuses.$select(bobPublic.id).fetch()).id === bobPublic.id, "carol cannot see bob's public voice");
  const hidden = carol.v1.statuses.$select(bobDiary.id);
  await expectHttpError(404, hidden.fetch(), "carol: statuses/:id (diary)");
  await expectHttpError(404, hidden.context.fetch(), "carol: statuses/:id/context (diary)");
  await expectHttpError(404, hidden.favourite(), "carol: favourite (diary)");
  const listed = (await carol.v1.accounts.$select(bobAccount.id).statuses.list()).map((s) => s.id);
  check(listed.includes(bobPublic.id), () => `bob's public voice not in his statuses for carol: ${listed}`);
  check(!listed.includes(bobDiary.id) && !listed.includes(bobVoice.id), "bob's friends-only posts in his statuses for carol");
  const home = (await carol.v1.timelines.home.list()).map((s) => s.id);
  check(!home.includes(bobDiary.id) && !home.includes(bobVoice.id), "a friends-only post in carol's home");
  const found = async (who, q) => (await who.v2.search.list({ q, resolve: true })).statuses.map((s) => s.id);
  check(!(await found(carol, secretWord)).includes(bobDiary.id), "carol found the diary by a word");
  check((await found(alice, bobDiary.uri)).includes(bobDiary.id), `alice cannot find bob's diary by its URL ${bobDiary.uri}`);
  check(!(await found(carol, bobDiary.uri)).includes(bobDiary.id), "carol found the diary by its URL");
  check(!(await carol.v1.notifications.list()).some((n) => [bobDiary.id, bobVoice.id].includes(n.status?.id)),
    "a notification of carol's carries a friends-only post");
  step("carol never sees bob's friends-only diary, but sees his public voice");

  // A read-only token.
  const readToken = await oauth.token.create({
    grantType: "password", ...client, username: ALICE, password: ALICE_PASSWORD, scope: "read",
  });
  check(readToken.scope === "read", `password grant with scope read gave ${readToken.scope}`);
  const reader = rest(readToken.accessToken);
  check((await reader.v1.accounts.verifyCredentials()).id === me.id, "read token is not alice's");
  check((await reader.v1.timelines.home.list()).some(seen(bobDiary.id)), "read token cannot read home");
  const e = await expectHttpError(403, reader.v1.statuses.create({ status: `readonly${RUN}` }), "read-only token posting");
  check(e.message, "the 403 carries no error message");
  step(`read-only token reads, cannot post (403 ${JSON.stringify(e.message)})`);

  // Revocation.
  await oauth.revoke({ ...client, token: token.accessToken });
  await expectHttpError(401, alice.v1.accounts.verifyCredentials(), "verifyCredentials with a revoked token");
  check((await reader.v1.accounts.verifyCredentials()).id === me.id, "revoking one token broke another");
  step("revoked token refused (401); alice's other token still works");

  for (const listener of Object.values(streams)) listener.client.close();
  console.log("masto_flow: all checks passed");
  process.exit(0);
}

setTimeout(() => fail("the flow took longer than 3 minutes"), 180_000).unref();
main().catch((e) => fail(`unexpected ${e?.constructor?.name}: ${e?.statusCode ?? ""} ${e?.message} ${e?.description ?? ""}\n${e?.stack}`));
