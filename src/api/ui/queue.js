// One queue: counts per state, its jobs by state with paging, pause/resume, limits, and
// the dead-letter set (requeue one or all, purge). #/queues/NAME?state=S&cursor=C&page=N
// (dead: &offset=N)

import { api, config, seg } from './api.js';
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
  const pageNo = cursor ? Math.max(2, Number(q.get('page')) || 2) : 1;
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

  let lastList = '';
  let stats = null;

  const refresh = async () => {
    stats = await api(base, { signal });
    showHead();
    await showList();
    status.ok();
  };

  every(REFRESH_MS, refresh, signal, (e) => {
    if (e.status === 404) {
      fill(head, h('h1', { text: name }));
      fill(list, h('p', { class: 'empty', text: `No job was ever posted to queue ${name}.` }));
    } else if (e.status === 400) {
      lastList = '';
      fill(list, h('p', { class: 'error', role: 'alert', text: e.message }),
        h('p', {}, h('a', { href: href({ state }), text: `The first page of ${state} jobs` })));
      fill(pager);
    } else status.failed(e);
  });

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
    if (lk !== limitsKey) {
      limitsKey = lk;
      const refocus = limitsBox.contains(document.activeElement);
      fill(limitsBox, h('div', { class: 'limits-line' }, h('strong', { text: 'Limits:' }), limits(stats.limits, 'none'),
        config.readOnly ? null : limitsForm()));
      if (refocus) limitsBox.querySelector('summary')?.focus();
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
    } else {
      const params = new URLSearchParams({ state, limit: String(PAGE) });
      if (cursor) params.set('cursor', cursor);
      const page = await api(`${base}/jobs?${params}`, { signal });
      jobs = page.jobs;
      next = page.next_cursor;
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
        cursor ? h('a', { class: 'btn', href: href({ state }), dataset: { page: 'first' }, text: '⇤ First page' }) : null,
        cursor || next ? h('span', { class: 'muted', text: `page ${pageNo}` }) : null,
        next ? h('a', { class: 'btn', href: href({ state, cursor: next, page: pageNo + 1 }), dataset: { page: 'next' }, text: 'Next page →' }) : null);
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

  /** Edits the queue's limits (PUT /v1/queues/{queue}/limits): an empty field clears one. */
  function limitsForm() {
    const l = stats.limits || {};
    const input = (name, label, value, attrs = {}) => {
      const el = h('input', { id: `limit-${name}`, name, value: value ?? '', ...attrs });
      return [h('label', { for: el.id, text: label }), el];
    };
    const [rateLabel, rate] = input('rate', 'rate', l.rate, { placeholder: '10/s', size: 7, autocomplete: 'off', title: 'Starts per second, minute or hour: N/s, N/m, N/h' });
    const [burstLabel, burst] = input('burst', 'burst', l.rate ? l.burst : '', { type: 'number', min: 1, step: 1, placeholder: '1', title: 'Starts a rate saves up while idle' });
    const [maxLabel, maxActive] = input('max_active', 'max active', l.max_active, { type: 'number', min: 1, step: 1, title: 'Most jobs of the queue running at once, across every worker' });
    const msg = h('p', { class: 'form-msg', role: 'status' });
    const send = async (body, done) => {
      msg.className = 'form-msg';
      msg.textContent = '';
      try {
        stats = await api(`${base}/limits`, { method: 'PUT', signal, body });
        toast(done);
        showHead();
      } catch (err) {
        if (err.name === 'AbortError') return;
        msg.className = 'form-msg error';
        msg.textContent = `Not saved: ${err.message}`;
      }
    };
    const clear = actionButton('Clear all', () => send({ rate: null, max_active: null }, `Queue ${name} has no limits now`),
      { name: 'clear-limits' });
    const form = h('form', { class: 'inline-form', 'aria-label': `Limits of ${name}` },
      h('span', { class: 'field' }, rateLabel, rate), h('span', { class: 'field' }, burstLabel, burst),
      h('span', { class: 'field' }, maxLabel, maxActive),
      h('button', { type: 'submit', class: 'btn primary', dataset: { action: 'limits' } }, 'Save'), clear, msg);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const [r, b, m] = [rate.value.trim(), burst.value.trim(), maxActive.value.trim()];
      if (r && !/^\d+\s*\/\s*[smh]$/.test(r)) {
        msg.className = 'form-msg error';
        msg.textContent = `A rate is written N/s, N/m or N/h (like 10/s), not "${r}".`;
        rate.focus();
        return;
      }
      if (!r && b) {
        msg.className = 'form-msg error';
        msg.textContent = 'A burst goes with a rate: set a rate too, or leave burst empty.';
        burst.focus();
        return;
      }
      // an empty field clears its limit; a burst left empty with a rate is the default, 1
      const body = { rate: r || null, max_active: m ? Number(m) : null };
      if (r) body.burst = b ? Number(b) : null;
      await send(body, `Limits of ${name} saved`);
    });
    return h('details', { class: 'edit' }, h('summary', { text: 'edit' }), form);
  }
}
