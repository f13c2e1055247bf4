// Swarmhub's dashboard: reads the hub's API with its login session (kept in this origin's
// sessionStorage, sent as Authorization: Session; never a cookie, which every port of the host
// would get), renders each view from it, and follows the event stream to render again what an
// event changed. Text from agents only ever becomes text nodes (never markup).
'use strict';

const API = '/api/v1';
const SESSION = 'swarm-session';

/** The login session's header, when logged in. */
function authorization() {
  const session = sessionStorage.getItem(SESSION);
  return session ? {Authorization: 'Session ' + session} : {};
}
const VIEWS = ['agents', 'leases', 'messages', 'tasks', 'processes', 'plan', 'log'];
/** Which views an event kind changes (by the kind's first word). */
const AFFECTS = {
  agent: ['agents', 'leases'], lease: ['leases', 'agents'], message: ['messages'], task: ['tasks', 'agents', 'leases'],
  process: ['processes', 'agents'], doc: ['plan'],
};
const LOG_KEPT = 500;

const state = {
  view: 'agents', dirty: new Set(VIEWS), rendering: false, again: false,
  log: [], logFilter: '', messagesBefore: null, messageSearch: '', thread: null, outputOf: null, highlight: null,
};

// ------------------------------------------------------------------------------------- helpers

/** An element with attributes (on* as listeners) and children (strings become text nodes). */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, body) {
  const init = body === undefined ? {headers: authorization()} : {
    method: 'POST', headers: {'Content-Type': 'application/json', ...authorization()}, body: JSON.stringify(body),
  };
  const response = await fetch(API + path, {credentials: 'omit', ...init});
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) {
    if (response.status === 401) loggedOut(json.error ? json.error.message : 'not logged in');
    throw new ApiError(response.status, json.error ? json.error.message : response.statusText);
  }
  return json;
}

function ago(instant) {
  if (!instant) return '—';
  const seconds = Math.round((Date.now() - Date.parse(instant)) / 1000);
  if (Math.abs(seconds) < 60) return seconds >= 0 ? seconds + ' s ago' : 'in ' + -seconds + ' s';
  const minutes = Math.round(seconds / 60);
  if (Math.abs(minutes) < 60) return minutes >= 0 ? minutes + ' min ago' : 'in ' + -minutes + ' min';
  return new Date(instant).toLocaleString();
}

function left(instant) {
  const seconds = Math.round((Date.parse(instant) - Date.now()) / 1000);
  return seconds <= 0 ? 'expired' : seconds < 120 ? seconds + ' s left' : Math.round(seconds / 60) + ' min left';
}

function table(caption, headers, rows, empty) {
  if (rows.length === 0) return h('p', {class: 'empty'}, empty);
  return h('div', {class: 'scroll'}, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map(name => h('th', {scope: 'col'}, name)))),
    h('tbody', {}, rows)));
}

function badge(text, kind) {
  return h('span', {class: 'badge ' + (kind || text || '').replace(/[^a-z-]/g, '')}, text);
}

/**
 * Asks before an operator action; resolves true when confirmed. The question is the page's own
 * words; text an agent wrote (a task's title, a section's name) is shown apart as a quote, so it
 * cannot be worded to change what the question asks.
 */
function confirmed(question, agentWritten) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = question;
  document.getElementById('confirm-quoted').hidden = agentWritten === undefined;
  document.getElementById('confirm-quote').textContent = agentWritten ?? '';
  return new Promise(resolve => {
    const done = answer => () => { dialog.close(); resolve(answer); };
    document.getElementById('confirm-ok').onclick = done(true);
    document.getElementById('confirm-cancel').onclick = done(false);
    dialog.oncancel = done(false);
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}

/** Runs an operator action after confirmation; shows what came of it. */
async function act(question, path, body, where, agentWritten) {
  if (!await confirmed(question, agentWritten)) return;
  const note = where.querySelector('.outcome') || where.appendChild(h('p', {class: 'outcome', role: 'status'}));
  try {
    await api(path, body);
    note.textContent = 'done: ' + question.replace(/\?$/, '');
    note.dataset.kind = 'ok';
  } catch (failure) {
    note.textContent = 'refused: ' + failure.message;
    note.dataset.kind = 'error';
  }
  state.dirty.add(state.view);
  render();
}

// ---------------------------------------------------------------------------------------- views

const ACTIVITY_ORDER = {'waiting-for-input': 0, stalled: 1, working: 2, idle: 3};
const STATUS_ORDER = {active: 0, stale: 1, gone: 2};

async function agentsView() {
  const [{agents}, {tasks}, {processes}] = await Promise.all([
    api('/agents'), api('/tasks?status=in-progress&limit=1000'), api('/processes?all=true&limit=1000')]);
  const taskOf = new Map(tasks.filter(t => t.assignee).map(t => [t.assignee, t]));
  const costOf = new Map();
  for (const run of processes) if (run.costUsd != null) costOf.set(run.agent, (costOf.get(run.agent) || 0) + run.costUsd);
  const sorted = [...agents].sort((a, b) =>
    (STATUS_ORDER[a.status] - STATUS_ORDER[b.status]) ||
    ((ACTIVITY_ORDER[a.activity] ?? 4) - (ACTIVITY_ORDER[b.activity] ?? 4)) || a.id.localeCompare(b.id));
  const needing = agents.filter(a => a.status !== 'gone' && a.activity === 'waiting-for-input');
  document.getElementById('count-agents').textContent = needing.length ? '(' + needing.length + ' need you)' : '';
  const rows = sorted.map(agent => {
    const task = taskOf.get(agent.id);
    return h('tr', {'data-agent': agent.id, class: agent.activity === 'waiting-for-input' && agent.status !== 'gone' ? 'needs-you' : null},
      h('th', {scope: 'row'}, agent.id, agent.label ? h('small', {}, ' ' + agent.label) : null),
      h('td', {}, agent.kind),
      h('td', {}, badge(agent.status)),
      h('td', {}, agent.activity ? badge(agent.activity) : '—', agent.activitySince ? h('small', {}, ' ' + ago(agent.activitySince)) : null),
      h('td', {}, agent.pane || '—'),
      h('td', {}, agent.host),
      h('td', {}, task ? task.title + ' (' + task.progress + ' %)' : '—'),
      h('td', {}, (agent.leases || []).join(', ') || '—'),
      h('td', {}, ago(agent.lastSeen)),
      h('td', {}, costOf.has(agent.id) ? '$' + costOf.get(agent.id).toFixed(2) : '—'));
  });
  return [h('h2', {}, 'Agents'),
    needing.length ? h('p', {class: 'alert', role: 'alert'}, needing.length + ' agent(s) wait for a human: ' + needing.map(a => a.id).join(', ')) : null,
    table('Agents, those needing a human first', ['Agent', 'Kind', 'Status', 'Doing', 'Pane', 'Host', 'Task', 'Leases', 'Last seen', 'Cost'],
      rows, 'No agents yet. They appear as they register.')];
}

async function leasesView(section) {
  const [{leases}, {waiters}, {events}] = await Promise.all([api('/locks'), api('/locks/waiters'), api('/log?limit=1000')]);
  document.getElementById('count-leases').textContent = leases.length ? '(' + leases.length + ')' : '';
  const held = leases.map(lease => h('tr', {'data-resource': lease.resource, 'data-agent': lease.agent},
    h('th', {scope: 'row'}, lease.resource),
    h('td', {}, lease.agent),
    h('td', {}, lease.mode),
    h('td', {class: 'number'}, String(lease.token)),
    h('td', {}, ago(lease.acquiredAt)),
    h('td', {}, left(lease.expiresAt)),
    h('td', {}, lease.reason || ''),
    h('td', {}, h('button', {type: 'button', class: 'danger', 'data-action': 'release',
      onclick: () => act('Release ' + lease.agent + "'s lease on " + lease.resource + '?', '/locks/release-agent',
        {agent: lease.agent, resource: lease.resource, reason: 'released from the dashboard'}, section)}, 'Release'))));
  let place = 0;
  const queued = waiters.map((waiter, index) => {
    place = index > 0 && waiters[index - 1].resource === waiter.resource ? place + 1 : 1;
    return h('tr', {'data-resource': waiter.resource, 'data-agent': waiter.agent},
      h('th', {scope: 'row'}, waiter.resource), h('td', {class: 'number'}, String(place)),
      h('td', {}, waiter.agent), h('td', {}, waiter.mode), h('td', {}, ago(waiter.since)));
  });
  const leaseEvents = events.filter(e => e.kind.startsWith('lease.'));
  return [h('h2', {}, 'Leases'),
    table('Live leases', ['Resource', 'Holder', 'Mode', 'Fencing token', 'Acquired', 'Expires', 'Reason', ''], held, 'No lease is held.'),
    h('h3', {}, 'Waiting (FIFO per resource)'),
    table('Waiters in the order they will be served', ['Resource', 'Place', 'Agent', 'Mode', 'Since'], queued, 'Nobody waits.'),
    h('h3', {}, 'Timeline'),
    timeline(leaseEvents)];
}

/** Who held what when: a bar per lease from its grant to its end (or now), one row per resource; the table says the same in words. */
function timeline(events) {
  const spans = new Map();
  const bars = [];
  for (const event of events) {
    const key = event.details.lease;
    if (event.kind === 'lease.acquired') {
      spans.set(key, {resource: event.resource, agent: event.agent, token: event.details.token, from: Date.parse(event.at)});
    } else if (event.kind !== 'lease.renewed' && spans.has(key)) {
      bars.push({...spans.get(key), to: Date.parse(event.at), end: event.kind.slice(6)});
      spans.delete(key);
    }
  }
  const now = Date.now();
  for (const span of spans.values()) bars.push({...span, to: now, end: 'held'});
  if (bars.length === 0) return h('p', {class: 'empty'}, 'No lease was granted in the latest events.');
  const resources = [...new Set(bars.map(b => b.resource))].slice(-30);
  const start = Math.min(...bars.map(b => b.from));
  const width = 760, row = 22, label = 200;
  const x = t => label + (width - label) * (t - start) / Math.max(1, now - start);
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + (resources.length * row + 10));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Lease timeline: ' + bars.length + ' leases on ' + resources.length + ' resources; the table below lists them');
  const agents = [...new Set(bars.map(b => b.agent))];
  resources.forEach((resource, i) => {
    const text = document.createElementNS(svgNs, 'text');
    text.setAttribute('x', 0); text.setAttribute('y', i * row + 15);
    text.textContent = resource.length > 28 ? '…' + resource.slice(-27) : resource;
    svg.append(text);
    for (const bar of bars.filter(b => b.resource === resource)) {
      const rect = document.createElementNS(svgNs, 'rect');
      rect.setAttribute('x', x(bar.from)); rect.setAttribute('y', i * row + 3);
      rect.setAttribute('width', Math.max(2, x(bar.to) - x(bar.from))); rect.setAttribute('height', row - 6);
      rect.setAttribute('class', 'agent-' + (agents.indexOf(bar.agent) % 8) + (bar.end === 'held' ? ' held' : ''));
      const title = document.createElementNS(svgNs, 'title');
      title.textContent = bar.agent + ' held ' + resource + ' (token ' + bar.token + '), ' + new Date(bar.from).toLocaleTimeString()
        + ' to ' + (bar.end === 'held' ? 'now' : new Date(bar.to).toLocaleTimeString() + ' (' + bar.end + ')');
      rect.append(title);
      svg.append(rect);
    }
  });
  const rows = bars.slice(-50).reverse().map(bar => h('tr', {},
    h('th', {scope: 'row'}, bar.resource), h('td', {}, bar.agent), h('td', {class: 'number'}, String(bar.token ?? '')),
    h('td', {}, new Date(bar.from).toLocaleTimeString()), h('td', {}, bar.end === 'held' ? 'held now' : new Date(bar.to).toLocaleTimeString()),
    h('td', {}, bar.end)));
  return h('div', {}, h('figure', {}, svg),
    h('details', {}, h('summary', {}, 'The timeline as a table'),
      table('Leases, newest first', ['Resource', 'Holder', 'Token', 'From', 'To', 'Ended by'], rows, '')));
}

function receipt(recipient) {
  const steps = recipient.ackedAt ? 'acked' : recipient.readAt ? 'read' : recipient.deliveredAt ? 'delivered' : 'stored';
  return h('li', {}, recipient.agent + ': ', badge(steps),
    recipient.attempts > 1 ? ' (' + recipient.attempts + ' deliveries)' : '', recipient.escalated ? badge('escalated') : '',
    recipient.delivery && recipient.delivery !== 'inbox' ? ' ' + recipient.delivery : '');
}

function messageItem(message) {
  const awaited = message.ackRequired ? message.to.filter(r => !r.ackedAt).length : 0;
  return h('article', {class: 'message', 'data-message': message.id},
    h('header', {}, h('strong', {}, message.from), ' → ', message.to.map(r => r.agent).join(', '), ' ',
      badge(message.type), message.priority === 'urgent' ? badge('urgent') : '', awaited ? badge(awaited + ' ack(s) awaited', 'awaited') : '',
      h('small', {}, ' ' + ago(message.sentAt))),
    h('p', {class: 'text'}, message.tampered ? '(signature check failed: text withheld)' : message.text),
    h('ul', {class: 'receipts'}, message.to.map(receipt)),
    h('button', {type: 'button', class: 'link', onclick: () => { state.thread = message.id; state.dirty.add('messages'); render(); }}, 'Thread'));
}

async function messagesView(section) {
  const query = state.messageSearch;
  const path = query ? '/messages/search?q=' + encodeURIComponent(query) + '&limit=100'
    : '/messages/recent?limit=50' + (state.messagesBefore ? '&before=' + encodeURIComponent(state.messagesBefore) : '');
  const [{messages}, thread] = await Promise.all([api(path),
    state.thread ? api('/messages/' + encodeURIComponent(state.thread) + '/thread') : Promise.resolve(null)]);
  const search = h('input', {type: 'search', id: 'message-search', value: query, 'aria-label': 'Search messages (all words must occur)',
    placeholder: 'search messages'});
  const to = h('input', {id: 'send-to', 'aria-label': 'Recipients (agent ids, comma-separated; empty: broadcast)', placeholder: 'to (empty: everyone)'});
  const text = h('textarea', {id: 'send-text', 'aria-label': 'Message text', placeholder: 'message', rows: 2});
  const type = h('select', {id: 'send-type', 'aria-label': 'Message type'},
    ['INFO', 'QUESTION', 'REVIEW-REQUEST', 'BLOCKED', 'COMPLETED', 'CHALLENGE'].map(name => h('option', {value: name}, name.toLowerCase())));
  const send = () => {
    const recipients = to.value.split(',').map(s => s.trim()).filter(Boolean);
    if (!text.value.trim()) return;
    act(recipients.length ? 'Send this message to ' + recipients.join(', ') + ' as the operator?' : 'Broadcast this message to every agent?',
      recipients.length ? '/messages' : '/messages/broadcast',
      recipients.length ? {to: recipients, type: type.value, text: text.value} : {type: type.value, text: text.value}, section);
  };
  return [h('h2', {}, 'Messages'),
    h('form', {class: 'bar', role: 'search', onsubmit: event => {
      event.preventDefault(); state.messageSearch = search.value.trim(); state.messagesBefore = null; state.dirty.add('messages'); render();
    }}, search, h('button', {type: 'submit'}, 'Search')),
    h('form', {class: 'send', onsubmit: event => { event.preventDefault(); send(); }}, to, type, text, h('button', {type: 'submit', id: 'send'}, 'Send')),
    thread ? h('aside', {class: 'thread', 'aria-label': 'Thread'}, h('h3', {}, 'Thread'),
      h('button', {type: 'button', class: 'link', onclick: () => { state.thread = null; state.dirty.add('messages'); render(); }}, 'Close thread'),
      thread.messages.map(messageItem)) : null,
    messages.length ? h('div', {class: 'messages'}, messages.map(messageItem)) : h('p', {class: 'empty'}, query ? 'No message matches.' : 'No messages yet.'),
    !query && messages.length === 50 ? h('button', {type: 'button', onclick: () => {
      state.messagesBefore = messages[messages.length - 1].id; state.dirty.add('messages'); render();
    }}, 'Older') : null,
    state.messagesBefore ? h('button', {type: 'button', onclick: () => { state.messagesBefore = null; state.dirty.add('messages'); render(); }}, 'Newest') : null];
}

const COLUMNS = ['open', 'blocked', 'in-progress', 'done', 'failed', 'cancelled'];

/** Give a task to a chosen active agent, or (a claimed one) back to the ready queue. */
function assignment(task, active, section) {
  const claimed = task.status === 'in-progress';
  const to = h('select', {class: 'assign-to', 'aria-label': 'give task ' + task.id.slice(0, 8) + ' to'},
    claimed ? h('option', {value: ''}, 'the ready queue') : null,
    active.filter(agent => agent !== task.assignee).map(agent => h('option', {value: agent}, agent)));
  const give = () => {
    const id = task.id.slice(0, 8);
    if (!to.value) {
      return act('Take task ' + id + ' from ' + task.assignee + ' and put it back in the ready queue?', '/tasks/' + task.id + '/report',
        {outcome: 'released', note: 'reassigned from the dashboard'}, section, task.title);
    }
    return act((claimed ? 'Take task ' + id + ' from ' + task.assignee + ' and give it to ' : 'Give task ' + id + ' to ') + to.value + '?',
      '/tasks/' + task.id + '/assign', {agent: to.value, reason: 'assigned from the dashboard'}, section, task.title);
  };
  return [to, h('button', {type: 'button', onclick: give}, claimed ? 'Reassign' : 'Assign')];
}

async function tasksView(section) {
  const [{tasks}, stats, {agents}] = await Promise.all([api('/tasks?all=true&limit=1000'), api('/tasks/stats'), api('/agents')]);
  const active = agents.filter(agent => agent.status === 'active').map(agent => agent.id);
  const card = task => h('li', {class: 'card', 'data-task': task.id},
    h('strong', {}, task.title), ' ', h('small', {}, task.id.slice(0, 8) + ' · P' + task.priority),
    task.assignee ? h('div', {}, '@' + task.assignee) : null,
    task.status === 'in-progress' ? h('progress', {max: 100, value: task.progress, 'aria-label': 'progress of ' + task.title}, task.progress + ' %') : null,
    task.waitingFor.length ? h('div', {}, 'waits for ' + task.waitingFor.map(id => id.slice(0, 8)).join(', ')) : null,
    task.note ? h('div', {class: 'note'}, task.note) : null,
    ['open', 'blocked', 'in-progress'].includes(task.status) ? h('div', {class: 'actions'},
      task.status === 'blocked' ? null : assignment(task, active, section),
      h('button', {type: 'button', class: 'danger', onclick: () => act('Cancel task ' + task.id.slice(0, 8) + '?', '/tasks/' + task.id + '/cancel',
        {reason: 'cancelled from the dashboard'}, section, task.title)}, 'Cancel')) : null);
  const links = tasks.flatMap(task => task.blocks.map(other => h('li', {}, task.title + ' → ' + (tasks.find(t => t.id === other)?.title ?? other))));
  const counts = stats.byStatus;
  return [h('h2', {}, 'Tasks'),
    h('p', {}, counts.open + ' ready, ' + counts.blocked + ' blocked, ' + counts.inProgress + ' in progress, ' + counts.done + ' done, '
      + counts.failed + ' failed, ' + counts.cancelled + ' cancelled'),
    h('div', {class: 'board'}, COLUMNS.map(column => h('section', {class: 'column', 'aria-label': column},
      h('h3', {}, column === 'open' ? 'ready' : column),
      h('ol', {}, tasks.filter(t => t.status === column).map(card))))),
    h('h3', {}, 'Dependencies'),
    links.length ? [dependencyGraph(tasks), h('details', {}, h('summary', {}, 'The dependencies as a list'), h('ul', {class: 'links'}, links))]
      : h('p', {class: 'empty'}, 'No task waits for another.')];
}

/** Tasks that block or wait, in columns by how many tasks stand before them, an arrow from each blocker to what it blocks. */
function dependencyGraph(tasks) {
  const byId = new Map(tasks.map(task => [task.id, task]));
  const linked = tasks.filter(task => task.blocks.length || task.blockedBy.length);
  const depth = new Map();
  const depthOf = (task, seen = new Set()) => {
    if (depth.has(task.id)) return depth.get(task.id);
    if (seen.has(task.id)) return 0; // the hub refuses cycles; a half-loaded list must not loop here
    seen.add(task.id);
    const before = task.blockedBy.map(id => byId.get(id)).filter(Boolean);
    const value = before.length ? 1 + Math.max(...before.map(other => depthOf(other, seen))) : 0;
    depth.set(task.id, value);
    return value;
  };
  linked.forEach(task => depthOf(task));
  const columns = [];
  for (const task of linked) (columns[depth.get(task.id)] ||= []).push(task);
  const width = 180, gap = 60, row = 34;
  const place = new Map();
  columns.forEach((column, x) => column.forEach((task, y) => place.set(task.id, {x: x * (width + gap), y: y * row})));
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  const height = Math.max(...columns.map(column => column.length)) * row;
  const total = columns.length * (width + gap) - gap;
  svg.setAttribute('viewBox', '0 0 ' + total + ' ' + height);
  svg.setAttribute('width', total); // drawn at its size, not stretched to the page
  svg.setAttribute('height', height);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Dependency graph of ' + linked.length + ' tasks; the list below says the same');
  svg.setAttribute('class', 'graph');
  const add = (name, attributes, text) => {
    const element = document.createElementNS(svgNs, name);
    Object.entries(attributes).forEach(([key, value]) => element.setAttribute(key, value));
    if (text !== undefined) element.textContent = text;
    svg.append(element);
    return element;
  };
  const marker = add('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto'});
  marker.append(Object.assign(document.createElementNS(svgNs, 'path'), {}));
  marker.firstChild.setAttribute('d', 'M0,0 L10,5 L0,10 z');
  for (const task of linked) {
    for (const blocked of task.blocks) {
      const from = place.get(task.id), to = place.get(blocked);
      if (from && to) add('line', {x1: from.x + width, y1: from.y + row / 2 - 2, x2: to.x, y2: to.y + row / 2 - 2, class: 'edge',
        'marker-end': 'url(#arrow)'});
    }
  }
  for (const task of linked) {
    const at = place.get(task.id);
    add('rect', {x: at.x, y: at.y, width: width, height: row - 6, rx: 4, class: 'node ' + task.status});
    add('text', {x: at.x + 6, y: at.y + row / 2 + 1}, (task.title.length > 24 ? task.title.slice(0, 23) + '…' : task.title))
      .append(Object.assign(document.createElementNS(svgNs, 'title'), {textContent: task.title + ' (' + task.status + ')'}));
  }
  return h('figure', {class: 'graph'}, svg);
}

async function processesView(section) {
  const [{processes}, output] = await Promise.all([api('/processes?all=true&limit=200'),
    state.outputOf ? api('/processes/' + encodeURIComponent(state.outputOf) + '/output?lines=40') : Promise.resolve(null)]);
  const rows = processes.map(run => h('tr', {'data-process': run.id, 'data-agent': run.agent},
    h('th', {scope: 'row'}, run.agent), h('td', {}, run.kind), h('td', {}, badge(run.state)), h('td', {}, run.pid ?? '—'),
    h('td', {}, run.command.join(' ')), h('td', {}, run.uptimeMs != null ? Math.round(run.uptimeMs / 1000) + ' s' : '—'),
    h('td', {}, run.exitCode ?? (run.endReason || '—')), h('td', {}, run.costUsd != null ? '$' + run.costUsd.toFixed(2) : '—'),
    h('td', {}, run.lastStep || ''),
    h('td', {}, h('button', {type: 'button', class: 'link', 'data-action': 'output',
      onclick: () => { state.outputOf = run.agent; state.dirty.add('processes'); render(); }}, 'Output'), ' ',
    ['running', 'queued', 'starting'].includes(run.state) ? h('button', {type: 'button', class: 'danger', 'data-action': 'kill', onclick: () =>
      act('Stop ' + run.agent + ' (TERM, then KILL after 10 s)?', '/processes/' + encodeURIComponent(run.id) + '/kill',
        {reason: 'stopped from the dashboard'}, section)}, 'Kill') : '')));
  return [h('h2', {}, 'Processes'),
    table('Supervised processes, newest first', ['Agent', 'Kind', 'State', 'Pid', 'Command', 'Uptime', 'Exit', 'Cost', 'Last step', ''],
      rows, 'No process was spawned (swarm spawn).'),
    output ? h('section', {class: 'output', 'aria-label': 'Output of ' + output.agent},
      h('h3', {}, 'Output of ' + output.agent + ' (last 40 lines, live)'),
      h('pre', {id: 'process-output'}, output.lines.join('\n') || '(no output yet)')) : null];
}

/** Agents' and tasks' mentions in a line (@agent-2, #01JD3K…) as links to their views; the rest as text. */
function linked(text) {
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(/(^|[\s(\[])(@[A-Za-z0-9][A-Za-z0-9_.-]*|#[0-9A-Za-z]{6,26})/g)) {
    const start = match.index + match[1].length;
    parts.push(text.slice(at, start));
    const mention = match[2];
    const view = mention.startsWith('@') ? 'agents' : 'tasks';
    parts.push(h('a', {href: '#' + view, class: 'mention', onclick: event => {
      event.preventDefault(); state.highlight = mention.slice(1); show(view);
    }}, mention));
    at = start + mention.length;
  }
  parts.push(text.slice(at));
  return parts;
}

async function planView(section) {
  const [doc, {events}] = await Promise.all([api('/doc'), api('/doc/history?limit=30')]);
  const sections = doc.sections.map(part => {
    const editor = h('textarea', {rows: Math.min(20, part.lines + 2), 'aria-label': 'Text of ' + part.name}, part.text);
    return h('section', {class: 'plan-section', 'data-section': part.name},
      h('h3', {}, part.name, h('small', {}, ' version ' + part.version + ', ' + part.changedBy + ', ' + ago(part.changedAt))),
      h('pre', {}, part.text ? linked(part.text) : '(empty)'),
      h('details', {}, h('summary', {}, 'Edit'), editor,
        h('button', {type: 'button', onclick: () => act('Save this section (only if still at version ' + part.version + ')?',
          '/doc/set', {section: part.name, text: editor.value, ifVersion: part.version}, section, part.name)}, 'Save')));
  });
  const history = events.slice().reverse().map(event => h('li', {}, ago(event.at) + ' ' + event.kind + ' by ' + (event.agent || 'operator')
    + (event.details && event.details.section ? ' (' + event.details.section + ')' : '')));
  return [h('h2', {}, 'Plan (COORDINATION.md, revision ' + doc.revision + ')'), sections, h('h3', {}, 'History'), h('ul', {}, history)];
}

function logRow(event) {
  return h('tr', {'data-event': event.id}, h('td', {class: 'number'}, String(event.id)), h('td', {}, new Date(event.at).toLocaleTimeString()),
    h('td', {}, event.kind), h('td', {}, event.agent || ''), h('td', {}, event.resource || ''),
    h('td', {}, Object.entries(event.details || {}).map(([k, v]) => k + '=' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(' ')));
}

async function logView() {
  if (state.log.length === 0) state.log = (await api('/log?limit=200')).events;
  const filter = h('input', {type: 'search', id: 'log-filter', value: state.logFilter, placeholder: 'filter: kind, agent or resource',
    'aria-label': 'Filter events by kind, agent or resource', oninput: event => { state.logFilter = event.target.value; renderLogRows(); }});
  const older = h('button', {type: 'button', id: 'log-older', onclick: async () => {
    const page = (await api('/log?limit=200&before=' + state.log[0].id)).events;
    state.log.unshift(...page); // kept: the reader asked for them (LOG_KEPT bounds only what arrives live)
    if (page.length === 0) older.disabled = true;
    renderLogRows();
  }}, 'Older events');
  return [h('h2', {}, 'Log'), h('div', {class: 'bar'}, filter),
    h('div', {class: 'scroll'}, h('table', {}, h('caption', {}, 'Events, newest first'),
      h('thead', {}, h('tr', {}, ['Id', 'Time', 'Kind', 'Agent', 'Resource', 'Details'].map(name => h('th', {scope: 'col'}, name)))),
      h('tbody', {id: 'log-rows'}))), older];
}

function renderLogRows() {
  const body = document.getElementById('log-rows');
  if (!body) return;
  const words = state.logFilter.toLowerCase();
  const shown = state.log.filter(e => !words || [e.kind, e.agent, e.resource].some(v => v && v.toLowerCase().includes(words)));
  body.replaceChildren(...shown.slice().reverse().map(logRow));
}

const RENDERERS = {agents: agentsView, leases: leasesView, messages: messagesView, tasks: tasksView, processes: processesView,
  plan: planView, log: logView};

/** Renders the shown view if an event changed it; one render at a time, the latest changes last. */
async function render() {
  if (state.rendering) { state.again = true; return; }
  state.rendering = true;
  try {
    do {
      state.again = false;
      const view = state.view;
      if (!state.dirty.has(view)) continue;
      const section = document.getElementById('view-' + view);
      const active = document.activeElement;
      if (active && section.contains(active) && ['INPUT', 'TEXTAREA', 'SELECT'].includes(active.tagName)) {
        active.addEventListener('blur', scheduleRender, {once: true}); // never redraw under what someone is typing
        continue;
      }
      state.dirty.delete(view);
      const focused = document.activeElement && section.contains(document.activeElement) ? document.activeElement.id : null;
      const open = [...section.querySelectorAll('details[open]')].map(d => d.parentElement.dataset.section || 'timeline');
      try {
        const content = await RENDERERS[view](section);
        const outcome = section.querySelector('.outcome');
        section.replaceChildren(...[content].flat(2).filter(Boolean), ...(outcome ? [outcome] : []));
        section.querySelectorAll('details').forEach(d => { if (open.includes(d.parentElement.dataset.section || 'timeline')) d.open = true; });
        if (view === 'log') renderLogRows();
        if (state.highlight) highlight(section);
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        section.dataset.rendered = String(Date.now());
      } catch (failure) {
        if (failure.status !== 401) section.replaceChildren(h('p', {class: 'error', role: 'alert'}, 'Cannot show ' + view + ': ' + failure.message));
      }
    } while (state.again);
  } finally {
    state.rendering = false;
  }
}

/** Marks and scrolls to the agent or task a plan line mentioned (by id, or a task id's prefix). */
function highlight(section) {
  const wanted = state.highlight.toLowerCase();
  state.highlight = null;
  const found = [...section.querySelectorAll('[data-agent], [data-task]')]
    .find(row => (row.dataset.agent || '').toLowerCase() === wanted || (row.dataset.task || '').toLowerCase().startsWith(wanted));
  if (found) {
    found.classList.add('highlight');
    found.scrollIntoView({block: 'center'});
  }
}

function show(view) {
  state.view = view;
  for (const button of document.querySelectorAll('[role=tab]')) button.setAttribute('aria-selected', String(button.dataset.view === view));
  for (const panel of document.querySelectorAll('[role=tabpanel]')) panel.hidden = panel.dataset.view !== view;
  history.replaceState(null, '', '#' + view);
  state.dirty.add(view);
  render();
}

// ----------------------------------------------------------------------------------------- live

/** Set when the page stops following (logged out); aborting ends the open stream at once. */
let following = true;
const streamEnd = new AbortController();
const RECONNECT_MS = 1000;

/**
 * Follows the hub's event stream (server-sent events, read with fetch: EventSource takes only
 * events it is told the names of). {@code opened} runs once the first connection is up: what it
 * draws then misses no later change. A reconnect resumes after the last event seen, so nothing is
 * missed in between either.
 */
async function follow(opened) {
  const live = document.getElementById('live');
  let last = null;
  while (following) {
    try {
      const response = await fetch(API + '/events' + (last === null ? '' : '?after=' + last),
        {credentials: 'omit', headers: {Accept: 'text/event-stream', ...authorization()}, signal: streamEnd.signal});
      if (response.status === 401) {
        const json = await response.json().catch(() => ({}));
        loggedOut(json.error ? json.error.message : 'not logged in');
        return;
      }
      if (!response.ok) throw new ApiError(response.status, response.statusText);
      live.textContent = 'live';
      live.dataset.state = 'live';
      if (opened) {
        opened();
        opened = null;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const data = lines.filter(line => line.startsWith('data: ')).map(line => line.slice(6)).join('\n');
          if (data) {
            const event = JSON.parse(data);
            last = event.id;
            received(event);
          }
        }
      }
    } catch (failure) { /* the hub stopped or the network failed: try again */ }
    if (!following) return;
    live.textContent = 'reconnecting…';
    live.dataset.state = 'reconnecting';
    await new Promise(resolve => setTimeout(resolve, RECONNECT_MS));
  }
}

function received(event) {
  if (state.log.length && event.id > state.log[state.log.length - 1].id) {
    state.log.push(event);
    if (state.log.length > LOG_KEPT && state.view !== 'log') state.log.splice(0, state.log.length - LOG_KEPT);
    if (state.view === 'log') renderLogRows();
  }
  for (const view of AFFECTS[event.kind.split('.')[0]] || []) state.dirty.add(view);
  if (state.dirty.has(state.view)) scheduleRender();
}

let scheduled = null;
function scheduleRender() {
  if (scheduled) return;
  scheduled = setTimeout(() => { scheduled = null; render(); }, 100); // a burst of events renders once
}

function loggedOut(why) {
  sessionStorage.removeItem(SESSION);
  following = false;
  streamEnd.abort();
  document.getElementById('login-why').textContent = why + ': run `swarm dashboard` in the project and open the link it prints.';
  document.getElementById('login-needed').hidden = false;
  for (const panel of document.querySelectorAll('[role=tabpanel]')) panel.hidden = true;
  document.getElementById('logout').hidden = true;
  const live = document.getElementById('live');
  live.textContent = 'logged out';
  live.dataset.state = 'logged-out';
}

// ---------------------------------------------------------------------------------------- start

async function logIn() {
  const code = location.hash.startsWith('#login=') ? location.hash.slice(7) : null;
  if (!code) return;
  history.replaceState(null, '', '/'); // the code leaves the address bar and the history at once
  const response = await fetch('/login', {method: 'POST', body: code, credentials: 'omit'});
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, json.error ? json.error.message : 'login refused');
  sessionStorage.setItem(SESSION, json.session);
}

const OUTPUT_REFRESH_MS = 2000;

// a new login link opened in this tab changes only the fragment: start again with it
window.addEventListener('hashchange', () => { if (location.hash.startsWith('#login=')) location.reload(); });

async function start() {
  setInterval(() => { // output grows without events: the shown tail is read again while it is on screen
    if (state.view === 'processes' && state.outputOf) { state.dirty.add('processes'); render(); }
  }, OUTPUT_REFRESH_MS);
  for (const button of document.querySelectorAll('[role=tab]')) {
    button.addEventListener('click', () => show(button.dataset.view));
    button.addEventListener('keydown', event => {
      const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
      if (!step) return;
      const next = VIEWS[(VIEWS.indexOf(button.dataset.view) + step + VIEWS.length) % VIEWS.length];
      document.querySelector('[data-view=' + next + '][role=tab]').focus();
      show(next);
    });
  }
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/logout', {method: 'POST', credentials: 'omit', headers: authorization()});
    loggedOut('logged out');
  });
  try {
    await logIn();
    await api('/agents?problems=true');
  } catch (failure) {
    loggedOut(failure.message);
    return;
  }
  document.getElementById('logout').hidden = false;
  const asked = location.hash.slice(1);
  follow(() => show(VIEWS.includes(asked) ? asked : 'agents'));
}

start();
