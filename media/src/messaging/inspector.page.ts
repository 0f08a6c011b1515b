/**
 * Message inspector page (peek snapshot, live consume with ack controls, or messages from a file).
 * Every value from the broker is untrusted: it is only ever set as text (h() / textContent), never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { byId, clear, connect, h } from '../common/api';
import { hexDump, jsonTree, kvTable, parsedJsonBody } from '../common/render';
import type {
  FromInspector,
  InitMessage,
  InspectorPageState,
  InspectorStrings,
  JsonValue,
  RepublishTarget,
  SettleAction,
  ToInspector,
  ViewMessage,
} from '../../../src/features/messaging/inspectorProtocol';

let init: InitMessage | undefined;
let strings: InspectorStrings | undefined;
const messages: ViewMessage[] = [];
const byKey = new Map<string, ViewMessage>();
const searchCache = new Map<string, string>();
const checked = new Set<string>();
let selectedId: string | undefined;
let query = '';
let requestSeq = 0;

const api = connect<FromInspector, ToInspector, InspectorPageState>(onMessage);
const saved = api.getState();
if (saved) {
  selectedId = saved.selectedId;
  query = saved.query ?? '';
  for (const id of saved.checked ?? []) checked.add(id);
}

const app = byId('app');

function t(key: keyof InspectorStrings): string {
  return strings?.[key] ?? key;
}

function nextId(): string {
  return `r${++requestSeq}`;
}

function persist(): void {
  api.setState({ selectedId, query, checked: [...checked] });
}

function onMessage(m: ToInspector): void {
  switch (m.type) {
    case 'init':
      init = m;
      strings = m.strings;
      messages.length = 0;
      byKey.clear();
      searchCache.clear();
      renderShell();
      break;
    case 'messages':
      if (m.replace) {
        messages.length = 0;
        byKey.clear();
        searchCache.clear();
      }
      for (const msg of m.messages) {
        const existing = byKey.get(msg.id);
        if (existing) Object.assign(existing, msg);
        else {
          messages.push(msg);
          byKey.set(msg.id, msg);
        }
      }
      for (const id of [...checked]) if (!byKey.has(id)) checked.delete(id);
      renderList();
      renderDetail();
      break;
    case 'settled':
      for (const id of m.ids) {
        const msg = byKey.get(id);
        if (msg) msg.settled = m.outcome;
        checked.delete(id);
      }
      renderList();
      renderDetail();
      break;
    case 'status':
      showStatus(m.text, m.level);
      if (m.active === false) document.body.classList.add('stopped');
      break;
    case 'reply':
      if (m.text) showStatus(m.text, m.ok ? 'info' : 'error');
      break;
    case 'error':
      showStatus(m.message, 'error');
      break;
  }
}

// ------------------------------------------------------------------------------------------ layout

function button(label: string, icon: string, onClick: () => void, opts: { secondary?: boolean; id?: string; mode?: string } = {}): HTMLElement {
  const b = h('vscode-button', { icon, secondary: opts.secondary ?? true, id: opts.id, 'data-mode': opts.mode }, label);
  b.addEventListener('click', onClick);
  return b;
}

function renderShell(): void {
  if (!init) return;
  const mode = init.mode;
  document.body.dataset.mode = mode;
  const src = init.source;
  const where = [src.connectionName, src.vhost, src.queue ?? src.label].filter((x) => x !== undefined && x !== '');
  const title = h('div', { class: 'inspector-source' },
    h('span', { class: 'codicon codicon-inbox' }),
    ' ',
    h('strong', { id: 'source-name' }, where.join(' › ')),
    src.queueType ? h('span', { class: 'muted' }, ` (${src.queueType})`) : null,
  );
  const notices = h('div', { id: 'notices' }, ...init.notices.map((n) => h('div', { class: 'notice' }, n)));
  const status = h('div', { id: 'status', class: 'hidden', role: 'status' });

  const search = h('vscode-textfield', { id: 'search', placeholder: t('search'), value: query });
  search.addEventListener('input', () => {
    query = search.value;
    persist();
    renderList();
  });
  const selectAll = h('input', { type: 'checkbox', id: 'select-all', title: t('selectAll'), 'aria-label': t('selectAll') });
  selectAll.addEventListener('change', () => {
    const visible = visibleMessages();
    if ((selectAll as HTMLInputElement).checked) for (const m of visible) checked.add(m.id);
    else for (const m of visible) checked.delete(m.id);
    persist();
    renderList();
  });
  const toolbar = h('div', { class: 'toolbar' },
    selectAll,
    h('span', { id: 'count', class: 'muted' }),
    search,
    button(t('save'), 'save', () => send({ type: 'save', requestId: nextId(), ids: targetIds() })),
    init.canPublish ? button(t('publishAgain'), 'redo', () => republish('same')) : null,
    init.canPublish ? button(t('publishElsewhere'), 'export', () => republish('other')) : null,
    init.canMove ? button(t('sendToOrigin'), 'reply', () => republish('origin'), { id: 'send-origin' }) : null,
    init.canMove ? button(t('moveSelected'), 'arrow-swap', () => send({ type: 'move', requestId: nextId(), ids: targetIds() }), { id: 'move-selected' }) : null,
    mode === 'consume' ? button(t('ackSelected'), 'check', () => settle('ack'), { secondary: false, id: 'ack-selected' }) : null,
    mode === 'consume' ? button(t('nackSelected'), 'debug-restart', () => settle('nack'), { id: 'nack-selected' }) : null,
    mode === 'consume' ? button(t('rejectSelected'), 'close', () => settle('reject'), { id: 'reject-selected' }) : null,
    mode === 'consume' ? button(t('stop'), 'debug-stop', () => send({ type: 'stop', requestId: nextId() }), { id: 'stop' }) : null,
    mode === 'peek' ? button(t('refresh'), 'refresh', () => send({ type: 'refresh', requestId: nextId() }), { id: 'refresh' }) : null,
  );
  const split = h('div', { class: 'split' },
    h('div', { class: 'list', id: 'list', role: 'listbox', 'aria-multiselectable': 'true' }),
    h('div', { class: 'detail', id: 'detail' }),
  );
  app.replaceChildren(title, notices, status, toolbar, split);
  renderList();
  renderDetail();
}

function showStatus(text: string, level: 'info' | 'warning' | 'error'): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.className = level === 'info' ? 'muted' : level;
  el.textContent = text;
}

// ------------------------------------------------------------------------------------------ list

function searchText(m: ViewMessage): string {
  let s = searchCache.get(m.id);
  if (s === undefined) {
    s = [m.exchange, m.routingKey, m.body.text ?? '', JSON.stringify(m.properties), JSON.stringify(m.headers), JSON.stringify(m.deaths)].join('\n').toLowerCase();
    searchCache.set(m.id, s);
  }
  return s;
}

function visibleMessages(): ViewMessage[] {
  const q = query.trim().toLowerCase();
  return q ? messages.filter((m) => searchText(m).includes(q)) : messages;
}

function preview(m: ViewMessage): string {
  if (m.body.text !== undefined) return m.body.text.slice(0, 200).replace(/\s+/g, ' ');
  return `<${m.body.size} ${t('bytes')}>`;
}

function renderList(): void {
  const list = document.getElementById('list');
  if (!list) return;
  const visible = visibleMessages();
  const rows = visible.map((m) => {
    const box = h('input', { type: 'checkbox', class: 'row-check', 'aria-label': `#${m.index}` }) as HTMLInputElement;
    box.checked = checked.has(m.id);
    box.addEventListener('click', (e) => e.stopPropagation());
    box.addEventListener('change', () => {
      if (box.checked) checked.add(m.id);
      else checked.delete(m.id);
      persist();
      updateCount();
    });
    const row = h('div', { class: `row${m.id === selectedId ? ' selected' : ''}${m.settled ? ' settled' : ''}`, role: 'option', 'data-id': m.id, 'aria-selected': m.id === selectedId ? 'true' : 'false' },
      box,
      h('span', { class: 'muted' }, ` #${m.index} `),
      m.redelivered ? h('span', { class: 'codicon codicon-history', title: t('redelivered') }) : null,
      m.settled ? h('span', { class: `badge ${m.settled}` }, t(m.settled)) : null,
      h('span', { class: 'mono rk' }, m.routingKey || m.exchange || ''),
      ' ',
      h('span', { class: 'body-preview' }, preview(m)),
    );
    row.addEventListener('click', () => {
      selectedId = m.id;
      persist();
      for (const el of list.querySelectorAll('.row.selected')) {
        el.classList.remove('selected');
        el.setAttribute('aria-selected', 'false');
      }
      row.classList.add('selected');
      row.setAttribute('aria-selected', 'true');
      renderDetail();
    });
    return row;
  });
  if (rows.length === 0) list.replaceChildren(h('div', { class: 'muted empty' }, t('noMessages')));
  else list.replaceChildren(...rows);
  updateCount();
}

function updateCount(): void {
  const el = document.getElementById('count');
  if (el) el.textContent = `${checked.size} ${t('selected')} / ${visibleMessages().length}`;
  updateOriginButton();
  const all = document.getElementById('select-all') as HTMLInputElement | null;
  if (all) {
    const visible = visibleMessages();
    all.checked = visible.length > 0 && visible.every((m) => checked.has(m.id));
  }
}

/** "Send back to origin" is offered only when every message it would take carries x-death. */
function updateOriginButton(): void {
  const b = document.getElementById('send-origin');
  if (!b) return;
  const ids = targetIds();
  const ok = ids.length > 0 && ids.every((id) => (byKey.get(id)?.deaths.length ?? 0) > 0);
  b.classList.toggle('hidden', !ok);
}

/** Checked messages, else the one shown. */
function targetIds(): string[] {
  if (checked.size > 0) return messages.filter((m) => checked.has(m.id)).map((m) => m.id);
  return selectedId && byKey.has(selectedId) ? [selectedId] : [];
}

function send(m: FromInspector): void {
  api.post(m);
}

function republish(target: RepublishTarget): void {
  send({ type: 'republish', requestId: nextId(), ids: targetIds(), target });
}

function settle(action: SettleAction, ids = targetIds()): void {
  const open = ids.filter((id) => !byKey.get(id)?.settled);
  if (open.length > 0) send({ type: 'settle', requestId: nextId(), ids: open, action });
}

// ------------------------------------------------------------------------------------------ detail

function renderDetail(): void {
  const detail = document.getElementById('detail');
  updateOriginButton();
  if (!detail) return;
  const m = selectedId ? byKey.get(selectedId) : undefined;
  if (!m) {
    detail.replaceChildren(h('div', { class: 'muted empty' }, t('noSelection')));
    return;
  }
  const parts: Node[] = [];
  const head = h('div', { class: 'toolbar' },
    h('strong', null, `#${m.index}`),
    m.settled ? h('span', { class: `badge ${m.settled}` }, t(m.settled)) : init?.mode === 'consume' ? h('span', { class: 'badge' }, t('unacked')) : null,
    m.redelivered ? h('span', { class: 'muted' }, t('redelivered')) : null,
  );
  if (init?.mode === 'consume' && !m.settled) {
    head.append(
      button(t('ack'), 'check', () => settle('ack', [m.id]), { secondary: false }),
      button(t('nack'), 'debug-restart', () => settle('nack', [m.id])),
      button(t('reject'), 'close', () => settle('reject', [m.id])),
    );
  }
  parts.push(head);

  const delivery: Record<string, JsonValue> = {
    [t('exchange')]: m.exchange === '' ? t('defaultExchange') : m.exchange,
    [t('routingKey')]: m.routingKey,
  };
  if (m.offset !== undefined) delivery['x-stream-offset'] = m.offset;
  parts.push(kvTable(delivery));

  parts.push(section(t('properties'), Object.keys(m.properties).length ? kvTable(m.properties) : h('div', { class: 'muted' }, t('none'))));
  parts.push(section(t('headers'), Object.keys(m.headers).length ? kvTable(m.headers) : h('div', { class: 'muted' }, t('none'))));
  if (m.deaths.length > 0) parts.push(section(t('deathHistory'), deathTable(m)));
  parts.push(section(`${t('body')} (${m.body.size} ${t('bytes')}${m.body.encoding ? `, ${m.body.encoding}` : ''})`, bodyView(m)));
  detail.replaceChildren(...parts);
}

function section(title: string, content: Node): HTMLElement {
  return h('section', { class: 'section' }, h('h3', null, title), content);
}

function deathTable(m: ViewMessage): HTMLElement {
  const head = h('tr', null, ...[t('queue'), t('reason'), t('count'), t('exchange'), t('routingKeys'), t('time')].map((x) => h('th', null, x)));
  const rows = m.deaths.map((d) =>
    h('tr', null,
      h('td', { class: 'mono' }, d.queue),
      h('td', null, d.reason),
      h('td', null, String(d.count)),
      h('td', { class: 'mono' }, d.exchange === '' ? t('defaultExchange') : d.exchange),
      h('td', { class: 'mono' }, d.routingKeys.join(', ')),
      h('td', null, d.time ?? ''),
    ));
  return h('table', { class: 'grid', id: 'death-table' }, h('thead', null, head), h('tbody', null, ...rows));
}

function bodyView(m: ViewMessage): HTMLElement {
  const body = m.body;
  const wrap = h('div', { class: 'body-view' });
  const copyBar = h('div', { class: 'toolbar' });
  if (body.truncated) {
    copyBar.append(h('span', { class: 'warning' }, t('truncatedNotice')), button(t('openFullBody'), 'go-to-file', () => send({ type: 'openBody', requestId: nextId(), id: m.id }), { id: 'open-full' }));
  }
  const tabs = h('vscode-tabs', { id: 'body-tabs' });
  const panels: { title: string; content: () => Node; copy: () => string }[] = [];
  if (body.text !== undefined) panels.push({ title: t('text'), content: () => h('pre', { id: 'body-text' }, body.text ?? ''), copy: () => body.text ?? '' });
  const parsed = parsedJsonBody(body);
  if (parsed !== undefined) {
    const p = parsed;
    panels.push({
      title: t('json'),
      content: () => {
        const tree = h('div', { class: 'json-tree mono' }, jsonTree(p, true));
        const bar = h('div', { class: 'toolbar' },
          button(t('expandAll'), 'expand-all', () => tree.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true))),
          button(t('collapseAll'), 'collapse-all', () => tree.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = false))),
        );
        return h('div', null, bar, tree);
      },
      copy: () => JSON.stringify(p, null, 2),
    });
  }
  panels.push({ title: t('hex'), content: () => h('pre', { class: 'hex' }, hexDump(body.base64)), copy: () => hexDump(body.base64) });
  panels.push({ title: t('base64'), content: () => h('pre', { class: 'b64' }, body.base64), copy: () => body.base64 });
  if (body.kind === 'binary') copyBar.append(h('span', { class: 'muted' }, t('binaryNotice')));

  let current = body.kind === 'json' && parsed !== undefined ? 1 : 0;
  for (const p of panels) {
    tabs.append(h('vscode-tab-header', { slot: 'header' }, p.title));
    tabs.append(h('vscode-tab-panel', null, p.content()));
  }
  (tabs as HTMLElement & { selectedIndex: number }).selectedIndex = current;
  tabs.addEventListener('vsc-tabs-select', (e) => {
    current = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
  });
  copyBar.prepend(button(t('copy'), 'copy', () => send({ type: 'copy', requestId: nextId(), text: panels[current]?.copy() ?? '' })));
  wrap.append(copyBar, tabs);
  return wrap;
}

// Keyboard: j/k or arrows move through the list.
document.addEventListener('keydown', (e) => {
  if (!(e.key === 'ArrowDown' || e.key === 'ArrowUp') || (e.target as HTMLElement)?.tagName === 'VSCODE-TEXTFIELD') return;
  const visible = visibleMessages();
  const i = visible.findIndex((m) => m.id === selectedId);
  const next = visible[e.key === 'ArrowDown' ? Math.min(visible.length - 1, i + 1) : Math.max(0, i - 1)];
  if (next && next.id !== selectedId) {
    selectedId = next.id;
    persist();
    renderList();
    renderDetail();
    document.querySelector('.row.selected')?.scrollIntoView({ block: 'nearest' });
    e.preventDefault();
  }
});

clear(app);
api.ready();
