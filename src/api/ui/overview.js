// The overview: queues with their counts, rates and limits; throughput of the last minutes;
// workers; the reaper leader; Redis. One request (GET /v1/overview) every 2 s.

import { api } from './api.js';
import { throughputChart } from './chart.js';
import { badge, bytes, every, fill, h, num, rate, rel, section, setServerNow, table } from './dom.js';

const REFRESH_MS = 2000;
// per-queue rates are measured over the last few reads, so one slow read does not jump
const RATE_READS = 6;

export function render(main, _params, { signal, status }) {
  const cards = h('div', { class: 'cards' });
  const chart = h('div', { class: 'chart-box' });
  const queues = h('div');
  const workers = h('div');
  fill(main,
    h('h1', { text: 'Overview' }),
    cards,
    section('Throughput', h('p', { class: 'legend' },
      h('span', { class: 'key ok' }), 'succeeded/s ', h('span', { class: 'key bad' }), 'failed attempts/s'), chart),
    section('Queues', queues),
    section('Workers', workers));
  queues.append(h('p', { class: 'muted', text: 'Loading…' }));

  const history = []; // recent reads: {t, totals by queue}
  every(REFRESH_MS, async () => {
    const o = await api('/v1/overview', { signal });
    setServerNow(o.taken_at);
    history.push({ t: Date.parse(o.taken_at), totals: Object.fromEntries(o.queues.map((q) => [q.queue, q.totals])) });
    if (history.length > RATE_READS) history.shift();
    show(o);
    status.ok();
  }, signal, (e) => status.failed(e));

  function rates(q) {
    const old = history[0];
    const now = history[history.length - 1];
    const prev = old.totals[q.queue];
    const secs = (now.t - old.t) / 1000;
    if (history.length < 2 || !prev || secs <= 0) return { ok: null, failed: null };
    return {
      ok: Math.max(0, q.totals.succeeded - prev.succeeded) / secs,
      failed: Math.max(0, q.totals.failed - prev.failed) / secs,
    };
  }

  function show(o) {
    const sum = (k) => o.queues.reduce((a, q) => a + (q[k] || 0), 0);
    const busy = o.workers.reduce((a, w) => a + w.in_flight, 0);
    const slots = o.workers.reduce((a, w) => a + w.concurrency, 0);
    const mem = o.redis.used_memory;
    const last = o.throughput[o.throughput.length - 1];
    const paused = o.queues.filter((q) => q.paused).length;
    fill(cards,
      card('Queues', num(o.queues.length), paused ? `${num(paused)} paused` : 'none paused', paused ? 'warn' : ''),
      card('Waiting', num(sum('pending') + sum('scheduled') + sum('retry')),
        `${num(sum('pending'))} pending · ${num(sum('scheduled') + sum('retry'))} later`),
      card('Running', num(sum('active')), 'active jobs'),
      card('Dead', num(sum('dead')), 'dead letters', sum('dead') > 0 ? 'warn' : ''),
      card('Throughput', last ? rate(last.succeeded / last.seconds) : '—', 'succeeded, last interval'),
      card('Workers', num(o.workers.length), `${num(busy)} of ${num(slots)} slots busy`),
      card('Reaper leader', o.leader ? o.leader : 'none',
        o.leader ? 'recovers lost jobs, promotes due ones' : 'no reaper runs: lost jobs stay lost',
        o.leader ? 'mono small' : 'warn'),
      card('Redis memory', bytes(mem),
        [o.redis.maxmemory ? `of ${bytes(o.redis.maxmemory)}` : 'no maxmemory',
          o.redis.version ? `Redis ${o.redis.version}` : null].filter(Boolean).join(' · ')));
    fill(chart, o.throughput.length
      ? throughputChart(o.throughput, o.taken_at, chart.clientWidth)
      : h('p', { class: 'muted', text: 'Collecting: throughput shows after a few seconds on this page.' }));

    fill(queues, table([
      { label: 'Queue', cell: (q) => h('a', { href: `#/queues/${encodeURIComponent(q.queue)}`, text: q.queue }) },
      { label: '', cell: (q) => (q.paused ? badge('paused', 'paused') : null) },
      ...['scheduled', 'pending', 'active', 'retry', 'dead'].map((k) => ({
        label: k, key: k, class: 'num', cell: (q) => h('span', { class: q[k] ? `n st-${k}` : 'n zero', text: num(q[k]) }),
      })),
      { label: 'succeeded', key: 'succeeded', class: 'num', cell: (q) => num(q.totals.succeeded) },
      { label: 'done/s', key: 'rate', class: 'num', cell: (q) => rate(rates(q).ok) },
      { label: 'failed/s', key: 'failed_rate', class: 'num', cell: (q) => rate(rates(q).failed) },
      { label: 'limits', key: 'limits', cell: (q) => limits(q.limits) },
    ], o.queues, {
      rowAttrs: (q) => ({ dataset: { queue: q.queue } }),
      empty: 'No queues yet: post a job (POST /v1/queues/NAME/jobs or mlqd post) and it shows here.',
      caption: 'Queues',
    }));

    fill(workers, workerTable(o.workers, o.leader, { compact: true }));
  }
}

function card(title, value, sub, cls = '') {
  return h('div', { class: `card ${cls}` },
    h('div', { class: 'card-title', text: title }),
    h('div', { class: 'card-value', text: value, title: value }),
    sub ? h('div', { class: 'card-sub', text: sub }) : null);
}

/**
 * A queue's limits as `mlqd queues` writes them: "rate 10/s (burst 5) · max active 2"
 * (a burst is named when it is above the default 1); `none` when it has none.
 */
export function limits(l, none = '—') {
  const parts = [];
  if (l?.rate) parts.push(l.burst > 1 ? `rate ${l.rate} (burst ${l.burst})` : `rate ${l.rate}`);
  if (l?.max_active !== null && l?.max_active !== undefined) parts.push(`max active ${l.max_active}`);
  return parts.length
    ? h('span', { class: 'limits', dataset: { limits: JSON.stringify(l) }, text: parts.join(' · ') })
    : h('span', { class: 'limits muted', dataset: { limits: 'none' }, text: none });
}

export function workerTable(list, leader, { compact = false } = {}) {
  const cols = [
    { label: 'Worker', cell: (w) => h('span', { class: 'mono', text: w.id }, w.id === leader ? [' ', badge('leader', 'leader')] : null) },
    { label: 'Host', cell: (w) => `${w.host}${compact ? '' : ` (pid ${w.pid})`}` },
    { label: 'Queues', cell: (w) => w.queues.join(', ') },
    { label: 'Busy', class: 'num', key: 'busy', cell: (w) => busyBar(w) },
    { label: 'Handler', cell: (w) => w.handler },
  ];
  if (!compact) {
    cols.push({ label: 'Version', cell: (w) => w.version });
    cols.push({ label: 'Started', cell: (w) => rel(w.started_at) });
  }
  cols.push({ label: 'Heartbeat', cell: (w) => rel(w.last_heartbeat) });
  return table(cols, list, {
    rowAttrs: (w) => ({ dataset: { worker: w.id } }),
    empty: 'No workers: start one with mlqd worker --queue NAME --exec CMD.',
    caption: 'Workers',
  });
}

function busyBar(w) {
  const pct = w.concurrency ? Math.round((100 * w.in_flight) / w.concurrency) : 0;
  const fillEl = h('span', { class: 'fill' });
  fillEl.style.width = `${pct}%`;
  return h('span', { class: 'busy' }, h('span', { class: 'bar small' }, fillEl), `${w.in_flight}/${w.concurrency}`);
}
