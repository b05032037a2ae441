// An independent ActivityPub peer built on Fedify, used by Enishi's federation
// tests.  The Rust tests start it as a child process and drive it over a small
// JSON control API under /control/; everything else on the port is ordinary
// ActivityPub served by Fedify.
//
//   node peer.mjs --port N [--actors alice,bob,carol] [--cert F --key F]
//                 [--log-level debug|info|warning|error] [--die-with-stdin]
//                 [--allow-hosts h1,h2]
//
// stdout carries exactly one line, `READY <origin>`; all logs go to stderr.
// State (keys, followers, notes, received activities) lives in memory only.
// The peer never connects anywhere but loopback (plus --allow-hosts).

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  SendActivityError,
  signRequest,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Block,
  Create,
  Delete,
  Endpoints,
  Follow,
  Group,
  isActor,
  Like,
  Mention,
  Move,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";
import { Temporal } from "@js-temporal/polyfill";
import { configure, defaultTextFormatter, getLogger } from "@logtape/logtape";
import jsonld from "jsonld";

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node peer.mjs --port N [--actors a,b] ` +
      `[--cert FILE --key FILE] [--log-level LEVEL] [--die-with-stdin] ` +
      `[--allow-hosts h1,h2]\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    port: 0,
    actors: ["alice", "bob", "carol"],
    cert: null,
    key: null,
    logLevel: process.env.FEDIFY_PEER_LOG_LEVEL ?? "info",
    dieWithStdin: false,
    allowHosts: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const value = () => {
      const v = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (v == null) usage(`missing value for ${name}`);
      return v;
    };
    switch (name) {
      case "--port":
        opts.port = Number(value());
        if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
          usage("--port must be an integer in 0..65535");
        }
        break;
      case "--actors":
        opts.actors = value().split(",").map((s) => s.trim()).filter(Boolean);
        break;
      case "--cert":
        opts.cert = value();
        break;
      case "--key":
        opts.key = value();
        break;
      case "--log-level":
        opts.logLevel = value();
        break;
      case "--die-with-stdin":
        opts.dieWithStdin = true;
        break;
      case "--allow-hosts":
        opts.allowHosts = value().split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
        break;
      default:
        usage(`unknown argument: ${arg}`);
    }
  }
  if ((opts.cert == null) !== (opts.key == null)) usage("--cert and --key go together");
  if (opts.actors.length < 1) usage("--actors must name at least one actor");
  for (const a of opts.actors) {
    if (!/^[a-z0-9_]+$/.test(a)) usage(`actor names must match [a-z0-9_]+: ${a}`);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------------------
// Logging: everything to stderr, because stdout is reserved for READY.
// ---------------------------------------------------------------------------

await configure({
  // Fedify attaches request-scoped properties through LogTape's implicit
  // contexts, which need an AsyncLocalStorage.
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: (record) => process.stderr.write(defaultTextFormatter(record)) },
  loggers: [
    { category: "fedify", lowestLevel: opts.logLevel, sinks: ["stderr"] },
    { category: "peer", lowestLevel: opts.logLevel, sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});
const log = getLogger(["peer"]);

// ---------------------------------------------------------------------------
// Observation helpers
// ---------------------------------------------------------------------------

/** Which HTTP signature scheme a request carries, judged from its headers. */
function describeSignature(headers) {
  const input = headers.get("signature-input");
  const sig = headers.get("signature");
  if (input != null) {
    return {
      scheme: "rfc9421",
      keyId: /keyid="([^"]*)"/i.exec(input)?.[1] ?? null,
      algorithm: /alg="([^"]*)"/i.exec(input)?.[1] ?? null,
    };
  }
  if (sig != null) {
    return {
      scheme: "draft-cavage",
      keyId: /keyId="([^"]*)"/.exec(sig)?.[1] ?? null,
      algorithm: /algorithm="([^"]*)"/.exec(sig)?.[1] ?? null,
    };
  }
  return { scheme: "none", keyId: null, algorithm: null };
}

/** Loopback, or a host allowed with --allow-hosts. */
function isAllowedHost(hostname) {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === "::1" ||
    opts.allowHosts.includes(host)
  );
}

// Every outgoing HTTP request (deliveries, document and key fetches, control
// fetches).  Fedify calls the global fetch, so wrapping it is the one place
// where the remote's answer to each delivery attempt -- including both knocks
// of the RFC 9421 -> draft-cavage fallback -- can be seen.  It is also where
// non-loopback traffic is refused: an activity naming an unknown remote
// @context URL would otherwise make Fedify fetch it from the internet.
const outgoing = [];
let outgoingSeq = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = async function recordingFetch(input, init) {
  const isRequest = input instanceof Request;
  const method = (init?.method ?? (isRequest ? input.method : "GET")).toUpperCase();
  const headers = new Headers(init?.headers ?? (isRequest ? input.headers : undefined));
  const entry = {
    seq: ++outgoingSeq,
    at: new Date().toISOString(),
    method,
    url: isRequest ? input.url : String(input),
    ...describeSignature(headers),
    activityId: null,
    activityType: null,
    status: null,
    error: null,
  };
  if (method === "POST") {
    try {
      const text = isRequest ? await input.clone().text() : String(init?.body ?? "");
      const json = JSON.parse(text);
      entry.activityId = json?.id ?? null;
      entry.activityType = json?.type ?? null;
    } catch {
      // Not JSON; the entry is still useful without the activity fields.
    }
  }
  outgoing.push(entry);
  const hostname = URL.canParse(entry.url) ? new URL(entry.url).hostname : "";
  if (!isAllowedHost(hostname)) {
    entry.error = `refused: ${hostname} is not a loopback host`;
    log.warn("Refused to fetch {url}: not a loopback host", { url: entry.url });
    throw new TypeError("fetch failed", { cause: new Error(entry.error) });
  }
  try {
    const response = await realFetch(input, init);
    entry.status = response.status;
    return response;
  } catch (error) {
    entry.error = String(error?.cause?.message ?? error?.message ?? error);
    throw error;
  }
};

// jsonld's own default loader does its own HTTP; route it through Fedify's
// loader (preloaded contexts, then the guarded global fetch) instead, for any
// code path that does not pass a loader explicitly.
jsonld.documentLoader = getDocumentLoader({ allowPrivateAddress: true });

// Per inbound-request data that inbox listeners need but Fedify does not hand
// them: the raw JSON, the signature scheme, and a hook to run work after the
// HTTP response has been written.  No inbox queue is configured, so listeners
// run inside the request's async context and can read this.
const inboundStore = new AsyncLocalStorage();

/** Runs fn after the current inbox response is sent (or soon, outside one). */
function afterResponse(fn) {
  const run = () =>
    Promise.resolve()
      .then(fn)
      .catch((error) => log.error("Deferred task failed: {error}", { error }));
  const store = inboundStore.getStore();
  if (store != null) store.after.push(run);
  else setImmediate(run);
}

// ---------------------------------------------------------------------------
// In-memory state
// ---------------------------------------------------------------------------

const actorNames = opts.actors;
const actorSet = new Set(actorNames);
/** name -> [RSA CryptoKeyPair, Ed25519 CryptoKeyPair]; RSA first so it is `publicKey`. */
const keyPairs = new Map();
/** name -> Map(follower actor id -> { recipient, followId, at }) */
const followers = new Map(actorNames.map((n) => [n, new Map()]));
/** name -> [URL]: the actor's other accounts (`alsoKnownAs`), for moves. */
const aliases = new Map();
/** our Follow id -> { id, actor, target, state, recipient, at } */
const follows = new Map();
/** `${name}/${uuid}` -> note record */
const notes = new Map();
/** `${name} ${object}` -> { id, object, recipient } */
const likes = new Map();
/** Announces by local actors, by id: { actor, object }. */
const announces = new Map();
/** `${name} ${target}` -> { id, target, recipient } */
const blocks = new Map();
/** Activities that passed Fedify's verification and reached a listener. */
const received = [];
let receivedSeq = 0;
/** Every POST to an inbox, including rejected ones, with Fedify's status. */
const inboxLog = [];
let inboxSeq = 0;

// Generated concurrently: RSA-4096 generation is the slow part of start-up.
await Promise.all(
  actorNames.map(async (name) => {
    keyPairs.set(
      name,
      await Promise.all([generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), generateCryptoKeyPair("Ed25519")]),
    );
  }),
);

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const now = () => new Date().toISOString();

/** The plain Recipient shape Fedify's sendActivity accepts. */
function toRecipient(actor) {
  return {
    id: actor.id,
    inboxId: actor.inboxId,
    endpoints: actor.endpoints?.sharedInbox ? { sharedInbox: actor.endpoints.sharedInbox } : null,
  };
}

function recipientJson(r) {
  return {
    id: r.id?.href ?? null,
    inbox: r.inboxId?.href ?? null,
    sharedInbox: r.endpoints?.sharedInbox?.href ?? null,
  };
}

function acceptedFollowing(name) {
  const targets = new Set();
  for (const f of follows.values()) {
    if (f.actor === name && f.state === "accepted") targets.add(f.target);
  }
  return [...targets];
}

// ---------------------------------------------------------------------------
// HTTP server.  Listen first so port 0 resolves to a real port, then build the
// federation with that canonical origin so every URI Fedify mints is stable.
// ---------------------------------------------------------------------------

const scheme = opts.cert ? "https" : "http";
const tls = opts.cert ? { cert: readFileSync(opts.cert), key: readFileSync(opts.key) } : null;
let federation = null;
let requestHandler = null;

function createServer() {
  const handler = (req, res) => {
    if (requestHandler == null) {
      res.writeHead(503).end("starting");
      return;
    }
    requestHandler(req, res).catch((error) => {
      log.error("Unhandled error for {method} {url}: {error}", {
        method: req.method,
        url: req.url,
        error,
      });
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(String(error?.stack ?? error));
    });
  };
  return tls ? https.createServer(tls, handler) : http.createServer(handler);
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

// Loopback only.  "localhost" may resolve to ::1 first for some clients, so
// also listen there on the same port when IPv6 is available.
const servers = [createServer()];
await listen(servers[0], opts.port, "127.0.0.1");
const port = servers[0].address().port;
try {
  const v6 = createServer();
  await listen(v6, port, "::1");
  servers.push(v6);
} catch (error) {
  log.debug("Not listening on [::1]:{port}: {error}", { port, error });
}
const origin = `${scheme}://localhost:${port}`;

// ---------------------------------------------------------------------------
// Federation
// ---------------------------------------------------------------------------

const kv = new MemoryKvStore();
federation = createFederation({
  kv,
  origin,
  // Loopback peers only; this disables Fedify's SSRF guard.
  allowPrivateAddress: true,
  // No queue: deliveries happen inline, so a control call returns after the
  // remote has answered, and inbox listeners run before the inbox responds.
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!actorSet.has(identifier)) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    // Actors named group… are Groups (a Lemmy community, a Friendica forum): they pass on
    // what is posted to them with Announce (FEP-1b12).
    const Kind = identifier.startsWith("group") ? Group : Person;
    return new Kind({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: `${identifier[0].toUpperCase()}${identifier.slice(1)} (Fedify peer)`,
      summary: "Test actor served by the Enishi Fedify peer.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      // RSA key for HTTP signatures; every key (RSA + Ed25519) as Multikey
      // for Object Integrity Proofs, as Fedify recommends.
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
      manuallyApprovesFollowers: false,
      discoverable: true,
      aliases: aliases.get(identifier) ?? [],
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => keyPairs.get(identifier) ?? [])
  // WebFinger usernames are the actor names; unknown names are 404.
  .mapHandle((_ctx, username) => (actorSet.has(username) ? username : null));

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (!actorSet.has(identifier)) return null;
    // Recipient objects: Fedify serialises their ids and uses their inboxes
    // when sending to "followers".
    return { items: [...followers.get(identifier).values()].map((f) => f.recipient) };
  })
  .setCounter((_ctx, identifier) => followers.get(identifier)?.size ?? 0);

federation
  .setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    if (!actorSet.has(identifier)) return null;
    return { items: acceptedFollowing(identifier).map((u) => new URL(u)) };
  })
  .setCounter((_ctx, identifier) => acceptedFollowing(identifier).length);

function publicNotesOf(name) {
  return [...notes.values()].filter(
    (n) => n.actor === name && n.visibility === "public" && !n.deleted,
  );
}

federation
  .setOutboxDispatcher("/users/{identifier}/outbox", (ctx, identifier) => {
    if (!actorSet.has(identifier)) return null;
    const items = publicNotesOf(identifier).map(
      (n) =>
        new Create({
          id: new URL(n.createId),
          actor: ctx.getActorUri(identifier),
          object: buildNote(n),
          tos: n.tos,
          ccs: n.ccs,
          published: n.published,
        }),
    );
    return { items };
  })
  .setCounter((_ctx, identifier) => publicNotesOf(identifier).length);

function buildNote(n) {
  return new Note({
    id: n.id,
    attribution: n.actorUri,
    content: n.content,
    tos: n.tos,
    ccs: n.ccs,
    replyTarget: n.inReplyTo,
    tags: n.mentions.map((m) => new Mention({ href: m.href, name: m.name })),
    published: n.published,
    url: n.id,
  });
}

/** Whether the actor `who` may read note n (used for non-public notes). */
function canSee(n, who) {
  if (n.audience.has(who)) return true;
  return n.visibility === "followers" && followers.get(n.actor).has(who);
}

federation
  .setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (_ctx, values) => {
    const n = notes.get(`${values.identifier}/${values.id}`);
    return n == null || n.deleted ? null : buildNote(n);
  })
  // Non-public notes need a signed fetch by someone in the audience, like
  // Mastodon's authorized fetch; Fedify answers 401 otherwise.
  .authorize(async (ctx, values) => {
    const n = notes.get(`${values.identifier}/${values.id}`);
    if (n == null || n.visibility === "public") return true;
    const owner = await ctx.getSignedKeyOwner();
    return owner?.id != null && canSee(n, owner.id.href);
  });

federation.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
  software: { name: "enishi-fedify-peer", version: "2.3.6" },
  protocols: ["activitypub"],
  openRegistrations: false,
  usage: {
    users: { total: actorNames.length },
    localPosts: notes.size,
    localComments: 0,
  },
}));

// ---------------------------------------------------------------------------
// Inbox
// ---------------------------------------------------------------------------

/** Local actors an inbound activity concerns (shared-inbox deliveries have no recipient). */
async function concernedActors(ctx, activity, raw) {
  const names = new Set();
  if (ctx.recipient != null) names.add(ctx.recipient);
  const addressed = new Set(
    [
      ...activity.toIds,
      ...activity.ccIds,
      ...activity.btoIds,
      ...activity.bccIds,
      ...activity.audienceIds,
    ].map((u) => u.href),
  );
  const inner = raw != null && typeof raw.object === "object" ? raw.object : null;
  for (const k of ["to", "cc", "bto", "bcc", "audience"]) {
    for (const v of [inner?.[k]].flat()) if (typeof v === "string") addressed.add(v);
  }
  const objectIds = [
    activity.objectId?.href,
    typeof inner?.object === "string" ? inner.object : inner?.object?.id,
    inner?.inReplyTo,
  ].filter((x) => typeof x === "string");
  const sender = activity.actorId?.href;
  let senderFollowers;
  for (const name of actorNames) {
    if (names.has(name)) continue;
    const actorUri = ctx.getActorUri(name).href;
    if (addressed.has(actorUri) || addressed.has(ctx.getFollowersUri(name).href)) {
      names.add(name);
    } else if (objectIds.some((id) => id === actorUri || id.startsWith(`${actorUri}/`))) {
      names.add(name);
    } else if (sender != null && acceptedFollowing(name).includes(sender)) {
      // Public posts or posts to the sender's followers collection.
      if (addressed.has(PUBLIC_COLLECTION.href)) {
        names.add(name);
        continue;
      }
      if (senderFollowers === undefined) {
        senderFollowers = null;
        try {
          senderFollowers = (await activity.getActor(ctx))?.followersId?.href ?? null;
        } catch (error) {
          log.debug("Could not fetch sender {sender}: {error}", { sender, error });
        }
      }
      if (senderFollowers != null && addressed.has(senderFollowers)) names.add(name);
    }
  }
  return [...names];
}

/** Records an activity that reached a listener; returns the record. */
async function recordInbound(ctx, activity) {
  const store = inboundStore.getStore();
  const raw = store?.json ?? null;
  let compacted = null;
  try {
    compacted = await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader });
  } catch (error) {
    log.warn("Could not compact {id}: {error}", { id: activity.id?.href, error });
  }
  let actors = ctx.recipient == null ? [] : [ctx.recipient];
  try {
    actors = await concernedActors(ctx, activity, raw);
  } catch (error) {
    log.warn("Could not work out the recipients of {id}: {error}", { id: activity.id?.href, error });
  }
  const rec = {
    seq: ++receivedSeq,
    receivedAt: now(),
    recipient: ctx.recipient,
    actors,
    inbox: store?.path ?? null,
    // Fedify's type; an unknown type arrives as plain "Activity", so the
    // sender's own word for it is kept too.
    type: compacted?.type ?? raw?.type ?? null,
    rawType: raw?.type ?? null,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    signature: store?.signature ?? null,
    ldSignature: raw != null && raw.signature != null,
    proof: raw != null && raw.proof != null,
    raw,
    compacted,
  };
  received.push(rec);
  if (store != null) store.entry.recorded = rec.seq;
  log.info("Received {type} {id} from {actor} for {actors}", rec);
  return rec;
}

/** Name of the local actor that a URI identifies, or null. */
function localActorOf(ctx, uri) {
  const parsed = uri == null ? null : ctx.parseUri(uri);
  return parsed?.type === "actor" && actorSet.has(parsed.identifier) ? parsed.identifier : null;
}

function newActivityId(name) {
  return new URL(`/users/${name}/activities/${randomUUID()}`, origin);
}

/**
 * Finds our Follow that an Accept/Reject answers: by the object's id, or, for
 * servers that do not echo the id, the newest pending follow of the sender.
 * The record says which, so tests can insist on the strict match.
 */
function findOwnFollow(ctx, response) {
  const oid = response.objectId?.href;
  if (oid != null && follows.has(oid)) return { follow: follows.get(oid), matchedBy: "id" };
  const sender = response.actorId?.href;
  const candidates = [...follows.values()].filter(
    (f) =>
      f.target === sender &&
      f.state === "pending" &&
      (ctx.recipient == null || f.actor === ctx.recipient),
  );
  const follow = candidates.at(-1);
  return follow == null ? null : { follow, matchedBy: "sender-fallback" };
}

/** Wraps a listener so a bug in the peer is recorded instead of becoming a 500. */
function listener(fn) {
  return async (ctx, activity) => {
    let rec = null;
    try {
      rec = await recordInbound(ctx, activity);
      await fn(ctx, activity, rec);
    } catch (error) {
      log.error("Listener failed for {id}: {error}", { id: activity.id?.href, error });
      if (rec != null) rec.handlerError = String(error?.message ?? error);
    }
  };
}

const recordOnly = listener(async () => {});

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(
    Follow,
    listener(async (ctx, follow, rec) => {
      const local = localActorOf(ctx, follow.objectId);
      if (local == null) {
        rec.note = "Follow target is not a local actor; ignored";
        return;
      }
      if (follow.id == null) {
        rec.note = "Follow has no id; not accepted";
        return;
      }
      // Fetch the follower as the followed actor (a signed GET).
      const follower = await follow.getActor({
        documentLoader: await ctx.getDocumentLoader({ identifier: local }),
        contextLoader: ctx.contextLoader,
      });
      if (follower == null || follower.id == null || follower.inboxId == null) {
        rec.note = "Could not fetch the follower or it has no inbox; not accepted";
        return;
      }
      const recipient = toRecipient(follower);
      followers.get(local).set(follower.id.href, {
        recipient,
        followId: follow.id.href,
        at: now(),
      });
      // Auto-accept, but only after the Follow's 202 has gone out, as a
      // queue-backed server would; the follower may not expect an Accept
      // while its own POST is still in flight.
      const accept = new Accept({
        id: newActivityId(local),
        actor: ctx.getActorUri(local),
        object: follow,
        to: follower.id,
      });
      rec.accept = { id: accept.id.href, deliveries: null };
      afterResponse(async () => {
        rec.accept.deliveries = await deliver(ctx, local, [recipient], accept);
      });
    }),
  )
  .on(
    Accept,
    listener(async (ctx, accept, rec) => {
      const found = findOwnFollow(ctx, accept);
      if (found == null) {
        rec.note = "Accept does not answer a pending Follow of ours";
        return;
      }
      found.follow.state = "accepted";
      found.follow.answeredAt = now();
      rec.follow = { id: found.follow.id, matchedBy: found.matchedBy };
    }),
  )
  .on(
    Reject,
    listener(async (ctx, reject, rec) => {
      const found = findOwnFollow(ctx, reject);
      if (found == null) {
        rec.note = "Reject does not answer a Follow of ours";
        return;
      }
      found.follow.state = "rejected";
      found.follow.answeredAt = now();
      rec.follow = { id: found.follow.id, matchedBy: found.matchedBy };
    }),
  )
  .on(
    Undo,
    listener(async (ctx, undo, rec) => {
      // Undo(Follow): match the Follow by id, or by an embedded Follow whose
      // object is a local actor; only the follower itself can undo it.
      const sender = undo.actorId?.href;
      const oid = undo.objectId?.href;
      const inner = typeof rec.raw?.object === "object" ? rec.raw.object : null;
      const innerTarget = inner?.type === "Follow"
        ? localActorOf(ctx, typeof inner.object === "string" ? new URL(inner.object) : null)
        : null;
      for (const name of actorNames) {
        const f = followers.get(name).get(sender);
        if (f != null && (f.followId === oid || innerTarget === name)) {
          followers.get(name).delete(sender);
          rec.removedFollower = { actor: name, follower: sender };
        }
      }
    }),
  )
  .on(
    Delete,
    listener(async (_ctx, del, rec) => {
      // An actor deleting itself stops following everyone here.
      const sender = del.actorId?.href;
      if (sender == null || del.objectId?.href !== sender) return;
      for (const name of actorNames) {
        if (followers.get(name).delete(sender)) rec.removedFollower = { actor: name, follower: sender };
      }
    }),
  )
  .on(
    Block,
    listener(async (ctx, block, rec) => {
      // Being blocked severs the relationship both ways, as in Mastodon.
      const local = localActorOf(ctx, block.objectId);
      const sender = block.actorId?.href;
      if (local == null || sender == null) return;
      followers.get(local).delete(sender);
      for (const f of follows.values()) {
        if (f.actor === local && f.target === sender && f.state !== "undone") f.state = "blocked";
      }
      rec.blockedBy = { actor: local, blocker: sender };
    }),
  )
  .on(Create, recordOnly)
  .on(Update, recordOnly)
  .on(Like, recordOnly)
  .on(Announce, recordOnly)
  // Catch-all: Fedify dispatches to the nearest registered superclass.
  .on(Activity, recordOnly)
  .onUnverifiedActivity((_ctx, _activity, reason) => {
    // Keep Fedify's default 401; just remember why.
    const entry = inboundStore.getStore()?.entry;
    if (entry != null) {
      entry.unverified = {
        reason: reason.type,
        keyId: reason.keyId?.href ?? null,
        keyFetchStatus: reason.result?.status ?? null,
        keyFetchError: reason.result?.error?.message ?? null,
      };
    }
  })
  .onError((_ctx, error) => {
    const entry = inboundStore.getStore()?.entry;
    if (entry != null) entry.error = String(error?.message ?? error);
  });

// ---------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------

/**
 * Sends `activity` from local actor `name` to each distinct inbox of
 * `recipients`, one Fedify sendActivity per inbox, so each inbox's outcome
 * (and each knock of the signature fallback) can be reported separately.
 */
async function deliver(ctx, name, recipients, activity, { preferSharedInbox = false } = {}) {
  const byInbox = new Map();
  for (const r of recipients) {
    if (r?.inboxId == null) continue;
    const inbox = preferSharedInbox && r.endpoints?.sharedInbox ? r.endpoints.sharedInbox : r.inboxId;
    if (!byInbox.has(inbox.href)) byInbox.set(inbox.href, { id: r.id, inboxId: inbox, endpoints: null });
  }
  const activityId = activity.id.href;
  return await Promise.all(
    [...byInbox].map(async ([inbox, recipient]) => {
      const since = outgoingSeq;
      const result = { inbox, ok: false, status: null, attempts: [], error: null };
      try {
        await ctx.sendActivity({ identifier: name }, recipient, activity, { immediate: true });
        result.ok = true;
      } catch (error) {
        result.error = error instanceof SendActivityError
          ? `HTTP ${error.statusCode}: ${error.responseBody}`
          : String(error?.message ?? error);
      }
      result.attempts = outgoing
        .filter((o) => o.seq > since && o.method === "POST" && o.url === inbox && o.activityId === activityId)
        .map((o) => ({ scheme: o.scheme, status: o.status, error: o.error }));
      result.status = result.attempts.at(-1)?.status ?? null;
      if (!result.ok) log.warn("Delivery of {activityId} to {inbox} failed: {error}", { activityId, ...result });
      return result;
    }),
  );
}

/** Fetches an actor as local actor `name` (signed GET, uncached). */
async function lookupActor(ctx, name, url) {
  const documentLoader = await ctx.getDocumentLoader({ identifier: name });
  let actor;
  try {
    actor = await ctx.lookupObject(url, { documentLoader });
  } catch (error) {
    throw new HttpError(502, `could not fetch ${url}: ${error?.message ?? error}`);
  }
  if (!isActor(actor) || actor.id == null) throw new HttpError(422, `${url} is not an actor`);
  return actor;
}

/** Fetches an object as `name` and then its author (attributedTo). */
// `author`, when given, names the object's author: an outsider cannot fetch a
// friends-only object, and tests still need it to try replying or liking.
async function lookupAuthor(ctx, name, url, author) {
  if (typeof author === "string") return await lookupActor(ctx, name, new URL(author).href);
  const documentLoader = await ctx.getDocumentLoader({ identifier: name });
  let object;
  try {
    object = await ctx.lookupObject(url, { documentLoader });
  } catch (error) {
    throw new HttpError(502, `could not fetch ${url}: ${error?.message ?? error}`);
  }
  if (object == null) throw new HttpError(422, `could not fetch ${url}`);
  const authorId = object.attributionId ?? object.attributionIds?.[0];
  if (authorId == null) throw new HttpError(422, `${url} has no attributedTo`);
  return await lookupActor(ctx, name, authorId.href);
}

function mentionOf(actor) {
  const username = actor.preferredUsername?.toString() ?? "unknown";
  return { href: actor.id, name: `@${username}@${actor.id.host}` };
}

// ---------------------------------------------------------------------------
// Control API
// ---------------------------------------------------------------------------

function needActor(value) {
  if (typeof value !== "string" || !actorSet.has(value)) {
    throw new HttpError(400, `"actor" must be one of: ${actorNames.join(", ")}`);
  }
  return value;
}

function needString(body, key) {
  const value = body?.[key];
  if (typeof value !== "string" || value === "") throw new HttpError(400, `"${key}" is required`);
  return value;
}

function needUrl(body, key) {
  const value = needString(body, key);
  try {
    return new URL(value);
  } catch {
    throw new HttpError(400, `"${key}" must be an absolute URL`);
  }
}

const SPEC_NAMES = {
  rfc9421: "rfc9421",
  "draft-cavage": "draft-cavage-http-signatures-12",
  "draft-cavage-http-signatures-12": "draft-cavage-http-signatures-12",
};

const control = {
  "GET /control/actors": (ctx) =>
    Object.fromEntries(
      actorNames.map((n) => [
        n,
        {
          id: ctx.getActorUri(n).href,
          inbox: ctx.getInboxUri(n).href,
          sharedInbox: ctx.getInboxUri().href,
          followers: ctx.getFollowersUri(n).href,
          keyId: `${ctx.getActorUri(n).href}#main-key`,
          handle: `${n}@${new URL(origin).host}`,
        },
      ]),
    ),

  // The actor's other accounts (`alsoKnownAs`), as an account being moved to lists them.
  "POST /control/alias": (_ctx, body) => {
    const name = needActor(body.actor);
    const list = (body.aliases ?? []).map((u) => new URL(u));
    aliases.set(name, list);
    return { actor: name, aliases: list.map((u) => u.href) };
  },

  // The actor moves to `target` (Mastodon's Move: actor and object the old account), sent to
  // every follower.
  "POST /control/move": async (ctx, body) => {
    const name = needActor(body.actor);
    const target = needUrl(body, "target");
    const actorUri = ctx.getActorUri(name);
    const move = new Move({
      id: newActivityId(name),
      actor: actorUri,
      object: actorUri,
      target,
      to: ctx.getFollowersUri(name),
    });
    const recipients = [...followers.get(name).values()].map((f) => f.recipient);
    const deliveries = await deliver(ctx, name, recipients, move);
    return { id: move.id.href, deliveries };
  },

  "POST /control/follow": async (ctx, body) => {
    const name = needActor(body.actor);
    const target = await lookupActor(ctx, name, needUrl(body, "target").href);
    const follow = new Follow({
      id: newActivityId(name),
      actor: ctx.getActorUri(name),
      object: target.id,
      to: target.id,
    });
    // Stored before sending: the Accept may arrive before the POST returns.
    follows.set(follow.id.href, {
      id: follow.id.href,
      actor: name,
      target: target.id.href,
      state: "pending",
      recipient: toRecipient(target),
      at: now(),
    });
    const deliveries = await deliver(ctx, name, [toRecipient(target)], follow);
    return { id: follow.id.href, deliveries };
  },

  "POST /control/unfollow": async (ctx, body) => {
    const name = needActor(body.actor);
    const target = needUrl(body, "target").href;
    const f = [...follows.values()]
      .filter((x) => x.actor === name && x.target === target && x.state !== "undone")
      .at(-1);
    if (f == null) throw new HttpError(404, `${name} has no follow of ${target}`);
    const actorUri = ctx.getActorUri(name);
    const undo = new Undo({
      id: newActivityId(name),
      actor: actorUri,
      object: new Follow({ id: new URL(f.id), actor: actorUri, object: new URL(f.target) }),
      to: new URL(f.target),
    });
    f.state = "undone";
    const deliveries = await deliver(ctx, name, [f.recipient], undo);
    return { id: undo.id.href, follow: f.id, deliveries };
  },

  "POST /control/note": async (ctx, body) => {
    const name = needActor(body.actor);
    const content = needString(body, "content");
    const to = body.to ?? "public";
    if (body.cc != null && !Array.isArray(body.cc)) throw new HttpError(400, `"cc" must be an array`);
    const actorUri = ctx.getActorUri(name);
    const followersUri = ctx.getFollowersUri(name);
    const recipients = [];
    const mentions = [];
    const audience = new Set();
    let visibility;
    let tos;
    const ccs = [];
    if (to === "public") {
      visibility = "public";
      tos = [PUBLIC_COLLECTION];
      ccs.push(followersUri);
    } else if (to === "followers") {
      visibility = "followers";
      tos = [followersUri];
    } else {
      visibility = "direct";
      const target = await lookupActor(ctx, name, needUrl(body, "to").href);
      tos = [target.id];
      recipients.push(toRecipient(target));
      mentions.push(mentionOf(target));
      audience.add(target.id.href);
    }
    if (visibility !== "direct") {
      recipients.push(...[...followers.get(name).values()].map((f) => f.recipient));
    }
    for (const raw of body.cc ?? []) {
      const url = new URL(raw);
      ccs.push(url);
      audience.add(url.href);
      // cc may name a collection; only actors get a delivery and a mention.
      try {
        const actor = await lookupActor(ctx, name, url.href);
        recipients.push(toRecipient(actor));
        mentions.push(mentionOf(actor));
      } catch (error) {
        log.info("cc {url} is not a deliverable actor: {error}", { url: url.href, error });
      }
    }
    let inReplyTo = null;
    if (body.inReplyTo != null) {
      inReplyTo = needUrl(body, "inReplyTo");
      const author = await lookupAuthor(ctx, name, inReplyTo.href, body.author);
      recipients.push(toRecipient(author));
      // Address and mention the replied-to author, as Mastodon does, unless
      // the caller wants to test delivery without addressing.
      if (body.addressReplyAuthor !== false && !audience.has(author.id.href)) {
        ccs.push(author.id);
        mentions.push(mentionOf(author));
        audience.add(author.id.href);
      }
    }
    const uuid = randomUUID();
    const n = {
      actor: name,
      actorUri,
      uuid,
      id: ctx.getObjectUri(Note, { identifier: name, id: uuid }),
      content,
      visibility,
      tos,
      ccs,
      inReplyTo,
      mentions,
      audience,
      published: Temporal.Now.instant(),
      recipients,
      preferSharedInbox: visibility !== "direct",
      createId: newActivityId(name).href,
      deleted: false,
    };
    notes.set(`${name}/${uuid}`, n);
    const create = new Create({
      id: new URL(n.createId),
      actor: actorUri,
      object: buildNote(n),
      tos,
      ccs,
      published: n.published,
    });
    const deliveries = await deliver(ctx, name, recipients, create, {
      preferSharedInbox: n.preferSharedInbox,
    });
    return { id: n.id.href, activity: create.id.href, visibility, deliveries };
  },

  // A boost: `actor` announces `object` (a URL) to the public and its followers. With
  // `wrap: true` the object must be one of this peer's notes, and the Announce carries its
  // Create, as a group does (FEP-1b12).
  "POST /control/announce": async (ctx, body) => {
    const name = needActor(body.actor);
    const object = needUrl(body, "object");
    let announced = object;
    if (body.wrap === true) {
      const n = [...notes.values()].find((x) => x.id.href === object.href && !x.deleted);
      if (n == null) throw new HttpError(404, `no note ${object.href} on this peer`);
      announced = new Create({
        id: new URL(n.createId),
        actor: n.actorUri,
        object: buildNote(n),
        tos: n.tos,
        ccs: n.ccs,
        published: n.published,
      });
    }
    const announce = new Announce({
      id: newActivityId(name),
      actor: ctx.getActorUri(name),
      object: announced,
      tos: [PUBLIC_COLLECTION],
      ccs: [ctx.getFollowersUri(name)],
      published: Temporal.Now.instant(),
    });
    announces.set(announce.id.href, { actor: name, object: object.href });
    const recipients = [...followers.get(name).values()].map((f) => f.recipient);
    const deliveries = await deliver(ctx, name, recipients, announce, { preferSharedInbox: true });
    return { id: announce.id.href, deliveries };
  },

  "POST /control/unannounce": async (ctx, body) => {
    const name = needActor(body.actor);
    const id = needUrl(body, "id").href;
    const a = announces.get(id);
    if (a == null || a.actor !== name) throw new HttpError(404, `${name} has no announce ${id}`);
    announces.delete(id);
    const undo = new Undo({
      id: newActivityId(name),
      actor: ctx.getActorUri(name),
      object: new Announce({ id: new URL(id), actor: ctx.getActorUri(name), object: new URL(a.object) }),
      tos: [PUBLIC_COLLECTION],
      ccs: [ctx.getFollowersUri(name)],
    });
    const recipients = [...followers.get(name).values()].map((f) => f.recipient);
    const deliveries = await deliver(ctx, name, recipients, undo, { preferSharedInbox: true });
    return { id: undo.id.href, deliveries };
  },

  "POST /control/delete": async (ctx, body) => {
    const name = needActor(body.actor);
    const id = needUrl(body, "id").href;
    const n = [...notes.values()].find((x) => x.actor === name && x.id.href === id);
    if (n == null) throw new HttpError(404, `${name} has no note ${id}`);
    n.deleted = true;
    n.deletedAt = Temporal.Now.instant();
    const del = new Delete({
      id: newActivityId(name),
      actor: n.actorUri,
      object: new Tombstone({ id: n.id, formerType: Note, deleted: n.deletedAt }),
      tos: n.tos,
      ccs: n.ccs,
    });
    // The same inboxes as the Create.
    const deliveries = await deliver(ctx, name, n.recipients, del, {
      preferSharedInbox: n.preferSharedInbox,
    });
    return { id: del.id.href, deliveries };
  },

  "POST /control/like": async (ctx, body) => {
    const name = needActor(body.actor);
    const object = needUrl(body, "object");
    const author = await lookupAuthor(ctx, name, object.href, body.author);
    const like = new Like({ id: newActivityId(name), actor: ctx.getActorUri(name), object, to: author.id });
    likes.set(`${name} ${object.href}`, { id: like.id.href, object: object.href, recipient: toRecipient(author) });
    const deliveries = await deliver(ctx, name, [toRecipient(author)], like);
    return { id: like.id.href, deliveries };
  },

  "POST /control/unlike": async (ctx, body) => {
    const name = needActor(body.actor);
    const object = needUrl(body, "object");
    const l = likes.get(`${name} ${object.href}`);
    if (l == null) throw new HttpError(404, `${name} has not liked ${object.href}`);
    const actorUri = ctx.getActorUri(name);
    const undo = new Undo({
      id: newActivityId(name),
      actor: actorUri,
      object: new Like({ id: new URL(l.id), actor: actorUri, object }),
      to: l.recipient.id,
    });
    likes.delete(`${name} ${object.href}`);
    const deliveries = await deliver(ctx, name, [l.recipient], undo);
    return { id: undo.id.href, like: l.id, deliveries };
  },

  "POST /control/block": async (ctx, body) => {
    const name = needActor(body.actor);
    const target = await lookupActor(ctx, name, needUrl(body, "target").href);
    const block = new Block({ id: newActivityId(name), actor: ctx.getActorUri(name), object: target.id, to: target.id });
    blocks.set(`${name} ${target.id.href}`, { id: block.id.href, target: target.id.href, recipient: toRecipient(target) });
    // Blocking also drops the blocked actor as a follower, as Mastodon does.
    const removedFollower = followers.get(name).delete(target.id.href);
    const deliveries = await deliver(ctx, name, [toRecipient(target)], block);
    return { id: block.id.href, removedFollower, deliveries };
  },

  "POST /control/unblock": async (ctx, body) => {
    const name = needActor(body.actor);
    const target = needUrl(body, "target").href;
    const b = blocks.get(`${name} ${target}`);
    if (b == null) throw new HttpError(404, `${name} has not blocked ${target}`);
    const actorUri = ctx.getActorUri(name);
    const undo = new Undo({
      id: newActivityId(name),
      actor: actorUri,
      object: new Block({ id: new URL(b.id), actor: actorUri, object: new URL(b.target) }),
      to: new URL(b.target),
    });
    blocks.delete(`${name} ${target}`);
    const deliveries = await deliver(ctx, name, [b.recipient], undo);
    return { id: undo.id.href, block: b.id, deliveries };
  },

  // Fetches a URL as ActivityPub, optionally signed by a local actor.  Done
  // by hand with Fedify's signRequest because Fedify's document loaders throw
  // on non-2xx, and tests need 401/404 reported as they are.  Without "spec"
  // it knocks like Fedify: RFC 9421 first, then draft-cavage on any >= 400.
  "POST /control/fetch": async (ctx, body) => {
    const url = needUrl(body, "url");
    const accept = typeof body.accept === "string" ? body.accept : "application/activity+json";
    const attempts = [];
    let response;
    if (body.actor == null) {
      response = await fetch(new Request(url, { headers: { Accept: accept }, redirect: "manual" }));
      attempts.push({ scheme: "none", status: response.status });
    } else {
      const name = needActor(body.actor);
      let specs = ["rfc9421", "draft-cavage-http-signatures-12"];
      if (body.spec != null) {
        if (!(body.spec in SPEC_NAMES)) throw new HttpError(400, `"spec" must be rfc9421 or draft-cavage`);
        specs = [SPEC_NAMES[body.spec]];
      }
      const pair = (await ctx.getActorKeyPairs(name)).find(
        (k) => k.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5",
      );
      for (const [i, spec] of specs.entries()) {
        const signed = await signRequest(
          new Request(url, { headers: { Accept: accept }, redirect: "manual" }),
          pair.privateKey,
          pair.keyId,
          { spec },
        );
        response = await fetch(signed);
        attempts.push({ scheme: spec === "rfc9421" ? "rfc9421" : "draft-cavage", status: response.status });
        if (response.status < 400 || i === specs.length - 1) break;
        await response.body?.cancel();
      }
    }
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: report the status and a bit of the text.
    }
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      location: response.headers.get("location"),
      body: json,
      ...(json == null ? { text: text.slice(0, 2000) } : {}),
      attempts,
    };
  },

  "POST /control/lookup": async (ctx, body) => {
    const handle = needString(body, "handle");
    const options = {};
    if (body.actor != null) {
      options.documentLoader = await ctx.getDocumentLoader({ identifier: needActor(body.actor) });
    }
    let object;
    try {
      object = await ctx.lookupObject(handle, options);
    } catch (error) {
      throw new HttpError(502, `lookup of ${handle} failed: ${error?.message ?? error}`);
    }
    if (object == null) throw new HttpError(404, `lookup of ${handle} found nothing`);
    const json = await object.toJsonLd({ contextLoader: ctx.contextLoader });
    return { id: object.id?.href ?? null, type: json.type ?? null, object: json };
  },

  "GET /control/received": (_ctx, _body, query) => {
    const actor = query.get("actor");
    const type = query.get("type");
    const id = query.get("id");
    return received.filter(
      (r) =>
        (actor == null || r.recipient === actor || r.actors.includes(actor)) &&
        (type == null || r.type === type || r.rawType === type) &&
        (id == null || r.id === id),
    );
  },

  "GET /control/inbox-log": () => inboxLog,

  // The actor's Ed25519 private key (PKCS#8 PEM) and the Multikey id its actor document
  // publishes it under. Fedify signs HTTP requests with RSA only; this lets a test sign an
  // RFC 9421 request with the Ed25519 key that Fedify publishes.
  "GET /control/ed25519-key": async (ctx, _body, query) => {
    const name = needActor(query.get("actor"));
    const pair = (await ctx.getActorKeyPairs(name)).find((k) => k.privateKey.algorithm.name === "Ed25519");
    const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    const b64 = der.toString("base64").replace(/.{1,64}/g, "$&\n");
    return { keyId: pair.multikey.id.href, privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${b64}-----END PRIVATE KEY-----\n` };
  },

  "GET /control/deliveries": (_ctx, _body, query) => {
    const method = query.get("method")?.toUpperCase();
    const url = query.get("url");
    const activityId = query.get("activityId");
    return outgoing.filter(
      (o) =>
        (method == null || o.method === method) &&
        (url == null || o.url === url) &&
        (activityId == null || o.activityId === activityId),
    );
  },

  "GET /control/followers": (_ctx, _body, query) => [...followers.get(needActor(query.get("actor"))).keys()],

  "GET /control/following": (_ctx, _body, query) => acceptedFollowing(needActor(query.get("actor"))),

  "GET /control/follows": (_ctx, _body, query) => {
    const name = needActor(query.get("actor"));
    return [...follows.values()]
      .filter((f) => f.actor === name)
      .map((f) => ({ ...f, recipient: recipientJson(f.recipient) }));
  },

  // Which signature scheme Fedify remembers per origin after double-knocking.
  "GET /control/specs": async () => {
    const result = {};
    for await (const { key, value } of kv.list(["_fedify", "httpMessageSignaturesSpec"])) {
      result[key.slice(2).join("/")] = value;
    }
    return result;
  },

  // Fedify caches remote documents and keys (5 minutes) and the remembered
  // signature scheme per origin; tests that change those on the other side
  // can drop the caches here.
  "POST /control/clear-cache": async () => {
    let cleared = 0;
    for (const prefix of ["remoteDocument", "publicKey", "httpMessageSignaturesSpec"]) {
      const keys = [];
      for await (const { key } of kv.list(["_fedify", prefix])) keys.push(key);
      for (const key of keys) await kv.delete(key);
      cleared += keys.length;
    }
    return { cleared };
  },
};

// ---------------------------------------------------------------------------
// HTTP bridge between node:http and Fedify's fetch-style handler
// ---------------------------------------------------------------------------

const INBOX_PATH = /^\/(?:inbox|users\/[^/]+\/inbox)$/;
const NOTE_PATH = /^\/users\/([^/]+)\/notes\/([^/]+)$/;
const MAX_BODY = 10 * 1024 * 1024;

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, "body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(body);
}

async function writeResponse(res, response, head) {
  const headers = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const body = head ? null : Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
}

async function handleControl(req, url, body) {
  const route = control[`${req.method} ${url.pathname}`];
  if (route == null) throw new HttpError(404, `no control route ${req.method} ${url.pathname}`);
  let json = {};
  if (body != null && body.length > 0) {
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpError(400, "body must be JSON");
    }
  }
  const ctx = federation.createContext(new URL(origin), undefined);
  return await route(ctx, json, url.searchParams);
}

requestHandler = async (req, res) => {
  const url = new URL(req.url, `${scheme}://${req.headers.host ?? `localhost:${port}`}`);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  let body;
  try {
    body = hasBody ? await readBody(req) : undefined;
  } catch (error) {
    sendJson(res, error.status ?? 400, { error: error.message });
    return;
  }

  if (url.pathname.startsWith("/control/")) {
    try {
      sendJson(res, 200, await handleControl(req, url, body));
    } catch (error) {
      if (!(error instanceof HttpError)) log.error("Control {path} failed: {error}", { path: url.pathname, error });
      sendJson(res, error instanceof HttpError ? error.status : 500, {
        error: String(error?.message ?? error),
      });
    }
    return;
  }

  // Deleted notes answer 410 Gone with a Tombstone, like most servers.
  const noteMatch = req.method === "GET" ? NOTE_PATH.exec(url.pathname) : null;
  const deleted = noteMatch && notes.get(`${noteMatch[1]}/${noteMatch[2]}`);
  if (deleted?.deleted) {
    const tombstone = new Tombstone({ id: deleted.id, formerType: Note, deleted: deleted.deletedAt });
    res.writeHead(410, { "Content-Type": "application/activity+json" });
    const { contextLoader } = federation.createContext(new URL(origin), undefined);
    res.end(JSON.stringify(await tombstone.toJsonLd({ contextLoader })));
    return;
  }

  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const request = new Request(url, { method: req.method, headers, body });

  if (req.method === "POST" && INBOX_PATH.test(url.pathname)) {
    let json = null;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      // Fedify will answer 400; the log entry just has no activity fields.
    }
    const signature = describeSignature(headers);
    const entry = {
      seq: ++inboxSeq,
      at: now(),
      path: url.pathname,
      signature,
      ldSignature: json?.signature != null,
      proof: json?.proof != null,
      activityId: json?.id ?? null,
      activityType: json?.type ?? null,
      actor: typeof json?.actor === "string" ? json.actor : json?.actor?.id ?? null,
      status: null,
      response: null,
      recorded: null,
      unverified: null,
      error: null,
    };
    inboxLog.push(entry);
    const store = { entry, json, signature, path: url.pathname, after: [] };
    let response;
    try {
      response = await inboundStore.run(store, () =>
        federation.fetch(request, { contextData: undefined }),
      );
    } catch (error) {
      // Fedify throws (rather than answering) on some failures, e.g. an
      // @context URL it cannot load; answer 500 as its framework adapters do.
      log.error("Inbox {path} failed: {error}", { path: url.pathname, error });
      entry.error = String(error?.message ?? error);
      response = new Response(`Internal server error: ${entry.error}`, {
        status: 500,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      });
    }
    entry.status = response.status;
    if (response.status >= 400) entry.response = (await response.clone().text()).slice(0, 500);
    if (response.status >= 400) {
      log.warn("Inbox {path} answered {status} to {activityType} {activityId}: {response}", entry);
    }
    await writeResponse(res, response, false);
    for (const task of store.after) setImmediate(task);
    return;
  }

  const response = await federation.fetch(request, { contextData: undefined });
  await writeResponse(res, response, req.method === "HEAD");
};

// ---------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------

function shutdown(signal) {
  log.info("Shutting down ({signal})", { signal });
  for (const s of servers) s.close();
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
if (opts.dieWithStdin) {
  // Lets a test harness that dies without killing us take us down with it.
  process.stdin.on("end", () => shutdown("stdin closed"));
  process.stdin.on("error", () => shutdown("stdin error"));
  process.stdin.resume();
}

log.info("Fedify peer at {origin} with actors {actors}", { origin, actors: actorNames.join(",") });
process.stdout.write(`READY ${origin}\n`);
