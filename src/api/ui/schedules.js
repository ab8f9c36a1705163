// Schedules (periodic jobs, GET /v1/schedules): each one's timing, queue, job, next and
// last run and the last job it posted; delete (DELETE /v1/schedules/{name}) unless the
// server is read-only. Schedules are made with `mlqd cron set` or PUT /v1/schedules/{name}.

import { api, config, seg } from './api.js';
import { actionButton, every, fill, h, jobLink, rel, section, table, toast } from './dom.js';

const REFRESH_MS = 3000;
const PAYLOAD_CHARS = 60;

export function render(main, _params, { signal, status }) {
  const list = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  fill(main, h('h1', { text: 'Schedules' }),
    section(null, list,
      h('p', { class: 'hint muted' }, 'Add or change one with ', h('code', { text: 'mlqd cron set NAME --every 5m --queue Q' }),
        ' or ', h('code', { text: 'PUT /v1/schedules/NAME' }), '.')));

  let shown = null;
  const refresh = async () => {
    const rows = await api('/v1/schedules', { signal });
    status.ok();
    const key = JSON.stringify(rows);
    // rebuilt only when something changed, and never under an armed delete
    if (key === shown || list.querySelector('.btn.armed')) return;
    shown = key;
    const focused = document.activeElement?.closest?.('tr[data-schedule]')?.dataset.schedule;
    fill(list, scheduleTable(rows));
    if (focused) list.querySelector(`tr[data-schedule="${CSS.escape(focused)}"] button`)?.focus();
  };
  every(REFRESH_MS, refresh, signal, (e) => status.failed(e));

  function scheduleTable(rows) {
    const cols = [
      { label: 'Name', key: 'name', cell: (s) => h('span', { class: 'mono', text: s.name }) },
      { label: 'Timing', key: 'timing', cell: timing },
      { label: 'Queue', key: 'queue', cell: (s) => h('a', { href: `#/queues/${encodeURIComponent(s.queue)}`, text: s.queue }) },
      { label: 'Next run', key: 'next_run', cell: (s) => rel(s.next_run) },
      { label: 'Last run', key: 'last_run', cell: (s) => rel(s.last_run) },
      { label: 'Last job', key: 'last_job', cell: (s) => (s.last_job ? jobLink(s.last_job) : h('span', { class: 'muted', text: '—' })) },
      { label: 'Job', key: 'job', cell: jobSummary },
    ];
    if (!config.readOnly) {
      cols.push({
        label: '', key: 'actions', cell: (s) => actionButton('Delete', async () => {
          await api(`/v1/schedules/${seg(s.name)}`, { method: 'DELETE', signal });
          toast(`Schedule ${s.name} deleted (runs already posted stay in ${s.queue})`);
          await refresh();
        }, { confirm: `Delete ${s.name}?`, danger: true, name: 'delete' }),
      });
    }
    return table(cols, rows, {
      rowAttrs: (s) => ({ dataset: { schedule: s.name } }),
      empty: 'No schedules yet.',
      caption: 'Schedules',
    });
  }
}

function timing(s) {
  if (s.every) return h('span', {}, 'every ', h('span', { class: 'mono', text: s.every }));
  return h('span', {}, h('span', { class: 'mono', text: s.cron }), ' ', h('span', { class: 'muted', text: s.tz || 'UTC' }));
}

/** The payload each run posts (cut short) and the options it carries. */
function jobSummary(s) {
  const text = JSON.stringify(s.payload ?? {});
  const o = s.options || {};
  const opts = [
    o.priority ? `priority ${o.priority}` : null,
    o.timeout ? `timeout ${o.timeout}` : null,
    o.max_retries !== undefined && o.max_retries !== null ? `retries ${o.max_retries}` : null,
    o.max_stalls !== undefined && o.max_stalls !== null ? `stalls ${o.max_stalls}` : null,
    o.result_ttl ? `result ttl ${o.result_ttl}` : null,
    o.callback ? 'callback' : null,
  ].filter(Boolean);
  return h('span', { class: 'job-summary' },
    h('span', { class: 'mono', title: text, text: text.length > PAYLOAD_CHARS ? `${text.slice(0, PAYLOAD_CHARS)}…` : text }),
    opts.length ? h('span', { class: 'muted small', text: ` ${opts.join(' · ')}` }) : null);
}
