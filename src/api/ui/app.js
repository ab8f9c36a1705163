// The dashboard's entry: hash routing (#/, #/queues/NAME, #/jobs/ID, #/workers,
// #/schedules), the sign-in gate, and the header. Each page is a module with
// render(main, params, ctx); ctx.signal aborts when the user leaves the page, which stops
// its polling and closes its streams.

import { clearToken, config, onUnauthorized, token } from './api.js';
import { fill, h, tickTimes } from './dom.js';
import { login } from './login.js';
import * as overview from './overview.js';
import * as queue from './queue.js';
import * as job from './job.js';
import * as workers from './workers.js';
import * as schedules from './schedules.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const live = document.getElementById('live');
const logout = document.getElementById('logout');

const pages = [
  [/^\/?$/, overview, 'overview'],
  [/^\/queues\/([^/?]+)(?:\?(.*))?$/, queue, 'overview'],
  [/^\/jobs\/([^/?]+)$/, job, 'overview'],
  [/^\/workers$/, workers, 'workers'],
  [/^\/schedules$/, schedules, 'schedules'],
];

let page = null; // the AbortController of the page on screen
let first = true;

/** The header's "live" indicator: pages report each refresh or failure here. */
const status = {
  ok() {
    live.className = 'live ok';
    live.textContent = 'live';
    live.title = `updated ${new Date().toLocaleTimeString(undefined, { hour12: false })}`;
  },
  failed(err) {
    if (err.status === 401) return; // the sign-in form says it
    live.className = 'live down';
    live.textContent = err.status === 503 ? 'Redis unavailable' : 'connection lost — retrying';
    live.title = err.message;
  },
};

async function route(reason) {
  if (page) page.abort();
  page = new AbortController();
  const { signal } = page;
  live.textContent = '';
  if (config.auth && !token()) {
    nav.hidden = true;
    logout.hidden = true;
    await login(main, reason);
    if (signal.aborted) return;
  }
  nav.hidden = false;
  logout.hidden = !config.auth;
  const path = (location.hash || '#/').slice(1);
  const found = pages.find(([re]) => re.test(path));
  if (!found) {
    fill(main, h('h1', { text: 'Not found' }), h('p', {}, 'No such page. ', h('a', { href: '#/', text: 'Back to the overview' })));
    return;
  }
  const [re, mod, tab] = found;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.nav === tab) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const params = path.match(re).slice(1).map((p) => (p === undefined ? p : decodeURIComponent(p)));
  fill(main);
  mod.render(main, params, { signal, status });
  if (!first) main.focus({ preventScroll: true });
  first = false;
}

onUnauthorized(() => {
  if (!config.auth) return;
  clearToken();
  route('Your token is no longer accepted (401): sign in again.');
});

logout.addEventListener('click', () => {
  clearToken();
  route();
});

if (config.readOnly) document.getElementById('mode').hidden = false;
window.addEventListener('hashchange', () => route());
setInterval(tickTimes, 1000);
route();
