// Schedules (periodic jobs), when the server has them (GET /v1/schedules): each one's
// timing, queue, next and last run and the last job it posted.

import { api, has } from './api.js';
import { every, fill, h, jobLink, rel, section, table } from './dom.js';

const REFRESH_MS = 5000;

export function render(main, _params, { signal, status }) {
  const list = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  fill(main, h('h1', { text: 'Schedules' }), section(null, list));
  (async () => {
    if (!(await has('GET', '/v1/schedules'))) {
      fill(list, h('p', { class: 'muted', text: 'Schedules are not available on this server (it has no /v1/schedules).' }));
      return;
    }
    every(REFRESH_MS, async () => {
      const answer = await api('/v1/schedules', { signal });
      const rows = Array.isArray(answer) ? answer : answer.schedules || [];
      fill(list, table([
        { label: 'Name', cell: (s) => h('span', { class: 'mono', text: s.name }) },
        { label: 'Queue', cell: (s) => h('a', { href: `#/queues/${encodeURIComponent(s.queue)}`, text: s.queue }) },
        { label: 'When', cell: (s) => (s.cron ? `cron ${s.cron}${s.tz ? ` (${s.tz})` : ''}` : `every ${s.every}`) },
        { label: 'Next run', cell: (s) => rel(s.next_run || s.next_run_at) },
        { label: 'Last run', cell: (s) => rel(s.last_run || s.last_run_at) },
        { label: 'Last job', cell: (s) => (s.last_job || s.last_job_id ? jobLink(s.last_job || s.last_job_id) : '—') },
      ], rows, {
        rowAttrs: (s) => ({ dataset: { schedule: s.name } }),
        empty: 'No schedules: add one with mlqd cron set NAME --every 5m --queue Q.',
        caption: 'Schedules',
      }));
      status.ok();
    }, signal, (e) => status.failed(e));
  })();
}
