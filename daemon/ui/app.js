// fnq dashboard: one script, no libraries. It draws the page the URL names
// from fnq's JSON API (/v1/...), signed in by the session cookie, and
// refreshes the page's data every 2 s while the tab is visible.
'use strict';

const REFRESH_MS = 2000;
const STATES = ['waiting', 'queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'skipped'];
const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'skipped']);
const INLINE_LIMIT = 64 * 1024; // larger blobs: size and a download link

const app = {
  csrf: '',            // the session's CSRF value, in memory only
  auth: 'token',
  paused: localStorage.getItem('fnq.paused') === '1',
  page: null,          // {refresh(), key}
  timer: null,
  clockSkew: 0,        // server time minus browser time, ms
  busy: false,
};

// ---- DOM helpers -----------------------------------------------------------

// h('a', {href: '/x', class: 'y'}, 'text', child...): text is never parsed as HTML.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}
function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}
function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}
// Replaces el's children only when what they show changed, so that focus,
// selection and open details inside survive a refresh.
function update(el, key, ...children) {
  if (el.dataset.key === key) return el;
  el.dataset.key = key;
  return fill(el, ...children);
}
function link(href, text, attrs) {
  return h('a', Object.assign({href, 'data-link': true}, attrs || {}), text);
}
function badge(state) {
  return h('span', {class: `badge s-${state}`, 'data-state': state}, state.replace('_', ' '));
}
function table(head, rows, emptyText, attrs) {
  const tbody = h('tbody', {}, rows.length ? rows : h('tr', {class: 'empty'}, h('td', {colspan: head.length}, emptyText)));
  const thead = h('thead', {}, h('tr', {}, head.map(([label, cls]) => h('th', {class: cls || null, scope: 'col'}, label))));
  return h('div', {class: 'table-wrap'}, h('table', attrs || {}, thead, tbody));
}

// ---- formatting --------------------------------------------------------------

function shortId(id) { return id.slice(0, 8); }
function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit'});
}
function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.floor(s % 60)} s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr} h ${m % 60} m`;
  return `${Math.floor(hr / 24)} d ${hr % 24} h`;
}
function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
function fmtCount(n) { return Number(n).toLocaleString(); }
function serverNow() { return Date.now() + app.clockSkew; }
function runTime(call) {
  if (!call.started_at) return null;
  const end = call.finished_at ? Date.parse(call.finished_at) : serverNow();
  return Math.max(0, end - Date.parse(call.started_at));
}

// ---- the API -------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, opts) {
  const o = Object.assign({method: 'GET'}, opts || {});
  const headers = {'Accept': 'application/json'};
  if (o.method !== 'GET') headers['X-Fnq-Csrf'] = app.csrf;
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method: o.method, headers, credentials: 'same-origin', cache: 'no-store',
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  if (o.raw && res.ok) return res;
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const message = (data && data.error) || `HTTP ${res.status}`;
    if (res.status === 401 && !o.signingIn) showSignIn('Your session has ended; sign in again.');
    throw new ApiError(res.status, message);
  }
  return data;
}

async function fetchBlob(id, kind) {
  const res = await api(`/v1/calls/${encodeURIComponent(id)}/${kind}`, {raw: true});
  return new Uint8Array(await res.arrayBuffer());
}

function utf8(bytes) {
  try { return new TextDecoder('utf-8', {fatal: true}).decode(bytes); } catch (e) { return null; }
}

// ---- live refresh --------------------------------------------------------------

function setStatus(text, isError) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.classList.toggle('error', !!isError);
}

function schedule() {
  clearTimeout(app.timer);
  if (app.paused || document.visibilityState !== 'visible' || !app.page) return;
  app.timer = setTimeout(tick, REFRESH_MS);
}

async function tick() {
  const page = app.page;
  if (!page || app.busy) { schedule(); return; }
  app.busy = true;
  try {
    await page.refresh();
    if (page === app.page) setStatus(app.paused ? 'Paused' : `Live · ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    if (page === app.page && !(e instanceof ApiError && e.status === 401)) setStatus(`Not refreshed: ${e.message}`, true);
  } finally {
    app.busy = false;
    schedule();
  }
}

function setPaused(paused) {
  app.paused = paused;
  localStorage.setItem('fnq.paused', paused ? '1' : '0');
  const b = document.getElementById('pause');
  b.textContent = paused ? 'Resume' : 'Pause';
  b.setAttribute('aria-pressed', paused ? 'true' : 'false');
  b.title = paused ? 'Resume live refresh' : 'Pause live refresh';
  if (paused) { clearTimeout(app.timer); setStatus('Paused'); } else tick();
}

// ---- routing -------------------------------------------------------------------------

function navigate(href, replace) {
  if (replace) history.replaceState(null, '', href); else history.pushState(null, '', href);
  route();
}

function route() {
  clearTimeout(app.timer);
  const url = new URL(location.href);
  const path = url.pathname.replace(/\/+$/, '') || '/ui';
  const parts = path.split('/').slice(2).map(decodeURIComponent); // after /ui
  let page;
  let nav = '';
  if (parts.length === 0) { page = overviewPage(); nav = 'overview'; }
  else if (parts[0] === 'calls' && parts.length === 1) { page = callsPage(url.searchParams); nav = 'calls'; }
  else if (parts[0] === 'calls' && parts.length === 2) { page = callPage(parts[1]); nav = 'calls'; }
  else if (parts[0] === 'pipelines' && parts.length === 1) { page = pipelinesPage(url.searchParams); nav = 'pipelines'; }
  else if (parts[0] === 'pipelines' && parts.length === 2) { page = pipelinePage(parts[1]); nav = 'pipelines'; }
  else if (parts[0] === 'functions' && parts.length === 1) { page = functionsPage(); nav = 'functions'; }
  else if (parts[0] === 'functions' && parts.length === 2) { page = functionPage(parts[1]); nav = 'functions'; }
  else page = notFoundPage();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === nav) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const main = document.getElementById('main');
  fill(main, page.root);
  document.title = `${page.title} · fnq`;
  app.page = page;
  setStatus('Loading…');
  tick();
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a[data-link]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(a.getAttribute('href'));
  document.getElementById('main').focus({preventScroll: true});
  window.scrollTo(0, 0);
});
window.addEventListener('popstate', route);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') tick(); else clearTimeout(app.timer);
});

// ---- confirmation dialog ------------------------------------------------------------

function confirmAction(title, text, actionLabel) {
  return new Promise((resolve) => {
    const dialog = h('dialog', {'aria-labelledby': 'confirm-title', id: 'confirm'});
    const done = (ok) => { dialog.close(); dialog.remove(); resolve(ok); };
    append(dialog, [
      h('h2', {id: 'confirm-title'}, title),
      h('p', {}, text),
      h('div', {class: 'actions'},
        h('button', {type: 'button', id: 'confirm-no', onclick: () => done(false)}, 'Keep'),
        h('button', {type: 'button', class: 'danger', id: 'confirm-yes', onclick: () => done(true)}, actionLabel)),
    ]);
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('#confirm-no').focus();
  });
}

// ---- sign-in -----------------------------------------------------------------------

function showSignIn(message) {
  clearTimeout(app.timer);
  app.page = null;
  app.csrf = '';
  document.getElementById('signout').hidden = true;
  const msg = h('p', {class: 'message', id: 'signin-message', role: 'alert', hidden: !message}, message || '');
  const input = h('input', {type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true, spellcheck: 'false'});
  const button = h('button', {type: 'submit', class: 'primary', id: 'signin-button'}, 'Sign in');
  const form = h('form', {id: 'signin', onsubmit: async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const s = await api('/ui/session', {method: 'POST', body: {token: input.value}, signingIn: true});
      input.value = '';
      signedIn(s);
    } catch (e) {
      input.value = '';
      msg.hidden = false;
      msg.textContent = e.status === 401
        ? `fnqd refused this token (HTTP 401: ${e.message}). Use the token in fnqd's state directory (STATE_DIR/token, or the file given with --token-file).`
        : `Cannot sign in: ${e.message}`;
      input.focus();
    } finally {
      button.disabled = false;
    }
  }},
  h('label', {for: 'token'}, 'Token'), input, button);
  fill(document.getElementById('main'), h('section', {class: 'panel signin'},
    h('h1', {}, 'Sign in to fnq'),
    h('p', {class: 'muted'}, 'Paste the token of this fnqd (the same one the fnq command uses). It is sent once; the browser then keeps a session cookie.'),
    msg, form));
  document.title = 'Sign in · fnq';
  setStatus('');
  input.focus();
}

function signedIn(session) {
  app.csrf = session.csrf || '';
  app.auth = session.auth;
  document.getElementById('signout').hidden = session.auth !== 'token';
  route();
}

// ---- pages ---------------------------------------------------------------------------

function notFoundPage() {
  return {title: 'Not found', root: h('section', {class: 'panel'}, h('h1', {}, 'No such page'), link('/ui/', 'Back to the overview')), refresh: async () => {}};
}

function stateTiles(counts, fn) {
  return h('div', {class: 'tiles'}, STATES.map((s) => {
    const q = new URLSearchParams({state: s});
    if (fn) q.set('function', fn);
    return link(`/ui/calls?${q}`, [h('span', {class: 'n'}, fmtCount(counts[s] || 0)), h('span', {class: 'label'}, s.replace('_', ' '))],
      {class: `tile s-${s}`, 'data-count-state': s});
  }));
}

// A bar per minute: succeeded above, failed and timed out in red on top.
function chart(minutes) {
  const W = 720, H = 180, PAD = 24;
  const bw = (W - PAD) / minutes.length;
  let max = 1;
  let ok = 0, bad = 0;
  for (const m of minutes) {
    const c = m.counts;
    const good = c.succeeded || 0;
    const fail = (c.failed || 0) + (c.timed_out || 0);
    ok += good; bad += fail;
    max = Math.max(max, good + fail);
  }
  const s = svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', preserveAspectRatio: 'none',
    'aria-label': `Calls finished per minute in the last hour: ${ok} succeeded, ${bad} failed or timed out`});
  const scale = (H - PAD) / max;
  minutes.forEach((m, i) => {
    const c = m.counts;
    const good = c.succeeded || 0;
    const fail = (c.failed || 0) + (c.timed_out || 0);
    const x = PAD + i * bw + 1;
    const gh = good * scale, fh = fail * scale;
    if (gh > 0) s.append(Object.assign(svg('rect', {class: 'bar-ok', x, y: H - PAD - gh, width: Math.max(1, bw - 2), height: gh})));
    if (fh > 0) s.append(svg('rect', {class: 'bar-bad', x, y: H - PAD - gh - fh, width: Math.max(1, bw - 2), height: fh}));
    const title = svg('title', {});
    title.textContent = `${fmtTime(m.minute)}: ${good} succeeded, ${fail} failed`;
    const hit = svg('rect', {x, y: 0, width: Math.max(1, bw - 2), height: H - PAD, fill: 'transparent'});
    hit.append(title);
    s.append(hit);
  });
  s.append(svg('line', {class: 'axis', x1: PAD, y1: H - PAD, x2: W, y2: H - PAD}));
  const top = svg('text', {x: 0, y: 12});
  top.textContent = String(max);
  const left = svg('text', {x: PAD, y: H - 6});
  left.textContent = '−60 min';
  const right = svg('text', {x: W - 30, y: H - 6});
  right.textContent = 'now';
  s.append(top, left, right);
  const total = ok + bad;
  const rate = total ? `${(100 * bad / total).toFixed(1)}% failed` : 'no calls finished';
  return [s, h('div', {class: 'legend'},
    h('span', {}, h('span', {class: 'sw ok'}), `succeeded ${fmtCount(ok)}`),
    h('span', {}, h('span', {class: 'sw bad'}), `failed or timed out ${fmtCount(bad)}`),
    h('span', {id: 'failure-rate'}, `${fmtCount(total)} in the last hour · ${rate}`))];
}

function callRow(c, cols) {
  const cells = {
    id: () => h('td', {class: 'mono'}, link(`/ui/calls/${c.id}`, shortId(c.id), {title: c.id, 'data-call-id': c.id})),
    function: () => h('td', {}, link(`/ui/functions/${encodeURIComponent(c.function)}`, c.function)),
    state: () => h('td', {}, badge(c.state)),
    attempt: () => h('td', {class: 'num wide'}, `${c.attempt}/${c.max_retries + 1}`),
    created: () => h('td', {class: 'wide'}, fmtTime(c.created_at)),
    started: () => h('td', {class: 'wide'}, fmtTime(c.started_at)),
    finished: () => h('td', {}, fmtTime(c.finished_at)),
    runtime: () => h('td', {class: 'num'}, fmtDuration(runTime(c))),
    error: () => h('td', {class: 'err'}, c.error || ''),
  };
  return h('tr', {'data-call-id': c.id, 'data-call-state': c.state}, cols.map((k) => cells[k]()));
}
const COL_LABELS = {id: ['ID'], function: ['Function'], state: ['State'], attempt: ['Attempt', 'num wide'], created: ['Created', 'wide'],
  started: ['Started', 'wide'], finished: ['Finished'], runtime: ['Run time', 'num'], error: ['Error']};
function callTable(calls, cols, emptyText, id) {
  return table(cols.map((k) => COL_LABELS[k]), calls.map((c) => callRow(c, cols)), emptyText, {id});
}

function overviewPage() {
  const facts = h('dl', {class: 'facts', id: 'facts'});
  const tiles = h('div', {id: 'state-counts'});
  const chartBox = h('div', {class: 'chart', id: 'chart'});
  const running = h('div', {id: 'running'});
  const failures = h('div', {id: 'failures'});
  const functions = h('div', {id: 'function-counts'});
  const root = h('div', {},
    h('h1', {}, 'Overview'),
    h('section', {class: 'panel'}, facts),
    h('section', {class: 'panel'}, h('h2', {}, 'Calls by state'), tiles),
    h('section', {class: 'panel'}, h('h2', {}, 'Finished per minute, last hour'), chartBox),
    h('div', {class: 'grid'},
      h('section', {class: 'panel'}, h('h2', {}, 'Running now'), running),
      h('section', {class: 'panel'}, h('h2', {}, 'Last failures'), failures)),
    h('section', {class: 'panel'}, h('h2', {}, 'Calls by function'), functions));
  async function refresh() {
    const [stats, run, failed, timedOut] = await Promise.all([
      api('/v1/stats'), api('/v1/calls?state=running&limit=20'),
      api('/v1/calls?state=failed&limit=10'), api('/v1/calls?state=timed_out&limit=10')]);
    app.clockSkew = Date.parse(stats.now) - Date.now();
    const fact = (label, value, id) => h('div', {}, h('dt', {}, label), h('dd', {id}, value));
    update(facts, JSON.stringify([stats.version, Math.floor(stats.uptime_ms / 60000), stats.max_inflight, stats.running_here, stats.database_bytes]),
      fact('Version', stats.version, 'fact-version'), fact('Uptime', fmtDuration(Math.floor(stats.uptime_ms / 60000) * 60000 || stats.uptime_ms), 'fact-uptime'),
      fact('Max in flight', stats.max_inflight, 'fact-max-inflight'), fact('Running here', stats.running_here, 'fact-running'),
      fact('Database', fmtBytes(stats.database_bytes), 'fact-database'));
    update(tiles, JSON.stringify(stats.states), stateTiles(stats.states));
    update(chartBox, JSON.stringify(stats.finished_per_minute), chart(stats.finished_per_minute));
    update(running, JSON.stringify([Math.floor(serverNow() / 1000), run.calls.map((c) => c.id)]), callTable(run.calls, ['id', 'function', 'started', 'runtime'], 'Nothing is running.', 'running-table'));
    const fails = failed.calls.concat(timedOut.calls).sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, 10);
    update(failures, JSON.stringify(fails.map((c) => [c.id, c.state])),
      callTable(fails, ['id', 'function', 'finished', 'error'], 'No failures.', 'failures-table'));
    const names = Object.keys(stats.functions).sort();
    update(functions, JSON.stringify(stats.functions), table([['Function']].concat(STATES.map((s) => [s.replace('_', ' '), 'num'])),
      names.map((n) => h('tr', {'data-function': n}, h('td', {}, link(`/ui/functions/${encodeURIComponent(n)}`, n)),
        STATES.map((s) => h('td', {class: 'num', 'data-state': s}, fmtCount(stats.functions[n][s] || 0))))),
      'No calls yet.', {id: 'function-table'}));
  }
  return {title: 'Overview', root, refresh};
}

function callsPage(params) {
  const state = params.get('state') || '';
  const fn = params.get('function') || '';
  const text = params.get('text') || '';
  const pipeline = params.get('pipeline') || '';
  const before = params.get('before') || '';
  const stateSel = h('select', {name: 'state', id: 'filter-state'}, h('option', {value: ''}, 'any'),
    STATES.map((s) => h('option', {value: s, selected: s === state}, s.replace('_', ' '))));
  const fnInput = h('input', {type: 'text', name: 'function', id: 'filter-function', value: fn, list: 'function-names', autocomplete: 'off', size: 14});
  const names = h('datalist', {id: 'function-names'});
  const textInput = h('input', {type: 'search', name: 'text', id: 'filter-text', value: text, placeholder: 'ID prefix or error text'});
  const form = h('form', {class: 'filters', id: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if (stateSel.value) q.set('state', stateSel.value);
    if (fnInput.value.trim()) q.set('function', fnInput.value.trim());
    if (textInput.value.trim()) q.set('text', textInput.value.trim());
    if (pipeline) q.set('pipeline', pipeline);
    navigate(`/ui/calls${q.toString() ? '?' + q : ''}`);
  }},
  h('label', {}, 'State', stateSel), h('label', {}, 'Function', fnInput, names), h('label', {}, 'Text', textInput),
  h('button', {type: 'submit', class: 'primary', id: 'filter-apply'}, 'Filter'),
  (state || fn || text || pipeline) ? link('/ui/calls', 'Clear') : null);
  const list = h('div', {id: 'calls'});
  const pager = h('div', {class: 'pager', id: 'pager'});
  const scope = pipeline ? h('p', {id: 'calls-pipeline'}, 'The calls of pipeline ',
    link(`/ui/pipelines/${encodeURIComponent(pipeline)}`, shortId(pipeline), {title: pipeline})) : null;
  const root = h('div', {}, h('h1', {}, 'Calls'), scope, h('section', {class: 'panel'}, form, list, pager));
  let namesLoaded = false;
  function pageUrl(b) {
    const q = new URLSearchParams();
    if (state) q.set('state', state);
    if (fn) q.set('function', fn);
    if (text) q.set('text', text);
    if (pipeline) q.set('pipeline', pipeline);
    if (b) q.set('before', b);
    return `/ui/calls${q.toString() ? '?' + q : ''}`;
  }
  async function refresh() {
    const q = new URLSearchParams({limit: '50'});
    if (state) q.set('state', state);
    if (fn) q.set('function', fn);
    if (text) q.set('text', text);
    if (pipeline) q.set('pipeline', pipeline);
    if (before) q.set('before', before);
    const data = await api(`/v1/calls?${q}`);
    if (!namesLoaded) {
      namesLoaded = true;
      api('/v1/functions').then((f) => fill(names, f.functions.map((x) => h('option', {value: x.name})))).catch(() => {});
    }
    const ticking = data.calls.some((c) => c.state === 'running') ? Math.floor(serverNow() / 1000) : 0;
    update(list, JSON.stringify([ticking, data.calls.map((c) => [c.id, c.state, c.attempt, c.finished_at, c.started_at])]),
      callTable(data.calls, ['id', 'function', 'state', 'attempt', 'created', 'runtime', 'error'], 'No calls match.', 'calls-table'));
    const note = text && data.examined !== undefined && data.next_before
      ? h('span', {class: 'muted'}, `Searched ${fmtCount(data.examined)} calls;`) : null;
    update(pager, JSON.stringify([before, data.next_before, data.examined]),
      before ? link(pageUrl(''), '← Newest') : null, note,
      data.next_before ? link(pageUrl(data.next_before), text && data.calls.length < 50 ? 'search older calls →' : 'Older →', {id: 'older'}) : null);
  }
  return {title: 'Calls', root, refresh};
}

function blobPanel(title, kind, id) {
  const body = h('div', {id: `blob-${kind}`});
  const details = h('details', {open: kind !== 'input', id: `details-${kind}`}, h('summary', {}, title), body);
  let key = null;
  async function refresh(call, size) {
    const k = JSON.stringify([call.attempt, call.state, call.finished_at, size]);
    if (k === key) return;
    key = k;
    const href = `/v1/calls/${encodeURIComponent(id)}/${kind}`;
    const download = h('a', {href, download: `${id}.${kind}`, class: 'download', id: `download-${kind}`}, 'Download');
    if (size === 0 && kind !== 'stderr') { fill(body, h('p', {class: 'muted'}, 'Empty.')); return; }
    if (size > INLINE_LIMIT) { fill(body, h('p', {}, `${fmtBytes(size)}: too large to show here. `, download)); return; }
    const bytes = await fetchBlob(id, kind);
    if (bytes.length === 0) { fill(body, h('p', {class: 'muted'}, 'Empty.')); return; }
    const text = utf8(bytes);
    if (text === null) { fill(body, h('p', {}, `${fmtBytes(bytes.length)} of binary data. `, download)); return; }
    fill(body, h('pre', {class: 'blob', id: `pre-${kind}`, tabindex: 0}, text), h('p', {}, `${fmtBytes(bytes.length)} · `, download));
  }
  return {root: h('section', {class: 'panel'}, details), refresh};
}

// How an attempt ended, in a few words: "exit 3", "signal 9", or its state.
function attemptEnd(a) {
  const how = [a.state.replace('_', ' ')];
  if (a.exit_code !== null && a.exit_code !== undefined) how.push(`exit ${a.exit_code}`);
  if (a.signal !== null && a.signal !== undefined) how.push(`signal ${a.signal}`);
  return how.join(', ');
}

// The call's life: created, each earlier attempt (calls stored before fnqd
// kept them only count them), the current attempt, and its end.
function timelineItems(c) {
  const ev = (label, iso, extra, attrs) => h('li', attrs || {}, h('strong', {}, label), extra ? ` ${extra}` : '', h('time', {datetime: iso}, fmtTime(iso)));
  const earlier = c.attempts || [];
  const kept = new Set(earlier.map((a) => a.attempt));
  const lastKept = earlier.length ? earlier[earlier.length - 1].attempt : 0;
  let unknown = 0;
  for (let n = 1; n < c.attempt; n++) if (!kept.has(n)) unknown++;
  const items = [ev('Created', c.created_at)];
  if (unknown) items.push(h('li', {}, h('strong', {}, `${unknown} earlier attempt${unknown > 1 ? 's' : ''}`), h('time', {}, 'their times are not kept')));
  for (const a of earlier) {
    const ran = a.started_at && a.finished_at ? ` after ${fmtDuration(Date.parse(a.finished_at) - Date.parse(a.started_at))}` : '';
    items.push(h('li', {class: 'attempt', 'data-attempt': a.attempt, 'data-attempt-state': a.state},
      h('strong', {}, `Attempt ${a.attempt}: ${attemptEnd(a)}`), ran,
      a.error ? h('span', {class: 'attempt-error'}, a.error) : null,
      h('time', {datetime: a.started_at || ''}, `${fmtTime(a.started_at)} → ${fmtTime(a.finished_at)}`)));
  }
  const current = c.started_at && !kept.has(c.attempt);
  if (!current && lastKept && lastKept === c.attempt) {
    if (!c.finished_at) items.push(ev(`Attempt ${c.attempt + 1} due`, c.run_at));
  } else if (!c.started_at && c.run_at !== c.created_at) {
    items.push(ev('Runs at', c.run_at));
  }
  if (current) {
    items.push(ev(`Attempt ${c.attempt} started`, c.started_at, c.finished_at ? '' : `(running ${fmtDuration(runTime(c))})`,
      {class: 'attempt current', 'data-attempt': c.attempt}));
  }
  if (c.finished_at) items.push(ev(`Finished: ${c.state.replace('_', ' ')}`, c.finished_at, c.duration_ms !== null ? `after ${fmtDuration(c.duration_ms)}` : ''));
  return items;
}

function callPage(id) {
  const heading = h('h1', {}, 'Call ', h('span', {class: 'mono'}, id));
  const stateBox = h('div', {id: 'call-state'});
  const actions = h('div', {class: 'actions', id: 'call-actions'});
  const message = h('p', {class: 'message', id: 'action-message', role: 'status', hidden: true});
  const fields = h('dl', {class: 'fields', id: 'call-fields'});
  const timeline = h('ol', {class: 'timeline', id: 'timeline'});
  const relations = h('div', {id: 'relations'});
  const input = blobPanel('Input', 'input', id);
  const output = blobPanel('Output', 'output', id);
  const stderr = blobPanel('Stderr (last 64 KiB)', 'stderr', id);
  const root = h('div', {}, heading, stateBox, message, actions,
    h('div', {class: 'grid'},
      h('section', {class: 'panel'}, h('h2', {}, 'Fields'), fields),
      h('div', {class: 'stack'},
        h('section', {class: 'panel'}, h('h2', {}, 'Timeline'), timeline),
        h('section', {class: 'panel'}, h('h2', {}, 'Needs and dependents'), relations))),
    output.root, stderr.root, input.root);
  let fullId = id;
  async function act(kind) {
    const verb = kind === 'cancel' ? 'Cancel' : 'Retry';
    const text = kind === 'cancel'
      ? `Cancel call ${shortId(fullId)}? A running call's process is stopped (SIGTERM, then SIGKILL).`
      : `Run call ${shortId(fullId)} again, under the same ID?`;
    if (!await confirmAction(`${verb} this call?`, text, `${verb} call`)) return;
    message.hidden = false;
    message.className = 'message info';
    try {
      const r = await api(`/v1/calls/${encodeURIComponent(fullId)}/${kind}`, {method: 'POST'});
      message.textContent = kind === 'cancel' ? `Cancel: ${r.result}.` : 'Queued again.';
    } catch (e) {
      message.className = 'message';
      message.textContent = `${verb} refused: ${e.message}`;
    }
    tick();
  }
  async function refresh() {
    const c = await api(`/v1/calls/${encodeURIComponent(id)}`);
    fullId = c.id;
    const deps = await api(`/v1/calls/${encodeURIComponent(c.id)}/dependents`);
    update(stateBox, JSON.stringify([c.state, c.error, c.pipeline, c.stage]), h('p', {}, badge(c.state), ' ',
      link(`/ui/functions/${encodeURIComponent(c.function)}`, c.function), c.error ? h('span', {class: 'err'}, ` · ${c.error}`) : null),
      c.pipeline ? h('p', {id: 'call-pipeline'}, 'Stage ', h('strong', {id: 'call-stage'}, c.stage || '—'), ' of pipeline ',
        link(`/ui/pipelines/${encodeURIComponent(c.pipeline)}`, shortId(c.pipeline), {class: 'mono', title: c.pipeline, id: 'pipeline-link'})) : null);
    const canCancel = !TERMINAL.has(c.state);
    const canRetry = TERMINAL.has(c.state) && c.state !== 'succeeded';
    update(actions, JSON.stringify([canCancel, canRetry]),
      canCancel ? h('button', {type: 'button', class: 'danger', id: 'cancel', onclick: () => act('cancel')}, 'Cancel…') : null,
      canRetry ? h('button', {type: 'button', class: 'primary', id: 'retry', onclick: () => act('retry')}, 'Retry…') : null);
    const row = (k, v) => [h('dt', {}, k), h('dd', {'data-field': k}, v === null || v === undefined || v === '' ? '—' : v)];
    update(fields, JSON.stringify(c), [
      row('id', h('span', {class: 'mono'}, c.id)), row('function', c.function), row('state', c.state),
      row('attempt', `${c.attempt} of ${c.max_retries + 1}`), row('exit code', c.exit_code), row('signal', c.signal), row('error', c.error),
      row('priority', c.priority), row('sync', c.sync ? 'yes' : 'no'), row('key', c.key), row('exec timeout', c.exec_timeout),
      c.pipeline ? row('pipeline', link(`/ui/pipelines/${encodeURIComponent(c.pipeline)}`, c.pipeline, {class: 'mono'})) : [],
      c.pipeline ? row('stage', c.stage) : [],
      row('duration', fmtDuration(c.duration_ms)), row('input size', fmtBytes(c.input_size)),
      row('output size', fmtBytes(c.output_size) + (c.output_truncated ? ' (truncated)' : '')),
      row('callback', c.callback ? `${c.callback.url} · ${c.callback.state} · ${c.callback.attempts} tries${c.callback.last_status ? ' · HTTP ' + c.callback.last_status : ''}` : null),
    ].flat());
    update(timeline, JSON.stringify([c.created_at, c.run_at, c.started_at, c.finished_at, c.attempt, c.state, c.attempts, c.state === 'running' ? Math.floor(serverNow() / 1000) : 0]),
      timelineItems(c));
    const ids = (list) => list.length ? h('div', {class: 'links mono'}, list.map((x) => link(`/ui/calls/${x}`, shortId(x), {title: x}))) : h('span', {class: 'muted'}, 'none');
    update(relations, JSON.stringify([c.needs, c.input_from, deps.dependents]),
      h('dl', {class: 'fields'}, h('dt', {}, 'needs'), h('dd', {id: 'needs'}, ids(c.needs)),
        h('dt', {}, 'input from'), h('dd', {}, c.input_from ? ids([c.input_from]) : '—'),
        h('dt', {}, 'needed by'), h('dd', {id: 'dependents'}, ids(deps.dependents))));
    await Promise.all([output.refresh(c, c.output_size), stderr.refresh(c, null), input.refresh(c, c.input_size)]);
    document.title = `Call ${shortId(c.id)} (${c.state}) · fnq`;
  }
  return {title: `Call ${shortId(id)}`, root, refresh};
}

function functionsPage() {
  const list = h('div', {id: 'functions'});
  const root = h('div', {}, h('h1', {}, 'Functions'), h('section', {class: 'panel'}, list));
  async function refresh() {
    const [fns, stats] = await Promise.all([api('/v1/functions'), api('/v1/stats')]);
    const num = (n, s) => ((stats.functions[n] || {})[s]) || 0;
    const counts = (n, s) => fmtCount(num(n, s));
    update(list, JSON.stringify([fns, stats.functions]), table(
      [['Name'], ['Command', 'wide'], ['Concurrency', 'num wide'], ['Retries', 'num wide'], ['Exec timeout', 'wide'],
        ['Queued', 'num'], ['Running', 'num'], ['Succeeded', 'num'], ['Failed', 'num']],
      fns.functions.map((f) => h('tr', {'data-function': f.name},
        h('td', {}, link(`/ui/functions/${encodeURIComponent(f.name)}`, f.name)),
        h('td', {class: 'mono wide'}, f.command.join(' ')),
        h('td', {class: 'num wide'}, f.concurrency === null ? 'any' : f.concurrency),
        h('td', {class: 'num wide'}, f.max_retries === null ? 'default' : f.max_retries),
        h('td', {class: 'wide'}, f.exec_timeout || 'default'),
        h('td', {class: 'num'}, counts(f.name, 'queued')), h('td', {class: 'num'}, counts(f.name, 'running')),
        h('td', {class: 'num'}, counts(f.name, 'succeeded')), h('td', {class: 'num'}, fmtCount(num(f.name, 'failed') + num(f.name, 'timed_out'))))),
      'No functions registered (fnq fn add NAME -- COMMAND).', {id: 'functions-table'}));
  }
  return {title: 'Functions', root, refresh};
}

function functionPage(name) {
  const def = h('dl', {class: 'fields', id: 'function-fields'});
  const tiles = h('div', {id: 'state-counts'});
  const recent = h('div', {id: 'recent'});
  const root = h('div', {}, h('h1', {}, 'Function ', h('span', {class: 'mono'}, name)),
    h('section', {class: 'panel'}, h('h2', {}, 'Calls by state'), tiles),
    h('div', {class: 'grid'},
      h('section', {class: 'panel'}, h('h2', {}, 'Definition'), def),
      h('section', {class: 'panel'}, h('h2', {}, 'Recent calls'), recent,
        h('p', {}, link(`/ui/calls?function=${encodeURIComponent(name)}`, 'All calls of this function →')))));
  async function refresh() {
    const [stats, calls] = await Promise.all([api('/v1/stats'), api(`/v1/calls?function=${encodeURIComponent(name)}&limit=20`)]);
    let f = null;
    try { f = await api(`/v1/functions/${encodeURIComponent(name)}`); } catch (e) { if (e.status !== 404) throw e; }
    update(tiles, JSON.stringify(stats.functions[name] || {}), stateTiles(stats.functions[name] || {}, name));
    const val = (v) => (v === null || v === undefined ? 'default' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    update(def, JSON.stringify(f), f
      ? Object.entries(f).map(([k, v]) => [h('dt', {}, k.replace(/_/g, ' ')), h('dd', {class: k === 'command' ? 'mono' : null}, k === 'command' ? v.join(' ') : val(v))]).flat()
      : [h('dt', {}, 'status'), h('dd', {}, 'not registered (deleted); its calls remain until pruned')]);
    update(recent, JSON.stringify(calls.calls.map((c) => [c.id, c.state, c.finished_at])),
      callTable(calls.calls, ['id', 'state', 'created', 'runtime', 'error'], 'No calls yet.', 'recent-table'));
  }
  return {title: name, root, refresh};
}

// ---- start ---------------------------------------------------------------------------

async function start() {
  document.getElementById('pause').addEventListener('click', () => setPaused(!app.paused));
  document.getElementById('signout').addEventListener('click', async () => {
    try { await api('/ui/session', {method: 'DELETE'}); } catch (e) { /* signed out anyway */ }
    showSignIn('Signed out.');
  });
  setPaused(app.paused);
  let session;
  try {
    session = await api('/ui/session');
  } catch (e) {
    setStatus(`Cannot reach fnqd: ${e.message}`, true);
    return;
  }
  if (session.signed_in) signedIn(session); else showSignIn('');
}

start();
