/**
 * Message rendering shared by the webview pages (inspector, RPC panel): key/value tables, a collapsible JSON
 * tree and a hex dump. Text only: every value is set through h() (text nodes / attributes), never as HTML.
 */
import { h } from './api';
import type { JsonValue } from '../../../src/features/messaging/inspectorProtocol';

/** Hex dumps longer than this are cut. */
export const HEX_LIMIT = 64 * 1024;

export function kvTable(obj: Record<string, JsonValue>): HTMLElement {
  const rows = Object.entries(obj).map(([k, v]) => h('tr', null, h('td', null, k), h('td', { class: 'mono' }, valueNode(v))));
  return h('table', { class: 'kv' }, h('tbody', null, ...rows));
}

export function valueNode(v: JsonValue): Node {
  if (v !== null && typeof v === 'object') return jsonTree(v, true);
  return document.createTextNode(typeof v === 'string' ? v : JSON.stringify(v));
}

/** A collapsible JSON tree made of <details>: text only. */
export function jsonTree(value: JsonValue, open: boolean, key?: string): Node {
  const label = key !== undefined ? h('span', { class: 'json-key' }, `${JSON.stringify(key)}: `) : null;
  if (value === null || typeof value !== 'object') {
    const cls = value === null ? 'json-null' : `json-${typeof value}`;
    return h('div', { class: 'json-leaf' }, label, h('span', { class: cls }, JSON.stringify(value)));
  }
  const entries: [string | undefined, JsonValue][] = Array.isArray(value) ? value.map((v) => [undefined, v]) : Object.entries(value);
  const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return h('details', { class: 'json-node', open },
    h('summary', null, label, `${brackets[0]} `, h('span', { class: 'muted' }, `${entries.length}`), ` ${brackets[1]}`),
    ...entries.map(([k, v]) => jsonTree(v, open, k)),
  );
}

/** Offset / hex / ASCII lines of the (first HEX_LIMIT) bytes of a base64 body. */
/** The body as a JSON value when it is complete JSON, else undefined (shown as text/hex only). */
export function parsedJsonBody(body: { kind: string; text?: string; truncated?: boolean }): JsonValue | undefined {
  if (body.kind !== 'json' || body.text === undefined || body.truncated) return undefined;
  try {
    return JSON.parse(body.text) as JsonValue;
  } catch {
    return undefined;
  }
}

export function hexDump(base64: string): string {
  let bin: string;
  try {
    bin = atob(base64);
  } catch {
    return '';
  }
  const n = Math.min(bin.length, HEX_LIMIT);
  const lines: string[] = [];
  for (let off = 0; off < n; off += 16) {
    const hex: string[] = [];
    let ascii = '';
    for (let i = off; i < Math.min(off + 16, n); i++) {
      const c = bin.charCodeAt(i);
      hex.push(c.toString(16).padStart(2, '0'));
      ascii += c >= 0x20 && c < 0x7f ? bin[i] : '.';
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.join(' ').padEnd(47)}  ${ascii}`);
  }
  if (bin.length > n) lines.push('…');
  return lines.join('\n');
}
