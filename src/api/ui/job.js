// One job: status, live progress and state (its Server-Sent Events), live streamed output
// (GET /v1/jobs/{id}/stream: chunk, attempt, trimmed, end), payload and result previews with
// downloads, the attempt history; cancel and requeue. #/jobs/ID

import { ApiError, api, config, seg, sse } from './api.js';
import {
  actionButton, badge, bytes, duration, fill, h, progressBar, rel, section, table, toast,
} from './dom.js';

const TERMINAL = ['succeeded', 'dead', 'cancelled'];
const PREVIEW_CHARS = 20000;
const RETRY_MS = 2000;

export function render(main, [id], { signal, status }) {
  const path = `/v1/jobs/${seg(id)}`;
  const head = h('div', { class: 'title-row' });
  const progress = h('div', { class: 'progress-box' });
  const facts = h('div');
  const errorBox = h('div');
  const payload = h('div');
  const result = h('div');
  const output = h('div');
  const history = h('div');
  // the streamed output comes first once there is any (a job that emits nothing has none)
  const outputPanel = section('Output', output);
  outputPanel.hidden = true;
  fill(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: 'Overview' }), ' / ',
      h('a', { href: `#/queues/${encodeURIComponent(id.split('.')[0])}`, text: id.split('.')[0] }), ' / job'),
    head, progress, errorBox, outputPanel,
    h('div', { class: 'grid2' }, section('Details', facts), section('History', history)),
    h('div', { class: 'grid2' }, section('Payload', payload), section('Result', result)));

  const urls = [];
  signal.addEventListener('abort', () => urls.forEach((u) => URL.revokeObjectURL(u)));
  let job = null;
  let payloadShown = false;
  let resultShown = false;
  let following = false;

  const show = (s) => {
    job = s;
    showHead();
    showProgress();
    showFacts();
    fill(errorBox, s.error ? h('div', { class: 'alert error', role: 'note' }, h('strong', { text: 'Error: ' }), s.error) : null);
    showHistory();
    showPayload();
    showResult();
  };

  (async () => {
    try {
      show(await api(path, { signal }));
      status.ok();
    } catch (e) {
      if (e.name === 'AbortError') return;
      fill(main, h('h1', { text: 'Job' }), h('p', { class: 'empty' },
        e.status === 404 ? `No job ${id} (unknown, or its record expired).` : `Could not read job ${id}: ${e.message}`));
      if (e.status !== 404) status.failed(e);
      return;
    }
    follow();
    streamOutput();
  })();

  /** Follows the job's events until it is terminal; reconnects after a failure. */
  async function follow() {
    if (following) return;
    following = true;
    try {
      while (!signal.aborted && !TERMINAL.includes(job.state)) {
        try {
          await sse(`${path}/events`, (ev) => {
            if (ev.event === 'state' || ev.event === 'progress') {
              show(JSON.parse(ev.data));
              status.ok();
            }
          }, { signal });
        } catch (e) {
          if (signal.aborted || e.name === 'AbortError') return;
          status.failed(e);
          if (e.status === 404) return;
        }
        if (!TERMINAL.includes(job.state)) await sleep(RETRY_MS, signal);
      }
    } finally {
      following = false;
    }
  }

  function showHead() {
    const key = `${job.state}`;
    if (head.dataset.key === key) return;
    head.dataset.key = key;
    const acts = [];
    if (!config.readOnly && !TERMINAL.includes(job.state)) {
      acts.push(actionButton('Cancel job', async () => {
        await api(path, { method: 'DELETE', signal });
        toast(`Job cancelled`);
        show(await api(path, { signal }));
      }, { confirm: 'Really cancel?', danger: true, name: 'cancel' }));
    }
    if (!config.readOnly && job.state === 'dead') {
      acts.push(actionButton('Requeue', async () => {
        await api(`/v1/queues/${seg(job.queue)}/dead/requeue`, { method: 'POST', body: { ids: [job.id] }, signal });
        toast('Job requeued');
        show(await api(path, { signal }));
        follow();
      }, { name: 'requeue' }));
    }
    fill(head,
      h('h1', {}, h('span', { class: 'muted', text: 'Job ' }), h('span', { class: 'mono id', text: job.id })),
      badge(job.state),
      h('span', { class: 'spacer' }),
      acts);
  }

  function showProgress() {
    if (job.state === 'active' || (job.progress && !TERMINAL.includes(job.state))) {
      fill(progress, progressBar(job.progress || { percent: 0, message: 'started' }));
    } else if (job.state === 'succeeded') {
      fill(progress, progressBar({ percent: 100, message: 'done' }));
    } else fill(progress);
  }

  function showFacts() {
    const row = (k, v) => [h('dt', { text: k }), h('dd', { dataset: { field: k } }, v)];
    fill(facts, h('dl', { class: 'facts' },
      row('queue', h('a', { href: `#/queues/${encodeURIComponent(job.queue)}`, text: job.queue })),
      row('state', badge(job.state)),
      row('attempts', String(job.attempts)),
      row('failures', `${job.failures} (retries allowed: ${job.max_retries})`),
      row('lost leases', `${job.stalls} of ${job.max_stalls} allowed`),
      row('priority', String(job.priority)),
      row('created', rel(job.created_at)),
      job.run_at ? row('due', rel(job.run_at)) : null,
      row('started', rel(job.started_at)),
      row('finished', rel(job.finished_at)),
      job.started_at ? row('ran for', duration(job.started_at, job.finished_at)) : null,
      row('worker', job.worker ? h('span', { class: 'mono', text: job.worker }) : '—'),
      row('timeout', job.timeout || 'none'),
      row('result kept', job.result_ttl),
      job.callback ? row('callback', h('span', { class: 'mono', text: job.callback })) : null));
  }

  function showHistory() {
    // the attempt under way is not in the history yet: show it as the last row
    const rows = [...job.history];
    if (job.state === 'active' && job.started_at) {
      rows.push({ outcome: 'running', worker: job.worker || '', started_at: job.started_at, finished_at: null, error: null });
    }
    fill(history, table([
      { label: '#', class: 'num', cell: (a) => String(rows.indexOf(a) + 1) },
      { label: 'Outcome', cell: (a) => badge(outcomeState(a.outcome), a.outcome.replace('_', ' ')) },
      { label: 'Worker', cell: (a) => h('span', { class: 'mono small', text: a.worker }) },
      { label: 'Started', cell: (a) => rel(a.started_at) },
      { label: 'Took', class: 'num', cell: (a) => duration(a.started_at, a.finished_at) },
      { label: 'Error', class: 'err', cell: (a) => a.error || '' },
    ], rows, {
      rowAttrs: (a) => ({ dataset: { outcome: a.outcome } }),
      empty: 'Not started yet.',
      caption: 'Attempts',
    }));
  }

  async function showPayload() {
    if (payloadShown) return;
    if (['succeeded', 'cancelled'].includes(job.state)) {
      payloadShown = true;
      fill(payload, h('p', { class: 'muted' }, `${job.content_type}. Not kept: a finished job keeps its status and result, not its payload.`));
      return;
    }
    payloadShown = true;
    await preview(payload, `${path}/payload`, `${id}.payload`, () => { payloadShown = false; });
  }

  async function showResult() {
    if (resultShown) return;
    if (job.state === 'succeeded') {
      resultShown = true;
      await preview(result, `${path}/result`, `${id}.result`, () => { resultShown = false; });
    } else if (job.state === 'dead' || job.state === 'cancelled') {
      fill(result, h('p', { class: 'muted', text: `No result: the job is ${job.state}.` }));
    } else fill(result, h('p', { class: 'muted', text: 'No result yet.' }));
  }

  /** Fetches bytes (with the token), shows them by type, and offers them for download. */
  async function preview(box, url, name, retry) {
    fill(box, h('p', { class: 'muted', text: 'Loading…' }));
    let res;
    try {
      res = await api(url, { raw: true, signal });
    } catch (e) {
      if (e.name === 'AbortError') return;
      fill(box, h('p', { class: 'muted', text: e instanceof ApiError ? e.message : `Could not load: ${e.message}` }));
      if (!(e instanceof ApiError)) retry();
      return;
    }
    const ct = res.headers.get('content-type') || 'application/octet-stream';
    const blob = await res.blob();
    const href = URL.createObjectURL(blob);
    urls.push(href);
    const essence = ct.split(';')[0].trim().toLowerCase();
    const meta = h('p', { class: 'meta' }, h('span', { class: 'mono', text: ct }), ` · ${bytes(blob.size)} · `,
      h('a', { href, download: `${name}.${extension(essence)}`, dataset: { download: name }, text: 'Download' }));
    let body;
    if (essence.startsWith('image/')) {
      body = h('img', { src: href, alt: `${name} (${ct})`, class: 'preview-img' });
    } else if (essence.startsWith('audio/')) {
      body = h('audio', { src: href, controls: true });
    } else if (essence.startsWith('video/')) {
      body = h('video', { src: href, controls: true, class: 'preview-img' });
    } else if (isText(essence)) {
      let text = await blob.text();
      if (essence === 'application/json' || essence.endsWith('+json')) {
        try {
          text = JSON.stringify(JSON.parse(text), null, 2);
        } catch {
          // shown as it is
        }
      }
      const cut = text.length > PREVIEW_CHARS;
      body = [h('pre', { class: 'preview', tabindex: 0, text: cut ? text.slice(0, PREVIEW_CHARS) : text }),
        cut ? h('p', { class: 'muted', text: `First ${PREVIEW_CHARS} characters shown; download for the rest.` }) : null];
    } else {
      const head = new Uint8Array(await blob.slice(0, 256).arrayBuffer());
      body = [h('p', { class: 'muted', text: 'Binary; the first bytes:' }), h('pre', { class: 'preview', text: hexdump(head) })];
    }
    fill(box, meta, body);
  }

  async function streamOutput() {
    const pre = h('pre', { class: 'output', tabindex: 0, 'aria-live': 'off' });
    const note = h('p', { class: 'muted output-note' });
    fill(output, note, pre);
    let attempt = null;
    let lastId = null;
    let ended = false;
    let trimmed = false;
    const say = () => {
      outputPanel.hidden = false;
      note.textContent = `attempt ${attempt}` + (trimmed ? '; earlier output was trimmed by the server (--max-stream)' : '');
    };
    while (!signal.aborted && !ended) {
      try {
        await sse(`${path}/stream`, (ev) => {
          if (ev.id) lastId = ev.id;
          const d = JSON.parse(ev.data);
          if (ev.event === 'chunk') {
            if (attempt !== null && d.attempt !== attempt) {
              pre.textContent = '';
              trimmed = false;
            }
            attempt = d.attempt;
            const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
            pre.append(d.text !== undefined ? d.text : decodeB64(d.b64));
            if (stick) pre.scrollTop = pre.scrollHeight;
            say();
          } else if (ev.event === 'attempt') {
            attempt = d.attempt;
            trimmed = false;
            pre.textContent = '';
            note.textContent = `attempt ${attempt} started; the earlier attempt's output is superseded`;
          } else if (ev.event === 'end') {
            ended = true;
            if (!pre.textContent) note.textContent = 'No output.'; // shown only after a superseded attempt
          } else if (ev.event === 'trimmed') {
            trimmed = true;
            if (attempt === null || d.attempt !== attempt) {
              attempt = d.attempt;
              pre.textContent = '';
            }
            say();
          }
        }, { signal, lastEventId: lastId });
        ended = ended || TERMINAL.includes(job.state);
      } catch (e) {
        if (signal.aborted || e.name === 'AbortError' || e.status === 404) return;
      }
      if (!ended) await sleep(RETRY_MS, signal);
    }
  }
}

function outcomeState(outcome) {
  return {
    succeeded: 'succeeded', failed: 'retry', lease_lost: 'dead', cancelled: 'cancelled', handed_back: 'pending', running: 'active',
  }[outcome] || 'pending';
}

function isText(essence) {
  return essence.startsWith('text/') || essence === 'application/json' || essence.endsWith('+json')
    || essence.endsWith('+xml') || ['application/xml', 'application/x-ndjson', 'application/yaml', 'application/javascript'].includes(essence);
}

function extension(essence) {
  const known = {
    'application/json': 'json', 'text/plain': 'txt', 'text/csv': 'csv', 'text/html': 'html',
    'application/xml': 'xml', 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif',
    'image/webp': 'webp', 'image/svg+xml': 'svg', 'application/pdf': 'pdf', 'audio/wav': 'wav',
    'audio/mpeg': 'mp3', 'video/mp4': 'mp4', 'application/x-ndjson': 'jsonl', 'application/zip': 'zip',
  };
  return known[essence] || (essence.endsWith('+json') ? 'json' : 'bin');
}

function hexdump(u8) {
  const lines = [];
  for (let i = 0; i < u8.length; i += 16) {
    const row = Array.from(u8.slice(i, i + 16));
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const asc = row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  ${asc}`);
  }
  return lines.join('\n');
}

function decodeB64(b64) {
  try {
    const bin = atob(b64);
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return '';
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
