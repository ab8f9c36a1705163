// Talking to the mlqd API: every request carries the token (when the server wants one),
// errors become ApiError with the API's stable code, and Server-Sent Events are read with
// fetch streaming (EventSource cannot send an Authorization header, and the token must
// never travel in a URL).

const TOKEN_KEY = 'mlqd.token';
const root = document.documentElement;

export const config = {
  // the server says so in the page, so nothing is asked of /v1 before the token
  auth: root.dataset.auth === 'token',
  readOnly: root.dataset.readOnly === 'true',
};

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t) {
  sessionStorage.setItem(TOKEN_KEY, t);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let unauthorized = () => {};
/** What to do when the server refuses the token (401). */
export function onUnauthorized(f) {
  unauthorized = f;
}

function headers(extra = {}) {
  const h = new Headers(extra);
  const t = token();
  if (t) h.set('Authorization', `Bearer ${t}`);
  return h;
}

async function failure(res) {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

/**
 * A request to the API. `body` is sent as JSON; `raw` returns the Response itself (for
 * bytes), else the parsed JSON. Throws ApiError for an error answer.
 */
export async function api(path, { method = 'GET', body, signal, raw = false, quiet401 = false } = {}) {
  const init = { method, signal, cache: 'no-store', headers: headers() };
  if (body !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && !quiet401) unauthorized(err);
    throw err;
  }
  return raw ? res : res.json();
}

/** URL-safe path segment. */
export function seg(s) {
  return encodeURIComponent(s);
}

/**
 * Reads a Server-Sent Events stream, calling onEvent({event, data, id}) for each event,
 * until the server ends it (resolves) or `signal` aborts it. `lastEventId` resumes a
 * stream that supports it.
 */
export async function sse(path, onEvent, { signal, lastEventId } = {}) {
  const h = headers({ Accept: 'text/event-stream' });
  if (lastEventId) h.set('Last-Event-ID', lastEventId);
  const res = await fetch(path, { headers: h, signal, cache: 'no-store' });
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401) unauthorized(err);
    throw err;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let ev = { event: 'message', data: [], id: lastEventId || null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (ev.data.length) onEvent({ event: ev.event, data: ev.data.join('\n'), id: ev.id });
        ev = { event: 'message', data: [], id: ev.id };
        continue;
      }
      if (line.startsWith(':')) continue; // keep-alive comment
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let val = c < 0 ? '' : line.slice(c + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'event') ev.event = val;
      else if (field === 'data') ev.data.push(val);
      else if (field === 'id') ev.id = val;
    }
  }
}
