// One queue: counts per state, its jobs by state with paging, pause/resume, limits, and
// the dead-letter set (requeue one or all, purge). #/queues/NAME?state=S&cursor=C

import { api, config, has, seg } from './api.js';
import {
  actionButton, badge, every, fill, h, jobLink, num, progressBar, rel, section, STATES, table, toast,
} from './dom.js';
import { limits } from './overview.js';

const REFRESH_MS = 2500;
const PAGE = 50;

export function render(main, [name, query], { signal, status }) {
  const q = new URLSearchParams(query || '');
  const state = STATES.includes(q.get('state')) ? q.get('state') : 'pending';
  const cursor = q.get('cursor');
  const offset = Math.max(0, Number(q.get('offset')) || 0);
  const base = `/v1/queues/${seg(name)}`;
  const href = (params) => `#/queues/${encodeURIComponent(name)}?${new URLSearchParams(params)}`;

  const head = h('div', { class: 'title-row' });
  const limitsBox = h('div');
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Jobs by state' });
  const actions = h('div', { class: 'actions' });
  const list = h('div');
  const pager = h('div', { class: 'pager' });
  fill(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: 'Overview' }), ' / queue'),
    head, limitsBox, tabs,
    section(null, h('div', { class: 'list-head' }, h('h2', { text: `${state} jobs` }), actions), list, pager));

  let browse = false;
  let canLimit = false;
  let lastList = '';
  let stats = null;

  const refresh = async () => {
    stats = await api(base, { signal });
    showHead();
    await showList();
    status.ok();
  };

  (async () => {
    browse = await has('GET', '/v1/queues/{queue}/jobs');
    canLimit = !config.readOnly && await has('PUT', '/v1/queues/{queue}/limits');
    every(REFRESH_MS, refresh, signal, (e) => {
      if (e.status === 404) {
        fill(head, h('h1', { text: name }));
        fill(list, h('p', { class: 'empty', text: `No job was ever posted to queue ${name}.` }));
      } else status.failed(e);
    });
  })();

  let headKey = null;
  let limitsKey = null;
  // parts are rebuilt only when they change, so focus, an armed button or an open form
  // survive the refresh
  function showHead() {
    if (headKey !== stats.paused) {
      headKey = stats.paused;
      const refocus = head.contains(document.activeElement);
      fill(head,
        h('h1', {}, h('span', { class: 'muted', text: 'Queue ' }), name),
        stats.paused ? badge('paused', 'paused') : badge('running', 'running'),
        h('span', { class: 'spacer' }),
        config.readOnly ? null : stats.paused
          ? actionButton('Resume', async () => { stats = await api(`${base}/resume`, { method: 'POST', signal }); showHead(); toast(`Queue ${name} resumed`); }, { name: 'resume' })
          : actionButton('Pause', async () => { stats = await api(`${base}/pause`, { method: 'POST', signal }); showHead(); toast(`Queue ${name} paused: running jobs finish, no new ones start`); }, { name: 'pause' }));
      if (refocus) head.querySelector('button')?.focus();
    }
    const lk = JSON.stringify(stats.limits ?? null);
    if ((stats.limits || canLimit) && lk !== limitsKey) {
      limitsKey = lk;
      fill(limitsBox, h('p', { class: 'limits-line' }, h('strong', { text: 'Limits: ' }), limits(stats.limits),
        canLimit ? limitsForm() : null));
    }
    const counts = {
      scheduled: stats.scheduled, pending: stats.pending, active: stats.active, retry: stats.retry,
      dead: stats.dead, succeeded: stats.totals.succeeded, cancelled: stats.totals.cancelled,
    };
    if (!tabs.firstChild) {
      fill(tabs, STATES.map((s) => h('a', {
        href: href({ state: s }), class: `tab st-${s}`, 'aria-current': s === state ? 'page' : null,
        dataset: { state: s },
      }, h('span', { class: 'tab-name', text: s }), h('span', { class: 'tab-count', dataset: { count: s } }),
      s === 'succeeded' || s === 'cancelled' ? h('span', { class: 'sr-only', text: ' (total)' }) : null)));
    }
    for (const el of tabs.querySelectorAll('[data-count]')) {
      const t = num(counts[el.dataset.count]);
      if (el.textContent !== t) el.textContent = t;
    }
  }

  async function showList() {
    let jobs;
    let next = null;
    let total = null;
    if (state === 'dead') {
      const d = await api(`${base}/dead?limit=${PAGE}&offset=${offset}`, { signal });
      jobs = d.jobs;
      total = d.total;
    } else if (browse) {
      const params = new URLSearchParams({ state, limit: String(PAGE) });
      if (cursor) params.set('cursor', cursor);
      const page = await api(`${base}/jobs?${params}`, { signal });
      jobs = page.jobs;
      next = page.next_cursor;
    } else {
      const note = 'Listing jobs by state is not available on this server (it has no job-browsing route, GET /v1/queues/{queue}/jobs). The counts above are live; dead jobs are listed under "dead".';
      if (lastList !== note) fill(list, h('p', { class: 'muted', text: note }));
      lastList = note;
      fill(actions);
      fill(pager);
      return;
    }
    const key = JSON.stringify(jobs) + total + next;
    if (key === lastList) return; // unchanged: keep focus and selection where they are
    lastList = key;
    fill(actions, state === 'dead' && !config.readOnly && jobs.length ? [
      actionButton('Requeue all', async () => {
        const r = await api(`${base}/dead/requeue`, { method: 'POST', body: { all: true }, signal });
        toast(`${r.requeued.length} job(s) requeued`);
        await refresh();
      }, { confirm: `Requeue all ${num(total)}?`, name: 'requeue-all' }),
      actionButton('Purge all', async () => {
        const r = await api(`${base}/dead`, { method: 'DELETE', signal });
        toast(`${r.purged} dead job(s) purged`);
        await refresh();
      }, { confirm: `Delete all ${num(total)} for good?`, danger: true, name: 'purge' }),
    ] : null);
    fill(list, jobTable(jobs, state));
    if (state === 'dead') {
      fill(pager,
        offset > 0 ? h('a', { class: 'btn', href: href({ state, offset: Math.max(0, offset - PAGE) }), text: '← Newer' }) : null,
        total !== null ? h('span', { class: 'muted', text: `${num(jobs.length ? offset + 1 : 0)}–${num(offset + jobs.length)} of ${num(total)}` }) : null,
        offset + jobs.length < total ? h('a', { class: 'btn', href: href({ state, offset: offset + PAGE }), text: 'Older →' }) : null);
    } else {
      fill(pager,
        cursor ? h('a', { class: 'btn', href: href({ state }), text: '⇤ First page' }) : null,
        next ? h('a', { class: 'btn', href: href({ state, cursor: next }), text: 'Next page →' }) : null);
    }
  }

  function jobTable(jobs, st) {
    const cols = [
      { label: 'Job', cell: (j) => jobLink(j.id) },
      { label: 'State', cell: (j) => badge(j.state) },
      { label: 'Attempts', class: 'num', cell: (j) => String(j.attempts) },
      { label: 'Priority', class: 'num', cell: (j) => String(j.priority) },
    ];
    if (st === 'active') cols.push({ label: 'Progress', cell: (j) => (j.progress ? progressBar(j.progress) : '—') });
    if (st === 'dead' || st === 'retry') cols.push({ label: 'Error', class: 'err', cell: (j) => j.error || '—' });
    if (st === 'scheduled' || st === 'retry') cols.push({ label: 'Due', cell: (j) => rel(j.run_at) });
    if (st === 'active') cols.push({ label: 'Started', cell: (j) => rel(j.started_at) });
    else if (['dead', 'succeeded', 'cancelled'].includes(st)) cols.push({ label: 'Finished', cell: (j) => rel(j.finished_at) });
    cols.push({ label: 'Created', cell: (j) => rel(j.created_at) });
    if (st === 'dead' && !config.readOnly) {
      cols.push({
        label: '', cell: (j) => actionButton('Requeue', async () => {
          await api(`${base}/dead/requeue`, { method: 'POST', body: { ids: [j.id] }, signal });
          toast(`Requeued ${j.id}`);
          await refresh();
        }, { name: 'requeue' }),
      });
    }
    return table(cols, jobs, {
      rowAttrs: (j) => ({ dataset: { job: j.id } }),
      empty: `No ${st} jobs.`,
      caption: `${st} jobs of ${name}`,
    });
  }

  function limitsForm() {
    const l = stats.limits || {};
    const rate = h('input', { name: 'rate', placeholder: '10/s', value: l.rate || '', size: 6, 'aria-label': 'Rate (N/s, N/m, N/h)' });
    const burst = h('input', { name: 'burst', type: 'number', min: 1, value: l.burst ?? '', 'aria-label': 'Burst' });
    const maxActive = h('input', { name: 'max_active', type: 'number', min: 1, value: l.max_active ?? '', 'aria-label': 'Most active jobs' });
    const form = h('form', { class: 'inline-form' },
      h('label', {}, 'rate ', rate), h('label', {}, 'burst ', burst), h('label', {}, 'max active ', maxActive),
      h('button', { type: 'submit', class: 'btn', dataset: { action: 'limits' } }, 'Save limits'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const n = (v) => (v.trim() === '' ? null : Number(v));
      try {
        await api(`${base}/limits`, {
          method: 'PUT', signal,
          body: { rate: rate.value.trim() || null, burst: n(burst.value), max_active: n(maxActive.value) },
        });
        toast('Limits saved');
        await refresh();
      } catch (err) {
        toast(`Limits not saved: ${err.message}`, 'error');
      }
    });
    const details = h('details', { class: 'edit' }, h('summary', { text: 'edit' }), form);
    return details;
  }
}
