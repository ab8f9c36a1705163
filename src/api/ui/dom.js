// Small DOM helpers: element building (no innerHTML of data, ever), relative times,
// state badges, progress bars, tables, two-step buttons, and polling tied to a page.

/**
 * h('a', {href, class, text, onclick, dataset}, ...children). Children may be strings,
 * nodes, arrays or null.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) add(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces el's children. */
export function fill(el, ...children) {
  clear(el);
  add(el, children);
  return el;
}

// ---- time ------------------------------------------------------------------------

// server clock minus browser clock, from the last overview (so "3 s ago" uses Redis time)
let skew = 0;
export function setServerNow(iso) {
  const t = Date.parse(iso);
  if (!Number.isNaN(t)) skew = t - Date.now();
}

function now() {
  return Date.now() + skew;
}

export function ago(ms) {
  const d = Math.round((now() - ms) / 1000);
  const a = Math.abs(d);
  if (a < 2) return 'just now';
  let s;
  if (a < 60) s = `${a} s`;
  else if (a < 3600) s = `${Math.floor(a / 60)} min`;
  else if (a < 86400) s = `${Math.floor(a / 3600)} h ${Math.floor((a % 3600) / 60)} min`;
  else s = `${Math.floor(a / 86400)} d`;
  return d >= 0 ? `${s} ago` : `in ${s}`;
}

/** A <time> that says "3 s ago" and keeps saying it right; the instant is its title. */
export function rel(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return h('span', { text: iso });
  const abs = new Date(ms).toLocaleString(undefined, { hour12: false }) + ` (${iso})`;
  return h('time', { datetime: iso, title: abs, dataset: { ts: String(ms) }, text: ago(ms) });
}

export function tickTimes() {
  for (const t of document.querySelectorAll('time[data-ts]')) {
    const s = ago(Number(t.dataset.ts));
    if (t.textContent !== s) t.textContent = s;
  }
}

/** "1.2 s", "3 min 4 s" between two instants. */
export function duration(fromIso, toIso) {
  const a = Date.parse(fromIso);
  const b = toIso ? Date.parse(toIso) : now();
  if (Number.isNaN(a) || Number.isNaN(b)) return '—';
  const ms = Math.max(0, b - a);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// ---- numbers ---------------------------------------------------------------------

export function num(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function rate(perSecond) {
  if (perSecond === null || perSecond === undefined) return '—';
  if (perSecond === 0) return '0/s';
  if (perSecond < 0.1) return `${(perSecond * 60).toFixed(1)}/min`;
  return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s`;
}

// ---- pieces ----------------------------------------------------------------------

export const STATES = ['scheduled', 'pending', 'active', 'retry', 'dead', 'succeeded', 'cancelled'];

export function badge(state, text) {
  return h('span', { class: `badge st-${state}`, dataset: { state } }, text || state);
}

export function progressBar(progress) {
  const pct = Math.max(0, Math.min(100, Number(progress?.percent) || 0));
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${pct}%`;
  return h(
    'div',
    { class: 'progress' },
    h('div', {
      class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100,
      'aria-valuenow': pct, 'aria-label': 'Progress', dataset: { percent: String(pct) },
    }, fill),
    h('span', { class: 'pct', text: `${pct}%` }),
    progress?.message ? h('span', { class: 'msg', text: progress.message }) : null,
  );
}

/**
 * A table: columns [{label, class, cell(row) -> node|string}], optional row(row) -> attrs.
 * Wrapped so it scrolls sideways on a narrow screen.
 */
export function table(columns, rows, { rowAttrs, empty = 'Nothing here.', caption } = {}) {
  if (!rows.length) return h('p', { class: 'empty', text: empty });
  return h('div', { class: 'scroll' }, h('table', {},
    caption ? h('caption', { class: 'sr-only', text: caption }) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class, scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {},
      columns.map((c) => h('td', { class: c.class, dataset: c.key ? { col: c.key } : undefined }, c.cell(r)))))),
  ));
}

/**
 * An action button. With `confirm`, the first press arms it ("Really …?") and only a
 * second press within 5 s acts; leaving it disarms it. While the action runs it is
 * disabled; a failure is shown next to it.
 */
export function actionButton(label, action, { confirm, danger = false, name } = {}) {
  const b = h('button', {
    type: 'button', class: `btn${danger ? ' danger' : ''}`, dataset: { action: name || label },
  }, label);
  let armed = false;
  let timer = null;
  const disarm = () => {
    armed = false;
    clearTimeout(timer);
    b.textContent = label;
    b.classList.remove('armed');
  };
  b.addEventListener('blur', () => armed && disarm());
  b.addEventListener('click', async () => {
    if (confirm && !armed) {
      armed = true;
      b.textContent = confirm;
      b.classList.add('armed');
      timer = setTimeout(disarm, 5000);
      return;
    }
    disarm();
    b.disabled = true;
    try {
      await action();
    } catch (e) {
      toast(`${label} failed: ${e.message}`, 'error');
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

let toastBox = null;
/** A short message in the corner, read out by screen readers. */
export function toast(text, kind = 'info') {
  if (!toastBox) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastBox);
  }
  const t = h('div', { class: `toast ${kind}`, text });
  toastBox.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/**
 * Runs `f` now and then every `ms` (after the previous run ended) until `signal` aborts.
 * Skips runs while the tab is hidden. Errors go to `onError`.
 */
export function every(ms, f, signal, onError = () => {}) {
  let timer = null;
  const run = async () => {
    if (signal.aborted) return;
    if (!document.hidden) {
      try {
        await f();
      } catch (e) {
        if (!signal.aborted && e.name !== 'AbortError') onError(e);
      }
    }
    if (!signal.aborted) timer = setTimeout(run, ms);
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  run();
}

export function section(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', { text: title }) : null, ...children);
}

export function link(href, text, cls) {
  return h('a', { href, class: cls, text });
}

export function jobLink(id) {
  return h('a', { href: `#/jobs/${encodeURIComponent(id)}`, class: 'mono', title: id, text: shortId(id) });
}

/** QUEUE.ULID → the ULID's last 10 characters, enough to tell jobs apart on screen. */
export function shortId(id) {
  const dot = id.lastIndexOf('.');
  const ulid = dot >= 0 ? id.slice(dot + 1) : id;
  return ulid.length > 12 ? `…${ulid.slice(-10)}` : ulid;
}
