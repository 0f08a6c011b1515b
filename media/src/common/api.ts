/**
 * Webview-side helpers shared by every page: the typed VS Code API and DOM builders that only ever set text
 * (textContent / attributes), never HTML — untrusted bodies, headers and names stay inert.
 */
import type { Message } from '../../../src/platform/webview/protocol';

interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export function connect<ToExt extends Message, FromExt extends Message, S = unknown>(onMessage: (m: FromExt) => void) {
  const api = acquireVsCodeApi<S>();
  window.addEventListener('message', (e: MessageEvent<FromExt>) => onMessage(e.data));
  const post = (m: ToExt) => api.postMessage(m);
  return {
    post,
    getState: () => api.getState(),
    setState: (s: S) => api.setState(s),
    /** Call once the page's listeners are in place. */
    ready: () => api.postMessage({ type: 'ready' }),
  };
}

type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element; `children` strings become text nodes (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: (Node | string | null | undefined | false)[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs | null, ...children: (Node | string | null | undefined | false)[]): HTMLElement;
export function h(tag: string, attrs?: Attrs | null, ...children: (Node | string | null | undefined | false)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on')) throw new Error('use addEventListener, not on* attributes');
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}
