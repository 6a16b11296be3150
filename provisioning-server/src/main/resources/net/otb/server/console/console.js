// The OverTheBox operators' console: plain JavaScript, no build step. Signs its requests as OVH's clients do, with the
// operator's credential, and reads the admin API every few seconds.
'use strict';

const OTB = window.OTB = window.OTB || {};

// Who the tab signs as: the operator's credential (application key and secret, consumer key), read from the login
// form or from the fragment #credential=<base64url JSON>, kept in this tab's sessionStorage only. The secret signs
// requests here and is never sent: OVH's scheme sends the two keys, a timestamp and the signature.
const CREDENTIAL_STORAGE = 'otb.console.credential';
// Routes the server serves unsigned; every other /1.0 route checks the signature and the credential's rules.
const PUBLIC_PATHS = new Set(['/1.0/auth/time', '/1.0/openapi.json']);
// A POST signed alike twice in one second (same call and body) would be refused as a replay: sign it a second later.
const MAX_BUMP_SECONDS = 55;

OTB.credential = null;
OTB.rules = [];
OTB.role = null;
OTB.timeDelta = null;

const REFRESH_MILLIS = 2000;
const BOX_STATES = ['applied', 'failed', 'pushed', 'pending', 'superseded', 'skipped', 'reverted', 'withdrawn'];
const STATE_COLOURS = {applied: 'var(--applied)', failed: 'var(--failed)', pushed: 'var(--pushed)',
  pending: 'var(--pending)', superseded: 'var(--other)', skipped: '#e3e6e9', reverted: 'var(--reverted)',
  withdrawn: 'var(--withdrawn)'};
// a wave's label: red only for a wave that failed its abort rule; a cancelled wave is grey, not failed
const WAVE_COLOURS = {failed: '#d4352c', cancelled: '#62707e', done: '#2e9d5b', running: '#2f7fe0'};
// the rollouts (newest first) whose boxes the page lists beside their card
const ROLLOUTS_WITH_BOXES = 3;
const BOXES_SHOWN = 8;

let refreshTimer = null;
const recentSignatures = new Set();

function newKey() {
  if (window.crypto && crypto.randomUUID) {
    return crypto.randomUUID();
  }
  return 'console-' + Date.now() + '-' + Math.random().toString(16).slice(2);
}

function credentialOf(value) {
  const fields = ['applicationKey', 'applicationSecret', 'consumerKey'];
  if (!value || typeof value !== 'object' || fields.some(f => typeof value[f] !== 'string' || !value[f].trim())) {
    throw new Error('a credential has an applicationKey, an applicationSecret and a consumerKey');
  }
  return {applicationKey: value.applicationKey.trim(), applicationSecret: value.applicationSecret.trim(),
    consumerKey: value.consumerKey.trim()};
}

function storedCredential() {
  try {
    const text = sessionStorage.getItem(CREDENTIAL_STORAGE);
    return text ? credentialOf(JSON.parse(text)) : null;
  } catch (e) {
    sessionStorage.removeItem(CREDENTIAL_STORAGE);
    return null;
  }
}

function keepCredential(credential) {
  OTB.credential = credential;
  if (credential) {
    sessionStorage.setItem(CREDENTIAL_STORAGE, JSON.stringify(credential));
  } else {
    sessionStorage.removeItem(CREDENTIAL_STORAGE);
  }
}

function fromBase64Url(text) {
  let base64 = decodeURIComponent(text).replace(/-/g, '+').replace(/_/g, '/');
  while (base64.length % 4) {
    base64 += '=';
  }
  return new TextDecoder().decode(Uint8Array.from(atob(base64), c => c.charCodeAt(0)));
}

// #credential=<base64url JSON>[&service=NAME]: taken into sessionStorage, then removed from the address bar (and so
// from the history) before anything else runs. A fragment never reaches the server.
function credentialFromFragment() {
  const parts = location.hash.replace(/^#/, '').split('&').filter(p => p);
  const given = parts.find(p => p.startsWith('credential='));
  if (given === undefined) {
    return null;
  }
  const kept = parts.filter(p => !p.startsWith('credential='));
  history.replaceState(null, '', location.pathname + location.search + (kept.length ? '#' + kept.join('&') : ''));
  try {
    keepCredential(credentialOf(JSON.parse(fromBase64Url(given.slice('credential='.length)))));
    return null;
  } catch (e) {
    return 'the #credential= fragment is not a credential in base64url JSON: ' + e.message;
  }
}

async function sha1Hex(text) {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('');
}

// OVH's signature: "$1$" + hex(SHA-1(secret + consumerKey + METHOD + fullUrl + body + timestamp, joined by "+")),
// fullUrl = "https://" + host without its port + path and query exactly as sent.
async function ovhSignature(credential, method, fullUrl, body, timestamp) {
  return '$1$' + await sha1Hex([credential.applicationSecret, credential.consumerKey, method, fullUrl, body,
    timestamp].join('+'));
}

// Seconds to add to this machine's clock to get the server's, read once from GET /1.0/auth/time (as OVH's clients do).
async function serverTimeDelta() {
  if (OTB.timeDelta === null) {
    const serverTime = await api('GET', '/1.0/auth/time');
    OTB.timeDelta = Number(serverTime) - Math.floor(Date.now() / 1000);
  }
  return OTB.timeDelta;
}

async function signatureHeaders(method, target, body) {
  const credential = OTB.credential;
  const fullUrl = 'https://' + location.hostname + target;
  let timestamp = Math.floor(Date.now() / 1000) + await serverTimeDelta();
  let signature = await ovhSignature(credential, method, fullUrl, body, timestamp);
  if (method !== 'GET') {
    for (let bump = 1; recentSignatures.has(signature) && bump < MAX_BUMP_SECONDS; bump++) {
      timestamp += 1;
      signature = await ovhSignature(credential, method, fullUrl, body, timestamp);
    }
    recentSignatures.add(signature);
    if (recentSignatures.size > 256) {
      recentSignatures.delete(recentSignatures.values().next().value);
    }
  }
  return {'X-Ovh-Application': credential.applicationKey, 'X-Ovh-Consumer': credential.consumerKey,
    'X-Ovh-Timestamp': String(timestamp), 'X-Ovh-Signature': signature};
}

// Every request of the page goes through here, the one place that adds headers: Accept, the body's type, an
// Idempotency-Key on a POST, and OVH's signature on every route but the public ones. A 401 or 403 signs the tab out
// and shows the server's message on the login form.
async function api(method, path, body) {
  const url = new URL(path, location.origin);
  const target = url.pathname + url.search;
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = {'Accept': 'application/json'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET') {
    headers['Idempotency-Key'] = newKey();
  }
  if (!PUBLIC_PATHS.has(url.pathname)) {
    if (!OTB.credential) {
      const error = new Error('sign in first');
      error.status = 401;
      throw error;
    }
    Object.assign(headers, await signatureHeaders(method, target, text));
  }
  const response = await fetch(url, {method, headers, body: body === undefined ? undefined : text});
  const answer = await response.text();
  let json = null;
  try {
    json = answer ? JSON.parse(answer) : null;
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    const error = new Error((json && (json.message || json.detail || json.title)) || ('HTTP ' + response.status));
    error.status = response.status;
    error.problem = json;
    if (response.status === 401 || response.status === 403) {
      showLogin(`${method} ${url.pathname} refused (${response.status}): ${error.message}`);
    }
    throw error;
  }
  return json;
}
OTB.api = api;

// Whether the credential's rules (OVH's form, '*' for any run of characters) grant a call; the server decides,
// the page only hides what would be refused.
function granted(method, apiPath) {
  return OTB.rules.some(rule => rule.method === method && new RegExp('^' + rule.path.split('*')
    .map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$').test(apiPath));
}
OTB.granted = granted;

function esc(value) {
  return String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g,
    c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

function when(instant) {
  return instant ? esc(instant.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '';
}

function byId(id) {
  return document.getElementById(id);
}

function setText(id, value) {
  byId(id).textContent = value;
}

function rows(tableId, html) {
  byId(tableId).querySelector('tbody').innerHTML = html;
}

function showFailure(message) {
  const box = byId('failure');
  box.hidden = !message;
  box.textContent = message || '';
}

async function loadFleet() {
  const [fleet, models, instances] = await Promise.all([
    api('GET', '/1.0/admin/fleet'), api('GET', '/1.0/admin/fleet/models'), api('GET', '/1.0/admin/instances')]);
  setText('devices-total', fleet.devices);
  setText('online-total', fleet.connected);
  setText('errors-total', fleet.tasksByState.error);
  let inSync = 0;
  let behind = 0;
  rows('models', models.models.map(m => {
    inSync += m.inSync;
    behind += m.behind;
    const share = m.bound ? Math.round(100 * m.inSync / m.bound) : 100;
    return `<tr data-model="${esc(m.model)}"><td>${esc(m.model)}</td><td>${m.devices}</td>`
      + `<td class="online">${m.online}</td><td>${m.bound}</td><td>${m.inSync}</td><td>${m.behind}</td>`
      + `<td><span class="bar" title="${share} % in sync"><span style="width:${share}%"></span></span> ${share} %</td></tr>`;
  }).join(''));
  setText('insync-total', inSync);
  setText('behind-total', behind);
  rows('instances', instances.map(i => `<tr><td>${esc(i.instance)}${i.self ? ' (this one)' : ''}</td>`
    + `<td>${i.sessions}</td><td>${i.rolloutsLeased}</td></tr>`).join(''));
  rows('behind', models.behind.length === 0 ? '<tr><td colspan="6" class="empty">every bound box runs its desired generation</td></tr>'
    : models.behind.map(b => `<tr><td>${esc(b.deviceId)}</td><td>${esc(b.model)}</td><td>${b.online ? 'yes' : 'no'}</td>`
      + `<td><a href="#service=${encodeURIComponent(b.serviceName)}">${esc(b.serviceName)}</a></td>`
      + `<td>${b.appliedGeneration}</td><td>${b.desiredGeneration}</td></tr>`).join(''));
}

// One horizontal stacked bar per wave, each as long as the wave is large, coloured by its boxes' states.
function waveChart(rollout) {
  const width = 520;
  const label = 70;
  const rowHeight = 20;
  const largest = Math.max(1, ...rollout.waves.map(w => w.size));
  const height = rollout.waves.length * rowHeight + 4;
  let svg = `<svg class="chart" role="img" aria-label="waves of rollout ${rollout.id}" width="${width + label + 90}" `
    + `height="${height}" viewBox="0 0 ${width + label + 90} ${height}">`;
  rollout.waves.forEach((w, i) => {
    const y = i * rowHeight + 2;
    svg += `<text x="0" y="${y + 13}" font-size="12" fill="#62707e">wave ${w.wave}</text>`;
    let x = label;
    for (const state of BOX_STATES) {
      const n = w.boxes[state] || 0;
      if (n === 0) {
        continue;
      }
      const segment = width * n / largest;
      svg += `<rect x="${x.toFixed(1)}" y="${y}" width="${segment.toFixed(1)}" height="${rowHeight - 6}" `
        + `fill="${STATE_COLOURS[state]}"><title>wave ${w.wave}: ${n} ${state}</title></rect>`;
      x += segment;
    }
    svg += `<text x="${x + 6}" y="${y + 13}" font-size="12" fill="${WAVE_COLOURS[w.state] || '#1b2733'}" `
      + `data-wave-state="${esc(w.state)}">${w.size} · ${esc(w.state)}</text>`;
  });
  return svg + '</svg>';
}

function legend() {
  return '<div class="legend">' + BOX_STATES.map(s => `<span><i style="background:${STATE_COLOURS[s]}"></i>${s}</span>`)
    .join('') + '</div>';
}

function rolloutActions(r) {
  const buttons = [];
  if (r.state === 'running' || r.state === 'scheduled') {
    buttons.push('pause');
  }
  if (r.state === 'paused') {
    buttons.push('resume');
  }
  if (r.state === 'running' || r.state === 'scheduled' || r.state === 'paused') {
    buttons.push('cancel');
  }
  // revert only what changed something: a rollout whose boxes all were taken back has nothing to put back
  if ((r.state === 'aborted' || r.state === 'cancelled' || r.state === 'completed') && !r.revertedAt
    && (r.boxesByState.applied || 0) > 0) {
    buttons.push('revert');
  }
  const allowed = buttons.filter(b => granted('POST', `/admin/rollouts/${r.id}/${b}`));
  if (allowed.length === 0) {
    return '';
  }
  return '<div class="actions">' + allowed.map(b =>
    `<button type="button" data-action="${b}" data-rollout="${r.id}">${b}</button>`).join('') + '</div>';
}

// The rollout's top reasons for failed boxes, with how many boxes gave each.
function failureReasons(r) {
  if (!r.failureReasons || r.failureReasons.length === 0) {
    return '';
  }
  return '<ul class="reasons">' + r.failureReasons.map(f =>
    `<li><b>${f.boxes}</b> ${esc(f.reason)}</li>`).join('') + '</ul>';
}

// A few of the rollout's boxes, failed ones first: their state in the rollout, and live whether the box is
// connected now and runs its service's desired generation (true after the rollout ended too).
function boxTable(r, boxes) {
  if (!boxes || boxes.length === 0) {
    return '';
  }
  return `<details class="boxes" open><summary>boxes (${boxes.length} of ${r.boxes} shown)</summary>`
    + '<table><thead><tr><th>service</th><th>box</th><th>wave</th><th>state</th><th>connected</th><th>in sync</th>'
    + '<th>detail</th></tr></thead><tbody>'
    + boxes.map(b => `<tr data-box="${esc(b.deviceId)}" data-connected="${b.connected}">`
      + `<td><a href="#service=${encodeURIComponent(b.serviceName)}">${esc(b.serviceName)}</a></td>`
      + `<td>${esc(b.deviceId)}</td><td>${b.wave}</td><td><span class="box-state ${esc(b.state)}">${esc(b.state)}</span></td>`
      + `<td class="${b.connected ? 'online' : 'offline'}">${b.connected ? 'connected' : 'offline'}</td>`
      + `<td>${b.inSync ? 'yes' : `no (${b.appliedGeneration}/${b.desiredGeneration})`}</td>`
      + `<td>${esc(b.detail || '')}</td></tr>`).join('')
    + '</tbody></table></details>';
}

async function rolloutBoxes(r) {
  const failed = (r.boxesByState.failed || 0) > 0
    ? await api('GET', `/1.0/admin/rollouts/${r.id}/boxes?state=failed&limit=${BOXES_SHOWN}`) : [];
  const others = failed.length >= BOXES_SHOWN ? []
    : await api('GET', `/1.0/admin/rollouts/${r.id}/boxes?limit=${BOXES_SHOWN}`);
  const seen = new Set(failed.map(b => b.serviceName));
  return failed.concat(others.filter(b => !seen.has(b.serviceName))).slice(0, BOXES_SHOWN);
}

// The current wave against its abort rule: its failed boxes, how many more would abort it, and when the rollout
// should end at its rate (the boxes still pending, at maxPerMinute).
function headline(r) {
  const w = r.waves[r.currentWave - 1];
  if (!w || r.state === 'completed' || r.state === 'cancelled') {
    return '';
  }
  const failed = w.boxes.failed || 0;
  const considered = w.size - (w.boxes.skipped || 0) - (w.boxes.superseded || 0);
  // the rule: abort when failed × 100 > abortFailurePercent × considered
  const abortAt = Math.floor(r.abortFailurePercent * considered / 100) + 1;
  let text = `wave ${w.wave}: ${failed} failed of ${considered}, aborts at ${abortAt}`;
  if (r.state === 'running' || r.state === 'scheduled' || r.state === 'paused') {
    text += ` (${Math.max(0, abortAt - failed)} more)`;
    const pending = r.boxesByState.pending || 0;
    if (r.state === 'running' && pending > 0) {
      text += `, ETA ${Math.ceil(pending / r.maxPerMinute)} min at ${r.maxPerMinute}/min`;
    }
  }
  return `<span class="headline" data-headline="${r.id}">${esc(text)}</span>`;
}

async function loadRollouts() {
  const all = await api('GET', '/1.0/admin/rollouts?limit=20');
  const hide = byId('hide-finished') && byId('hide-finished').checked;
  const list = hide ? all.filter(r => r.state !== 'completed' && r.state !== 'cancelled' && r.state !== 'aborted') : all;
  const target = byId('rollout-list');
  if (list.length === 0) {
    target.innerHTML = '<p class="empty">no rollout yet</p>';
    return;
  }
  const boxes = await Promise.all(list.slice(0, ROLLOUTS_WITH_BOXES).map(rolloutBoxes));
  target.innerHTML = legend() + list.map((r, i) => {
    const applied = r.boxesByState.applied || 0;
    const share = r.boxes ? Math.round(100 * applied / r.boxes) : 0;
    return `<div class="rollout" data-rollout-id="${r.id}" data-state="${esc(r.state)}">`
      + `<div class="title"><b>#${r.id} ${esc(r.name)}</b><span class="state ${esc(r.state)}">${esc(r.state)}</span>`
      + `<span>${r.boxes} boxes → ${esc(r.offer)}</span><span>wave ${r.currentWave} of ${r.waveCount}</span>`
      + `<span class="progress"><span class="bar"><span style="width:${share}%"></span></span> ${applied} applied, `
      + `${r.boxesByState.failed || 0} failed</span>${headline(r)}</div>`
      + (r.detail ? `<div class="detail">${esc(r.detail)}</div>` : '')
      + failureReasons(r)
      + `<div class="detail">max ${r.maxPerMinute}/min, abort above ${r.abortFailurePercent} % failed or after `
      + `${r.waveTimeoutSeconds} s per wave; by ${esc(r.actor)}${r.leaseOwner ? ', driven by ' + esc(r.leaseOwner) : ''}`
      + `${r.revertedAt ? ', reverted ' + when(r.revertedAt) : ''}</div>`
      + waveChart(r) + boxTable(r, boxes[i]) + rolloutActions(r) + '</div>';
  }).join('');
}

async function loadErrors() {
  const tasks = await api('GET', '/1.0/admin/tasks?state=error&limit=50');
  rows('error-tasks', tasks.length === 0 ? '<tr><td colspan="7" class="empty">no push task in error</td></tr>'
    : tasks.map(t => `<tr><td>${t.id}</td><td>${esc(t.deviceId)}</td>`
      + `<td><a href="#service=${encodeURIComponent(t.serviceName)}">${esc(t.serviceName)}</a></td>`
      + `<td>${t.generation}</td><td>${esc(t.outcome)}</td><td>${esc(t.detail)}</td><td>${when(t.doneAt)}</td></tr>`).join(''));
}

async function loadService(name) {
  const view = byId('service-view');
  if (!name) {
    view.innerHTML = '<p class="empty">name a service to see its offer, box, migration and audit trail</p>';
    return;
  }
  const path = '/1.0/overTheBox/' + encodeURIComponent(name);
  let service;
  try {
    service = await api('GET', path);
  } catch (e) {
    view.innerHTML = `<p class="empty">${esc(e.message)}</p>`;
    return;
  }
  const [migration, audit] = await Promise.all([
    api('GET', path + '/migration').catch(e => (e.status === 404 ? null : Promise.reject(e))),
    api('GET', path + '/audit?limit=1000')]);
  const d = service.device;
  let html = '<dl class="facts">'
    + `<dt>service</dt><dd id="service-shown">${esc(service.serviceName)} (${esc(service.status)}, account ${esc(service.account)})</dd>`
    + `<dt>offer</dt><dd>${esc(service.offerDisplayName)} (${esc(service.offer)}), ${service.downKbps / 1000} / ${service.upKbps / 1000} Mbps</dd>`
    + `<dt>service IP</dt><dd>${esc(service.serviceIp)}</dd>`
    + `<dt>bound box</dt><dd>${d ? esc(d.deviceId) + ' (' + esc(d.model) + ', ' + (d.connected ? 'online' : 'offline') + ')' : 'none'}</dd>`
    + `<dt>generation</dt><dd>applied ${service.appliedGeneration} / desired ${service.desiredGeneration}${service.inSync ? ' — in sync' : ' — behind'}</dd>`;
  if (migration) {
    html += `<dt>migration</dt><dd>#${migration.migrationId}: ${esc(migration.fromOffer)} → ${esc(migration.toOffer)}, `
      + `${esc(migration.state)} (order ${migration.orderId}, ${esc(migration.orderStatus)})</dd>`;
    html += `<dt>refund</dt><dd>${migration.refund ? esc(migration.refund.amount.text) + ' — ' + esc(migration.refund.formula) : 'none yet'}</dd>`;
  } else {
    html += '<dt>migration</dt><dd>none</dd><dt>refund</dt><dd>none</dd>';
  }
  html += '</dl><h3>Audit trail</h3><ol class="timeline">' + audit.map(e => {
    const bad = /rejected|rolledBack|revoked|aborted/.test(e.action);
    return `<li class="${bad ? 'bad' : ''}"><time>${when(e.occurredAt)}</time><b>${esc(e.action)}</b> `
      + `by ${esc(e.actor)}${e.actorLabel ? ' (says ' + esc(e.actorLabel) + ')' : ''}${e.generation ? ' · generation ' + e.generation : ''}${e.deviceId ? ' · ' + esc(e.deviceId) : ''}`
      + `${e.details ? '<div class="detail">' + esc(e.details) + '</div>' : ''}</li>`;
  }).join('') + '</ol>';
  view.innerHTML = html;
}

function serviceFromHash() {
  const match = /service=([^&]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

async function refresh() {
  try {
    await Promise.all([loadFleet(), loadRollouts(), loadErrors()]);
    showFailure(null);
    setText('updated', 'updated ' + new Date().toISOString().slice(11, 19) + ' UTC');
    document.body.dataset.loaded = 'true';
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) {
      showFailure('cannot read the API: ' + e.message);
    }
  }
}

// Back to the login form: nothing read is left on the page, the credential is forgotten.
function showLogin(message) {
  if (refreshTimer !== null) {
    clearInterval(refreshTimer);
    refreshTimer = null;
  }
  keepCredential(null);
  OTB.rules = [];
  OTB.role = null;
  setText('role', '');
  setText('updated', '');
  byId('content').hidden = true;
  byId('sign-out').hidden = true;
  byId('login').hidden = false;
  delete document.body.dataset.loaded;
  const box = byId('login-message');
  box.hidden = !message;
  box.textContent = message || '';
}

// With a credential: ask the server what it grants, then show and refresh the page.
async function startSession() {
  let current;
  try {
    current = await api('GET', '/1.0/auth/currentCredential');
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) {
      showLogin('cannot read the credential: ' + e.message);
    }
    return;
  }
  OTB.rules = current.rules || [];
  OTB.role = current.role;
  setText('role', current.role);
  byId('login').hidden = true;
  byId('content').hidden = false;
  byId('sign-out').hidden = false;
  byId('service-name').value = serviceFromHash() || '';
  loadService(serviceFromHash());
  await refresh();
  refreshTimer = setInterval(refresh, REFRESH_MILLIS);
}

document.addEventListener('click', async event => {
  const button = event.target.closest('button[data-action]');
  if (!button) {
    return;
  }
  const action = button.dataset.action;
  if ((action === 'revert' || action === 'cancel') && !window.confirm(action === 'revert'
    ? `Revert rollout #${button.dataset.rollout}: put every box it changed back on its previous offer, as a new rollout at its rate?`
    : `Cancel rollout #${button.dataset.rollout}: push nothing more, and take back what the boxes have not applied?`)) {
    return;
  }
  button.disabled = true;
  try {
    await api('POST', `/1.0/admin/rollouts/${button.dataset.rollout}/${action}`);
    await refresh();
  } catch (e) {
    showFailure(`${button.dataset.action} refused: ${e.message}`);
  } finally {
    button.disabled = false;
  }
});

byId('service-form').addEventListener('submit', event => {
  event.preventDefault();
  location.hash = 'service=' + encodeURIComponent(byId('service-name').value.trim());
});

byId('login-form').addEventListener('submit', event => {
  event.preventDefault();
  try {
    keepCredential(credentialOf({applicationKey: byId('login-application-key').value,
      applicationSecret: byId('login-application-secret').value, consumerKey: byId('login-consumer-key').value}));
  } catch (e) {
    showLogin(e.message);
    return;
  }
  byId('login-application-secret').value = '';
  startSession();
});

byId('sign-out').addEventListener('click', () => showLogin('signed out'));

byId('hide-finished').addEventListener('change', () => {
  if (OTB.credential) {
    loadRollouts().catch(e => showFailure('cannot read the API: ' + e.message));
  }
});

window.addEventListener('hashchange', () => {
  if (OTB.credential) {
    loadService(serviceFromHash());
  }
});

(function boot() {
  const fragmentProblem = credentialFromFragment();
  if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
    showLogin('this page signs its requests with WebCrypto, which browsers offer only on HTTPS pages: open it as '
      + 'https://…/console');
    return;
  }
  OTB.credential = OTB.credential || storedCredential();
  if (fragmentProblem || !OTB.credential) {
    showLogin(fragmentProblem);
    return;
  }
  startSession();
}());
