// The UI's only way to the agent: same-origin fetch() calls to the public
// /v1 API. The token goes in the X-Appmesh-Token header (never in a URL),
// and every write sends a JSON body with Content-Type: application/json,
// which is what the agent's browser guard accepts from its own origin.
import { getToken } from "./auth.js";

export class APIError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body; // the decoded error answer, when it was JSON
  }
}

function headers(hasBody) {
  const hd = { Accept: "application/json" };
  const t = getToken();
  if (t) hd["X-Appmesh-Token"] = t;
  if (hasBody) hd["Content-Type"] = "application/json";
  return hd;
}

async function failure(resp) {
  let msg = resp.statusText;
  let body = null;
  try {
    body = await resp.json();
    if (body && body.error) msg = body.error;
  } catch (_) { /* not JSON: keep the status text */ }
  if (resp.status === 403) {
    msg = "Your token is not allowed to do this. The agent said: " + msg;
  }
  return new APIError(resp.status, msg, body);
}

// call sends one request and returns {data, index}.
export async function call(method, path, body, signal) {
  const hasBody = body !== undefined;
  const resp = await fetch(path, {
    method, signal, headers: headers(hasBody), credentials: "omit",
    body: hasBody ? JSON.stringify(body) : undefined,
  });
  if (!resp.ok) throw await failure(resp);
  const index = Number(resp.headers.get("X-Appmesh-Index") || 0);
  const text = await resp.text();
  return { data: text ? JSON.parse(text) : null, index, text };
}

export const get = (path, signal) => call("GET", path, undefined, signal).then((r) => r.data);

// watch calls fn with the answer of path every time it changes, using
// blocking queries (?index=N&wait=): the agent holds the request until
// something changes, so a page updates at once without polling. It stops
// when signal aborts; errors go to onError and are retried with backoff.
export async function watch(path, signal, fn, onError) {
  let index = 0;
  let lastText = null;
  let backoff = 1000;
  while (!signal.aborted) {
    const u = new URL(path, location.origin);
    if (index > 0) {
      u.searchParams.set("index", String(index));
      u.searchParams.set("wait", "5m");
    }
    try {
      const r = await call("GET", u.pathname + u.search, undefined, signal);
      backoff = 1000;
      // An index that goes backwards (a new leader, a restore) restarts.
      // An answer equal to the last one (the index moved for something
      // else in the same table) redraws nothing, which keeps the focus
      // and a button the user is about to click in place.
      const changed = (r.index !== index || index === 0) && r.text !== lastText;
      index = r.index > index ? r.index : 0;
      lastText = r.text;
      if (changed) await fn(r.data);
      if (!r.index) await sleep(5000, signal); // an endpoint without an index
    } catch (err) {
      if (signal.aborted) return;
      if (onError) onError(err);
      if (err instanceof APIError && (err.status === 403 || err.status === 404)) return;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 30000);
    }
  }
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

// streamText reads a plain-text streaming response (logs) and calls onChunk
// with each decoded piece until the stream ends or signal aborts.
export async function streamText(path, signal, onChunk) {
  const resp = await fetch(path, { headers: headers(false), signal, credentials: "omit" });
  if (!resp.ok) throw await failure(resp);
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    onChunk(dec.decode(value, { stream: true }));
  }
}

export function enc(s) {
  return encodeURIComponent(s);
}
