/**
 * The RPC request panel's protocol, shared by rpcPanel.ts (extension side) and media/src/rpc/rpc.page.ts (page).
 * No 'vscode' or Node imports here: the webview bundle imports this file too.
 */
import type { ErrorMessage, WebviewReady } from '../../platform/webview/protocol';
import type { JsonValue, ViewMessage } from '../messaging/inspectorProtocol';

export type { JsonValue, ViewMessage };

/** Where replies come back: RabbitMQ's direct reply-to (default) or a server-named exclusive queue. */
export type ReplyMode = 'direct' | 'exclusive';

/** What the user typed, as typed (validated by the extension before anything is sent). */
export interface RpcForm {
  /** 'queue': publish through the default exchange with routing key = queue. */
  targetKind: 'queue' | 'exchange';
  queue: string;
  exchange: string;
  routingKey: string;
  body: string;
  /** When it says JSON, the body must parse as JSON. */
  contentType: string;
  /** JSON object text of more properties ({"appId": "cli", "expiration": "5000"}), or ''. */
  properties: string;
  /** JSON object text of headers, or ''. */
  headers: string;
  /** Milliseconds, as text or number. */
  timeoutMs: string | number;
  replyMode: ReplyMode;
}

export type CallState = 'pending' | 'ok' | 'error';

/** One call in the history (and while in flight). Every string is untrusted: shown as text only. */
export interface CallView {
  id: string;
  /** ISO time the request was sent. */
  startedAt: string;
  form: RpcForm;
  state: CallState;
  correlationId?: string;
  rttMs?: number;
  reply?: ViewMessage;
  /** RabbitError code (TIMEOUT, UNROUTABLE, NOT_FOUND, CONNECTION_CLOSED, INVALID_INPUT …). */
  errorCode?: string;
  errorMessage?: string;
}

export interface SavedRequest {
  name: string;
  form: RpcForm;
  savedAt: string;
}

/** Every text the page shows, translated by the extension. */
export interface RpcStrings {
  target: string;
  queue: string;
  exchange: string;
  routingKey: string;
  viaDefaultExchange: string;
  body: string;
  contentType: string;
  properties: string;
  headers: string;
  replyProperties: string;
  replyHeaders: string;
  timeoutMs: string;
  replyMode: string;
  replyDirect: string;
  replyExclusive: string;
  send: string;
  saveAs: string;
  saveName: string;
  save: string;
  reply: string;
  noReply: string;
  history: string;
  saved: string;
  noHistory: string;
  noSaved: string;
  clearHistory: string;
  sendAgain: string;
  load: string;
  delete: string;
  pending: string;
  ok: string;
  failed: string;
  roundTrip: string;
  correlationId: string;
  inFlight: string;
  ignoredReplies: string;
  ignoredHint: string;
  text: string;
  json: string;
  hex: string;
  copy: string;
  bytes: string;
  none: string;
  invalidJson: string;
}

export interface RpcInit {
  type: 'init';
  strings: RpcStrings;
  connectionName: string;
  vhost: string;
  /** Prefill (from a tree node or the last request). */
  form: RpcForm;
  history: CallView[];
  saved: SavedRequest[];
  /** False on read-only connections (an RPC call publishes). */
  canSend: boolean;
  readOnlyNotice?: string;
}

export type ToRpcView =
  | RpcInit
  /** A call started or finished (insert or replace by id). */
  | { type: 'call'; call: CallView }
  | { type: 'history'; history: CallView[] }
  | { type: 'saved'; saved: SavedRequest[] }
  /** Replies whose correlation id matched no call (late, foreign, duplicate), and calls in flight. */
  | { type: 'stats'; ignored: number; inFlight: number }
  /** The form was rejected before sending: which field and why. */
  | { type: 'invalid'; requestId: string; field?: string; message: string }
  | { type: 'load'; form: RpcForm }
  | { type: 'info'; requestId?: string; text: string }
  | ErrorMessage;

export type FromRpcView =
  | WebviewReady
  | { type: 'send'; requestId: string; form: RpcForm }
  | { type: 'resend'; requestId: string; id: string }
  | { type: 'save'; requestId: string; name: string; form: RpcForm }
  | { type: 'deleteSaved'; requestId: string; name: string }
  | { type: 'clearHistory'; requestId: string }
  | { type: 'copy'; requestId: string; text: string };

/** State the page keeps with setState (survives being hidden). */
export interface RpcPageState {
  form?: RpcForm;
  selectedId?: string;
}
