// Fedify peer for Agora's interop test lane.
//
// One Person actor ("alice") served by Fedify on a loopback port, plus a JSON
// control API under /_control/ that the pytest interop tests drive.
//
//   PEER_PORT   port to listen on (default 8790); binds 127.0.0.1 only
//   PEER_LOG_LEVEL  logtape level for the ["fedify"] category (default "info")
//
// Everything is kept in memory; restart the process to reset it.

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Create,
  Endpoints,
  Follow,
  isActor,
  Join,
  Like,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Question,
  Undo,
} from "@fedify/vocab";
import { configure, getConsoleSink } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";

const PORT = Number.parseInt(process.env.PEER_PORT ?? "8790", 10);
const HOST = "127.0.0.1";
const ORIGIN = `http://${HOST}:${PORT}`;
const ACTOR = "alice";
const LOG_LEVEL = process.env.PEER_LOG_LEVEL ?? "info";
const SPEC_PREFIX = ["_fedify", "httpMessageSignaturesSpec"];

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { console: getConsoleSink() },
  loggers: [
    { category: ["fedify"], lowestLevel: LOG_LEVEL, sinks: ["console"] },
    // Double-knock decisions are logged at debug level in this category.
    { category: ["fedify", "sig", "http"], lowestLevel: "debug", sinks: ["console"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
  ],
});

function log(event, data) {
  console.log(`[peer] ${event} ${JSON.stringify(data)}`);
}

// ---------------------------------------------------------------- state ---

const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const received = []; // activities that reached an inbox listener (verified)
const rejected = []; // activities Fedify refused to verify
const knocks = []; // outgoing signed HTTP requests: scheme + status
const inboxRequests = []; // incoming POSTs to inboxes: scheme + status
const notes = new Map(); // id -> Note authored by alice
const following = new Map(); // actor id -> { followId, state }
const followers = new Map(); // actor id -> follow activity id

// Record every outgoing HTTP request Fedify makes so the tests can see which
// signature scheme each knock used and what the remote answered.
const originalFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const isReq = input instanceof Request;
  const method = (init?.method ?? (isReq ? input.method : "GET")).toUpperCase();
  const url = isReq ? input.url : String(input);
  const headers = new Headers(init?.headers ?? (isReq ? input.headers : undefined));
  const scheme = headers.has("signature-input")
    ? "rfc9421"
    : headers.has("signature")
    ? "draft-cavage"
    : "unsigned";
  const entry = { at: new Date().toISOString(), method, url, scheme, status: null };
  try {
    const response = await originalFetch(input, init);
    entry.status = response.status;
    return response;
  } catch (error) {
    entry.status = `error: ${error?.message ?? error}`;
    throw error;
  } finally {
    if (scheme !== "unsigned" || method !== "GET") {
      knocks.push(entry);
      log("knock", entry);
    }
  }
};

// ----------------------------------------------------------- federation ---

const federation = createFederation({
  kv: new MemoryKvStore(),
  // No queue: outgoing activities are sent immediately, so the control API can
  // report delivery errors synchronously to the tests.
  origin: ORIGIN,
  allowPrivateAddress: true,
  circuitBreaker: false,
  userAgent: { software: "agora-interop-fedify-peer/0.0.0" },
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ACTOR) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify interop peer)",
      summary: "Test actor of Agora's interop lane.",
      url: new URL(`/users/${identifier}`, ORIGIN),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0]?.cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .mapHandle((_ctx, username) => (username === ACTOR ? ACTOR : null))
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (identifier !== ACTOR) return [];
    return [keyPair];
  });

federation.setObjectDispatcher(
  Note,
  "/users/{identifier}/notes/{id}",
  (ctx, values) => {
    if (values.identifier !== ACTOR) return null;
    return notes.get(ctx.getObjectUri(Note, values).href) ?? null;
  },
);

function langString(v) {
  return v == null ? null : String(v);
}

function typeName(obj) {
  return obj?.constructor?.typeId?.href?.split("#").pop() ?? obj?.constructor?.name ?? null;
}

// A received poll as the tests read it: its kind (oneOf = one choice, anyOf = several), each option's
// name and count (`replies.totalItems`), votersCount, endTime and closed (FEP-9967, as Mastodon).
async function pollOf(question) {
  const options = [];
  const kinds = [["oneOf", "getExclusiveOptions"], ["anyOf", "getInclusiveOptions"]];
  for (const [kind, getter] of kinds) {
    for await (const option of question[getter]({ suppressError: true })) {
      let replies = null;
      try {
        replies = await option.getReplies({ suppressError: true });
      } catch {
        replies = null;
      }
      options.push({ kind, name: langString(option.name), count: replies?.totalItems ?? null });
    }
  }
  const closed = question.closed;
  return {
    multiple: options.length > 0 && options.every((o) => o.kind === "anyOf"),
    options,
    votersCount: question.voters ?? null,
    endTime: question.endTime?.toString() ?? null,
    closed: closed == null ? null : String(closed),
  };
}

async function describe(ctx, activity) {
  const raw = await activity.toJsonLd({ format: "compact" });
  // Only look at an embedded object: never dereference (ours would 404 for
  // follows, and a deleted remote note answers 410).
  let object = null;
  if (raw && typeof raw.object === "object" && raw.object !== null) {
    try {
      object = await activity.getObject({ suppressError: true });
    } catch {
      object = null;
    }
  }
  const objectId = activity.objectId?.href ?? object?.id?.href ?? null;
  const entry = {
    at: new Date().toISOString(),
    type: typeName(activity),
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    recipient: ctx.recipient ?? null,
    objectId,
    objectType: object ? typeName(object) : null,
    content: object && "content" in object ? langString(object.content) : null,
    inReplyTo: object?.replyTargetId?.href ?? null,
    verified: true, // inbox listeners only run after Fedify verified the request
    raw,
  };
  if (object instanceof Question) {
    try {
      entry.poll = await pollOf(object);
    } catch (error) {
      entry.poll = { error: String(error?.message ?? error) };
    }
  }
  if (entry.type === "Accept" || entry.type === "Reject" || entry.type === "Undo") {
    entry.innerType = object ? typeName(object) : null;
    entry.innerObject = object?.objectId?.href ?? null;
    if (entry.innerType == null && objectId != null) {
      for (const f of following.values()) {
        if (f.followId === objectId) entry.innerType = "Follow";
      }
    }
    // Fedify refetches an embedded object from its own origin (ours: this peer does not serve its
    // Joins), so read what the signed Accept/Reject actually embedded.
    if (entry.innerType == null && raw && typeof raw.object === "object" && raw.object !== null) {
      entry.innerType = typeof raw.object.type === "string" ? raw.object.type : null;
      const inner = raw.object.object;
      entry.innerObject = typeof inner === "string" ? inner : inner?.id ?? null;
    }
  }
  return entry;
}

async function record(ctx, activity) {
  const entry = await describe(ctx, activity);
  received.push(entry);
  const { raw: _raw, ...short } = entry;
  log("received", short);
  return entry;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(ACTOR).href) return;
    const follower = await follow.getActor();
    if (!isActor(follower) || follower.id == null) return;
    followers.set(follower.id.href, follow.id?.href ?? null);
    await ctx.sendActivity(
      { identifier: ACTOR },
      follower,
      new Accept({
        id: new URL(`/users/${ACTOR}/accepts/${randomUUID()}`, ORIGIN),
        actor: ctx.getActorUri(ACTOR),
        object: follow,
      }),
    );
  })
  .on(Accept, async (ctx, accept) => {
    const entry = await record(ctx, accept);
    const actor = entry.actor;
    if (actor && following.has(actor)) {
      following.get(actor).state = "accepted";
      log("following", { actor, state: "accepted" });
    }
  })
  .on(Undo, async (ctx, undo) => {
    const entry = await record(ctx, undo);
    if (entry.innerType === "Follow" && entry.actor) followers.delete(entry.actor);
  })
  .on(Activity, async (ctx, activity) => {
    await record(ctx, activity);
  })
  .onUnverifiedActivity(async (_ctx, activity, reason) => {
    const entry = {
      at: new Date().toISOString(),
      type: activity.constructor.name,
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      reason: reason?.type ?? String(reason),
      verified: false,
    };
    rejected.push(entry);
    log("rejected", entry);
    // returning nothing: Fedify answers 401
  })
  .onError((_ctx, error) => {
    log("inbox-error", { error: String(error?.stack ?? error) });
  });

// ---------------------------------------------------------- control API ---

function ctxFor() {
  return federation.createContext(new URL(ORIGIN), undefined);
}

async function lookup(ctx, url) {
  const obj = await ctx.lookupObject(url);
  if (obj == null) throw new HttpError(404, `lookupObject(${url}) returned null`);
  return obj;
}

async function lookupActor(ctx, url) {
  const obj = await lookup(ctx, url);
  if (!isActor(obj)) throw new HttpError(400, `${url} is not an actor`);
  return obj;
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function json(status, body) {
  return new Response(JSON.stringify(body, null, 2), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function newId(kind) {
  return new URL(`/users/${ACTOR}/${kind}/${randomUUID()}`, ORIGIN);
}

async function authorOf(ctx, obj) {
  const attribution = obj.attributionId ?? (await obj.getAttribution?.())?.id;
  if (attribution == null) throw new HttpError(400, "object has no attributedTo");
  return await lookupActor(ctx, attribution.href);
}

async function send(ctx, recipient, activity) {
  await ctx.sendActivity({ identifier: ACTOR }, recipient, activity);
  const origin = new URL(recipient.inboxId?.href ?? recipient.id.href).origin;
  const spec = await federation.kv.get([...SPEC_PREFIX, origin]);
  return { id: activity.id.href, inbox: recipient.inboxId?.href ?? null, spec: spec ?? null };
}

const routes = {
  "GET /_control/health": async () => json(200, { ok: true, actor: `${ORIGIN}/users/${ACTOR}` }),

  "GET /_control/received": async (_ctx, url) => {
    const type = url.searchParams.get("type");
    return json(200, type ? received.filter((r) => r.type === type) : received);
  },

  "GET /_control/rejected": async () => json(200, rejected),

  "GET /_control/knocks": async () => json(200, { outgoing: knocks, incoming: inboxRequests }),

  "GET /_control/following": async () => json(200, Object.fromEntries(following)),

  "GET /_control/followers": async () => json(200, Object.fromEntries(followers)),

  "GET /_control/spec": async (_ctx, url) => {
    const origin = url.searchParams.get("origin");
    if (!origin) throw new HttpError(400, "origin required");
    return json(200, { origin, spec: (await federation.kv.get([...SPEC_PREFIX, origin])) ?? null });
  },

  // Pin the signature scheme Fedify uses for an origin (e.g. for peers that
  // only check signatures asynchronously and so never trigger the fallback).
  "POST /_control/spec": async (_ctx, _url, body) => {
    if (!body.origin || !body.spec) throw new HttpError(400, "origin and spec required");
    await federation.kv.set([...SPEC_PREFIX, new URL(body.origin).origin], body.spec);
    return json(200, { ok: true });
  },

  "GET /_control/lookup": async (ctx, url) => {
    const target = url.searchParams.get("url");
    if (!target) throw new HttpError(400, "url required");
    const obj = await lookup(ctx, target);
    return json(200, await obj.toJsonLd({ format: "compact" }));
  },

  "POST /_control/follow": async (ctx, _url, body) => {
    if (!body.target) throw new HttpError(400, "target required");
    const target = await lookupActor(ctx, body.target);
    const follow = new Follow({
      id: newId("follows"),
      actor: ctx.getActorUri(ACTOR),
      object: target.id,
      to: target.id,
    });
    following.set(target.id.href, { followId: follow.id.href, state: "pending" });
    return json(202, await send(ctx, target, follow));
  },

  "POST /_control/unfollow": async (ctx, _url, body) => {
    const target = await lookupActor(ctx, body.target);
    const state = following.get(target.id.href);
    if (!state) throw new HttpError(404, "not following");
    const undo = new Undo({
      id: newId("undos"),
      actor: ctx.getActorUri(ACTOR),
      object: new Follow({
        id: new URL(state.followId),
        actor: ctx.getActorUri(ACTOR),
        object: target.id,
      }),
      to: target.id,
    });
    following.delete(target.id.href);
    return json(202, await send(ctx, target, undo));
  },

  "POST /_control/reply": async (ctx, _url, body) => {
    if (!body.inReplyTo || !body.content || !body.mention) {
      throw new HttpError(400, "inReplyTo, content and mention required");
    }
    const mentioned = await lookupActor(ctx, body.mention);
    const host = new URL(mentioned.id.href).host;
    const noteId = ctx.getObjectUri(Note, { identifier: ACTOR, id: randomUUID() });
    const published = Temporal.Now.instant();
    const note = new Note({
      id: noteId,
      attribution: ctx.getActorUri(ACTOR),
      content: body.content,
      replyTarget: new URL(body.inReplyTo),
      tags: [
        new Mention({
          href: mentioned.id,
          name: `@${mentioned.preferredUsername}@${host}`,
        }),
      ],
      tos: body.direct ? [mentioned.id] : [PUBLIC_COLLECTION, mentioned.id], // direct: a private answer
      url: noteId,
      published,
    });
    notes.set(noteId.href, note);
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: ctx.getActorUri(ACTOR),
      object: note,
      tos: body.direct ? [mentioned.id] : [PUBLIC_COLLECTION, mentioned.id],
      published,
    });
    const result = await send(ctx, mentioned, create);
    return json(202, { ...result, note: noteId.href });
  },

  "POST /_control/like": async (ctx, _url, body) => {
    if (!body.object) throw new HttpError(400, "object required");
    const obj = await lookup(ctx, body.object);
    const recipient = body.target
      ? await lookupActor(ctx, body.target)
      : await authorOf(ctx, obj);
    const like = new Like({
      id: newId("likes"),
      actor: ctx.getActorUri(ACTOR),
      object: obj.id,
      to: recipient.id,
    });
    return json(202, await send(ctx, recipient, like));
  },

  // Vote in a poll (a Question) the way Mastodon does: one Create{Note} per choice, the Note with
  // `name` = the option, `inReplyTo` = the question, no content, addressed to the poll's author only.
  "POST /_control/vote": async (ctx, _url, body) => {
    const choices = Array.isArray(body.choices) ? body.choices : body.choice ? [body.choice] : [];
    if (!body.question || choices.length === 0) throw new HttpError(400, "question and choice(s) required");
    const question = await lookup(ctx, body.question);
    if (!(question instanceof Question)) throw new HttpError(400, `${body.question} is not a Question`);
    const author = await authorOf(ctx, question);
    const votes = [];
    for (const choice of choices) {
      const noteId = ctx.getObjectUri(Note, { identifier: ACTOR, id: randomUUID() });
      const note = new Note({
        id: noteId,
        attribution: ctx.getActorUri(ACTOR),
        name: String(choice),
        replyTarget: question.id,
        to: author.id,
        published: Temporal.Now.instant(),
      });
      notes.set(noteId.href, note);
      const create = new Create({
        id: new URL(`${noteId.href}/activity`),
        actor: ctx.getActorUri(ACTOR),
        object: note,
        to: author.id,
      });
      votes.push({ ...(await send(ctx, author, create)), note: noteId.href, choice: String(choice) });
    }
    return json(202, { question: question.id.href, poll: await pollOf(question), votes });
  },

  "POST /_control/join": async (ctx, _url, body) => {
    if (!body.object) throw new HttpError(400, "object required");
    const obj = await lookup(ctx, body.object);
    const recipient = body.target
      ? await lookupActor(ctx, body.target)
      : await authorOf(ctx, obj);
    const join = new Join({
      id: newId("joins"),
      actor: ctx.getActorUri(ACTOR),
      object: obj.id,
      to: recipient.id,
    });
    return json(202, await send(ctx, recipient, join));
  },
};

async function handleControl(request) {
  const url = new URL(request.url);
  const handler = routes[`${request.method} ${url.pathname}`];
  if (!handler) return json(404, { error: `no route ${request.method} ${url.pathname}` });
  let body = {};
  if (request.method === "POST") {
    const text = await request.text();
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return json(400, { error: "body is not JSON" });
    }
  }
  try {
    return await handler(ctxFor(), url, body);
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 502;
    log("control-error", { route: url.pathname, error: String(error?.stack ?? error) });
    return json(status, { error: String(error?.message ?? error) });
  }
}

// ---------------------------------------------------------- HTTP server ---

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${req.headers.host ?? `${HOST}:${PORT}`}`);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) for (const item of v) headers.append(k, item);
      else if (v != null) headers.set(k, v);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const body = hasBody ? await readBody(req) : undefined;
    const request = new Request(url, { method: req.method, headers, body });

    let response;
    if (url.pathname.startsWith("/_control/")) {
      response = await handleControl(request);
    } else {
      response = await federation.fetch(request, { contextData: undefined });
      if (req.method === "POST" && url.pathname.endsWith("/inbox")) {
        const entry = {
          at: new Date().toISOString(),
          path: url.pathname,
          scheme: headers.has("signature-input")
            ? "rfc9421"
            : headers.has("signature")
            ? "draft-cavage"
            : "unsigned",
          status: response.status,
          userAgent: headers.get("user-agent"),
        };
        inboxRequests.push(entry);
        log("inbox-request", entry);
      }
    }
    const out = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(out);
  } catch (error) {
    log("server-error", { error: String(error?.stack ?? error) });
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("internal error");
  }
});

server.listen(PORT, HOST, () => {
  log("listening", { origin: ORIGIN, actor: `${ORIGIN}/users/${ACTOR}` });
});

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
