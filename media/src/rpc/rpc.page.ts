/**
 * RPC request panel: a form (target, body, properties, headers, timeout, reply mode), the calls in flight and the
 * history (each row pending/done/failed), the selected call's reply (JSON / text / hex, properties, headers,
 * round trip) and saved requests. Every value from the broker or the user is set as text only, never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import { byId, connect, h } from '../common/api';
import { hexDump, jsonTree, kvTable, parsedJsonBody } from '../common/render';
import type { CallView, FromRpcView, JsonValue, RpcForm, RpcInit, RpcPageState, RpcStrings, SavedRequest, ToRpcView } from '../../../src/features/rpc/rpcProtocol';

type Field = HTMLElement & { value: string };

let init: RpcInit | undefined;
let strings: RpcStrings | undefined;
let calls: CallView[] = [];
let saved: SavedRequest[] = [];
let selectedId: string | undefined;
let seq = 0;
let stats = { ignored: 0, inFlight: 0 };

const api = connect<FromRpcView, ToRpcView, RpcPageState>(onMessage);
const app = byId('app');
const state = api.getState();
if (state) selectedId = state.selectedId;

function t(key: keyof RpcStrings): string {
  return strings?.[key] ?? key;
}

function nextId(): string {
  return `p${++seq}`;
}

function persist(): void {
  api.setState({ form: document.getElementById('send') ? readForm() : state?.form, selectedId });
}

function onMessage(m: ToRpcView): void {
  switch (m.type) {
    case 'init':
      init = m;
      strings = m.strings;
      calls = m.history;
      saved = m.saved;
      renderShell(state?.form ?? m.form);
      break;
    case 'call': {
      const i = calls.findIndex((c) => c.id === m.call.id);
      if (i >= 0) calls[i] = m.call;
      else calls.unshift(m.call);
      if (!selectedId || i < 0) selectedId = m.call.id;
      persist();
      renderHistory();
      renderReply();
      break;
    }
    case 'history':
      calls = m.history;
      renderHistory();
      renderReply();
      break;
    case 'saved':
      saved = m.saved;
      renderSaved();
      break;
    case 'stats':
      stats = { ignored: m.ignored, inFlight: m.inFlight };
      renderStats();
      break;
    case 'invalid':
      showStatus(m.message, 'error');
      if (m.field) markInvalid(m.field);
      break;
    case 'load':
      fillForm(m.form);
      persist();
      break;
    case 'info':
      showStatus(m.text, 'info');
      break;
    case 'error':
      showStatus(m.message, 'error');
      break;
  }
}

// ------------------------------------------------------------------------------------------ form

function textfield(id: string, label: string, value: string, placeholder = ''): HTMLElement {
  const f = h('vscode-textfield', { id, placeholder, 'aria-label': label }) as Field;
  f.value = value;
  f.addEventListener('input', () => {
    clearInvalid();
    persist();
  });
  return h('label', { class: 'field', for: id }, h('span', { class: 'field-label' }, label), f);
}

function textarea(id: string, label: string, value: string, rows: number, placeholder = ''): HTMLElement {
  const f = h('vscode-textarea', { id, rows, placeholder, 'aria-label': label, class: 'mono', resize: 'vertical' }) as Field;
  f.value = value;
  f.addEventListener('input', () => {
    clearInvalid();
    checkJsonField(id);
    persist();
  });
  return h('div', { class: 'field' }, h('span', { class: 'field-label' }, label), f, h('div', { class: 'field-hint error', id: `${id}-hint` }));
}

function select(id: string, label: string, options: [string, string][], value: string, onChange?: () => void): HTMLElement {
  const s = h('vscode-single-select', { id, 'aria-label': label }, ...options.map(([v, text]) => h('vscode-option', { value: v, selected: v === value }, text))) as Field;
  s.addEventListener('change', () => {
    onChange?.();
    persist();
  });
  return h('label', { class: 'field', for: id }, h('span', { class: 'field-label' }, label), s);
}

function field(id: string): Field {
  return byId<Field>(id);
}

function readForm(): RpcForm {
  return {
    targetKind: field('targetKind').value === 'exchange' ? 'exchange' : 'queue',
    queue: field('queue').value,
    exchange: field('exchange').value,
    routingKey: field('routingKey').value,
    body: field('body').value,
    contentType: field('contentType').value,
    properties: field('properties').value,
    headers: field('headers').value,
    timeoutMs: field('timeoutMs').value,
    replyMode: field('replyMode').value === 'exclusive' ? 'exclusive' : 'direct',
  };
}

function fillForm(f: RpcForm): void {
  field('targetKind').value = f.targetKind;
  field('queue').value = f.queue;
  field('exchange').value = f.exchange;
  field('routingKey').value = f.routingKey;
  field('body').value = f.body;
  field('contentType').value = f.contentType;
  field('properties').value = f.properties;
  field('headers').value = f.headers;
  field('timeoutMs').value = String(f.timeoutMs);
  field('replyMode').value = f.replyMode;
  updateTargetKind();
  for (const id of ['body', 'properties', 'headers']) checkJsonField(id);
}

function updateTargetKind(): void {
  const kind = field('targetKind').value;
  byId('queue-target').classList.toggle('hidden', kind === 'exchange');
  byId('exchange-target').classList.toggle('hidden', kind !== 'exchange');
}

/** Live JSON check (the extension checks again before sending). */
function checkJsonField(id: string): void {
  const hint = document.getElementById(`${id}-hint`);
  if (!hint) return;
  const value = field(id).value;
  const wantsJson = id !== 'body' || /(^|[/+])json\b/i.test(field('contentType').value.trim());
  let problem = '';
  if (wantsJson && value.trim() !== '') {
    try {
      JSON.parse(value);
    } catch (e) {
      problem = `${t('invalidJson')}: ${(e as Error).message}`;
    }
  }
  hint.textContent = problem;
}

function markInvalid(fieldName: string): void {
  const base = fieldName.split('.')[0];
  const id = ['queue', 'exchange', 'routingKey', 'body', 'contentType', 'properties', 'headers', 'timeoutMs', 'replyMode'].includes(base) ? base : undefined;
  if (!id) return;
  const el = document.getElementById(id);
  el?.setAttribute('invalid', '');
  el?.focus();
}

function clearInvalid(): void {
  for (const el of document.querySelectorAll('[invalid]')) el.removeAttribute('invalid');
}

function button(label: string, icon: string, onClick: () => void, opts: { secondary?: boolean; id?: string; disabled?: boolean } = {}): HTMLElement {
  const b = h('vscode-button', { icon, secondary: opts.secondary ?? true, id: opts.id, disabled: opts.disabled });
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function send(): void {
  clearInvalid();
  showStatus('', 'info');
  api.post({ type: 'send', requestId: nextId(), form: readForm() });
}

function renderShell(form: RpcForm): void {
  if (!init) return;
  const head = h('div', { class: 'rpc-head' },
    h('span', { class: 'codicon codicon-arrow-swap' }),
    ' ',
    h('strong', { id: 'scope' }, `${init.connectionName} › ${init.vhost}`),
    h('span', { id: 'stats', class: 'muted' }),
  );
  const notice = init.readOnlyNotice ? h('div', { class: 'notice' }, init.readOnlyNotice) : null;
  const status = h('div', { id: 'status', role: 'status', class: 'hidden' });

  const targetKind = select('targetKind', t('target'), [['queue', t('viaDefaultExchange')], ['exchange', t('exchange')]], form.targetKind, updateTargetKind);
  const formEl = h('div', { class: 'rpc-form', id: 'form' },
    h('div', { class: 'row-fields' }, targetKind,
      h('div', { id: 'queue-target', class: 'row-fields' }, textfield('queue', t('queue'), form.queue, 'rpc_queue')),
      h('div', { id: 'exchange-target', class: 'row-fields' }, textfield('exchange', t('exchange'), form.exchange, '(default)'), textfield('routingKey', t('routingKey'), form.routingKey)),
    ),
    h('div', { class: 'row-fields' },
      textfield('contentType', t('contentType'), form.contentType, 'application/json'),
      textfield('timeoutMs', t('timeoutMs'), String(form.timeoutMs)),
      select('replyMode', t('replyMode'), [['direct', t('replyDirect')], ['exclusive', t('replyExclusive')]], form.replyMode),
    ),
    textarea('body', t('body'), form.body, 6, '{"n": 10}'),
    h('div', { class: 'row-fields two' },
      textarea('properties', t('properties'), form.properties, 3, '{"appId": "workbench", "expiration": "60000"}'),
      textarea('headers', t('headers'), form.headers, 3, '{"x-tenant": "a"}'),
    ),
    h('div', { class: 'toolbar' },
      button(t('send'), 'send', send, { secondary: false, id: 'send', disabled: !init.canSend }),
      h('vscode-textfield', { id: 'saveName', placeholder: t('saveName'), 'aria-label': t('saveName') }),
      button(t('saveAs'), 'save', () => {
        const name = field('saveName').value;
        api.post({ type: 'save', requestId: nextId(), name, form: readForm() });
      }, { id: 'save' }),
    ),
  );
  const grid = h('div', { class: 'rpc-grid' },
    h('div', { class: 'rpc-left' }, formEl,
      h('section', { class: 'section' }, h('h3', null, t('history'), ' ', button(t('clearHistory'), 'clear-all', () => api.post({ type: 'clearHistory', requestId: nextId() }), { id: 'clear-history' })), h('div', { id: 'history', class: 'list history' })),
      h('section', { class: 'section' }, h('h3', null, t('saved')), h('div', { id: 'saved', class: 'list' })),
    ),
    h('div', { class: 'rpc-right', id: 'reply' }),
  );
  app.replaceChildren(head, notice ?? '', status, grid);
  // The body's JSON hint depends on the content type.
  field('contentType').addEventListener('input', () => checkJsonField('body'));
  updateTargetKind();
  for (const id of ['body', 'properties', 'headers']) checkJsonField(id);
  renderStats();
  renderHistory();
  renderSaved();
  renderReply();
}

function showStatus(text: string, level: 'info' | 'error'): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.className = text ? (level === 'error' ? 'error notice-line' : 'muted notice-line') : 'hidden';
  el.textContent = text;
}

function renderStats(): void {
  const el = document.getElementById('stats');
  if (!el) return;
  el.replaceChildren(
    ' · ',
    h('span', { id: 'in-flight' }, `${t('inFlight')}: ${stats.inFlight}`),
    ' · ',
    h('span', { id: 'ignored', title: t('ignoredHint'), class: stats.ignored > 0 ? 'warning' : '' }, `${t('ignoredReplies')}: ${stats.ignored}`),
  );
}

// ------------------------------------------------------------------------------------------ history

function targetLabel(f: RpcForm): string {
  return f.targetKind === 'queue' ? f.queue : `${f.exchange || '(default)'} → ${f.routingKey}`;
}

function stateBadge(c: CallView): HTMLElement {
  const label = c.state === 'pending' ? t('pending') : c.state === 'ok' ? t('ok') : c.errorCode ?? t('failed');
  const icon = c.state === 'pending' ? 'codicon-loading codicon-modifier-spin' : c.state === 'ok' ? 'codicon-pass' : 'codicon-error';
  return h('span', { class: `badge ${c.state}` }, h('span', { class: `codicon ${icon}` }), ` ${label}`);
}

function renderHistory(): void {
  const list = document.getElementById('history');
  if (!list) return;
  if (calls.length === 0) {
    list.replaceChildren(h('div', { class: 'muted empty' }, t('noHistory')));
    return;
  }
  list.replaceChildren(...calls.map((c) => {
    const again = button(t('sendAgain'), 'redo', () => api.post({ type: 'resend', requestId: nextId(), id: c.id }), { disabled: !init?.canSend });
    again.classList.add('row-action');
    again.addEventListener('click', (e) => e.stopPropagation());
    const load = button(t('load'), 'edit', () => {
      fillForm(c.form);
      persist();
    });
    load.classList.add('row-action');
    load.addEventListener('click', (e) => e.stopPropagation());
    const row = h('div', { class: `row call ${c.state}${c.id === selectedId ? ' selected' : ''}`, 'data-id': c.id, 'data-state': c.state, role: 'option' },
      stateBadge(c),
      ' ',
      h('span', { class: 'mono' }, targetLabel(c.form)),
      ' ',
      h('span', { class: 'muted' }, c.rttMs !== undefined ? `${c.rttMs.toFixed(1)} ms` : ''),
      ' ',
      h('span', { class: 'muted' }, new Date(c.startedAt).toLocaleTimeString()),
      again,
      load,
    );
    row.addEventListener('click', () => {
      selectedId = c.id;
      persist();
      renderHistory();
      renderReply();
    });
    return row;
  }));
}

function renderSaved(): void {
  const list = document.getElementById('saved');
  if (!list) return;
  if (saved.length === 0) {
    list.replaceChildren(h('div', { class: 'muted empty' }, t('noSaved')));
    return;
  }
  list.replaceChildren(...saved.map((s) => h('div', { class: 'row saved-row', 'data-name': s.name },
    h('strong', null, s.name),
    ' ',
    h('span', { class: 'muted mono' }, targetLabel(s.form)),
    button(t('load'), 'edit', () => {
      fillForm(s.form);
      persist();
    }),
    button(t('delete'), 'trash', () => api.post({ type: 'deleteSaved', requestId: nextId(), name: s.name })),
  )));
}

// ------------------------------------------------------------------------------------------ reply

function renderReply(): void {
  const pane = document.getElementById('reply');
  if (!pane) return;
  const c = calls.find((x) => x.id === selectedId) ?? calls[0];
  if (!c) {
    pane.replaceChildren(h('h3', null, t('reply')), h('div', { class: 'muted empty' }, t('noReply')));
    return;
  }
  const summary: Record<string, JsonValue> = { [t('target')]: targetLabel(c.form) };
  if (c.correlationId) summary[t('correlationId')] = c.correlationId;
  if (c.rttMs !== undefined) summary[t('roundTrip')] = `${c.rttMs.toFixed(2)} ms`;
  const parts: (Node | null)[] = [
    h('h3', null, t('reply'), ' ', stateBadge(c)),
    kvTable(summary),
  ];
  if (c.state === 'error') parts.push(h('div', { class: 'error call-error', id: 'call-error' }, c.errorMessage ?? ''));
  if (c.reply) {
    const r = c.reply;
    parts.push(bodyView(r.body));
    parts.push(h('section', { class: 'section' }, h('h3', null, t('replyProperties')), Object.keys(r.properties).length ? kvTable(r.properties) : h('div', { class: 'muted' }, t('none'))));
    parts.push(h('section', { class: 'section' }, h('h3', null, t('replyHeaders')), Object.keys(r.headers).length ? kvTable(r.headers) : h('div', { class: 'muted' }, t('none'))));
  }
  pane.replaceChildren(...parts.filter((p): p is Node => p !== null));
}

function bodyView(body: NonNullable<CallView['reply']>['body']): HTMLElement {
  const panels: { title: string; content: () => Node; copy: () => string }[] = [];
  const parsed = parsedJsonBody(body);
  if (parsed !== undefined) {
    const p = parsed;
    panels.push({ title: t('json'), content: () => h('div', { class: 'json-tree mono', id: 'reply-json' }, jsonTree(p, true)), copy: () => JSON.stringify(p, null, 2) });
  }
  if (body.text !== undefined) panels.push({ title: t('text'), content: () => h('pre', { id: 'reply-text' }, body.text ?? ''), copy: () => body.text ?? '' });
  panels.push({ title: t('hex'), content: () => h('pre', { class: 'hex', id: 'reply-hex' }, hexDump(body.base64)), copy: () => hexDump(body.base64) });
  const tabs = h('vscode-tabs', { id: 'reply-tabs' });
  for (const p of panels) {
    tabs.append(h('vscode-tab-header', { slot: 'header' }, p.title));
    tabs.append(h('vscode-tab-panel', null, p.content()));
  }
  let current = 0;
  tabs.addEventListener('vsc-tabs-select', (e) => {
    current = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
  });
  const bar = h('div', { class: 'toolbar' },
    h('strong', null, `${t('body')} (${body.size} ${t('bytes')}${body.encoding ? `, ${body.encoding}` : ''})`),
    button(t('copy'), 'copy', () => api.post({ type: 'copy', requestId: nextId(), text: panels[current]?.copy() ?? '' })),
  );
  return h('section', { class: 'section body-view' }, bar, tabs);
}

document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && init?.canSend) {
    send();
    e.preventDefault();
  }
});

api.ready();
