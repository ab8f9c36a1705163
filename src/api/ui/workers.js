// Workers: every registered worker with its queues, busy slots, handler and heartbeat; the
// reaper leader is marked. Refreshed every 3 s from GET /v1/overview (which names the
// leader and carries the Redis clock the heartbeat ages count from).

import { api } from './api.js';
import { every, fill, h, section, setServerNow } from './dom.js';
import { workerTable } from './overview.js';

const REFRESH_MS = 3000;

export function render(main, _params, { signal, status }) {
  const leader = h('p', { class: 'muted' });
  const list = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  fill(main, h('h1', { text: 'Workers' }), leader, section(null, list));
  every(REFRESH_MS, async () => {
    const o = await api('/v1/overview', { signal });
    setServerNow(o.taken_at);
    fill(leader, o.leader
      ? ['Reaper leader: ', h('span', { class: 'mono', text: o.leader })]
      : h('span', { class: 'warn-text', text: 'No reaper leads: lost jobs are not recovered and due jobs wait. Run mlqd reaper, or a worker (workers take the lead by default).' }));
    fill(list, workerTable(o.workers, o.leader));
    status.ok();
  }, signal, (e) => status.failed(e));
}
