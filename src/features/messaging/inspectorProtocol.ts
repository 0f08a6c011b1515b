/**
 * The message inspector's protocol, shared by inspectorPanel.ts (extension side) and
 * media/src/messaging/inspector.page.ts (page). One page serves three modes: `peek` (a snapshot of a queue), `consume`
 * (live deliveries with ack controls) and `view` (messages loaded from a file).
 * No 'vscode' or Node imports here: the webview bundle imports this file too.
 */
import type { ErrorMessage, WebviewReady } from '../../platform/webview/protocol';

export type InspectorMode = 'peek' | 'consume' | 'view';

/** A JSON value (what properties and header values become for the page). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One normalized x-death entry (history table). */
export interface ViewDeath {
  queue: string;
  reason: string;
  count: number;
  exchange: string;
  routingKeys: string[];
  /** ISO time, when the broker set it. */
  time?: string;
}

export type BodyKind = 'text' | 'json' | 'binary';

export interface ViewBody {
  kind: BodyKind;
  /** Size of the whole body in bytes. */
  size: number;
  /** UTF-8 text of the body (for kind text/json), cut at the view limit. Absent for binary bodies. */
  text?: string;
  /** Base64 of the body's first bytes (cut at the view limit); the page derives hex from it. */
  base64: string;
  /** True when text/base64 hold only the start of the body. */
  truncated: boolean;
  /** contentEncoding when the body is compressed etc.: shown, not decoded. */
  encoding?: string;
}

export type Settlement = 'acked' | 'nacked' | 'rejected' | 'requeued';

/** What the page shows of one message. Every string in here is untrusted: the page sets it as text only. */
export interface ViewMessage {
  /** Key of the message in this panel (unique per panel). */
  id: string;
  /** 1-based position in the panel. */
  index: number;
  exchange: string;
  routingKey: string;
  redelivered: boolean;
  /** Stream offset when read from a stream. */
  offset?: number;
  /** Set properties only (contentType, deliveryMode, …), JSON-safe. timestamp as ISO text. */
  properties: Record<string, JsonValue>;
  /** Headers without x-death (which is in `deaths`), JSON-safe, nested. */
  headers: Record<string, JsonValue>;
  deaths: ViewDeath[];
  body: ViewBody;
  /** Consume mode: settled or not. */
  settled?: Settlement;
}

/** Where the messages came from. */
export interface ViewSource {
  connectionName: string;
  vhost: string;
  queue?: string;
  queueType?: string;
  /** e.g. file name in view mode. */
  label?: string;
}

/** Every text the page shows, translated by the extension (the page has no l10n of its own). */
export interface InspectorStrings {
  search: string;
  noMessages: string;
  noSelection: string;
  properties: string;
  headers: string;
  deathHistory: string;
  body: string;
  text: string;
  json: string;
  hex: string;
  base64: string;
  copy: string;
  copied: string;
  save: string;
  publishAgain: string;
  publishElsewhere: string;
  sendToOrigin: string;
  moveSelected: string;
  openFullBody: string;
  truncatedNotice: string;
  binaryNotice: string;
  selectAll: string;
  selected: string;
  ack: string;
  nack: string;
  reject: string;
  ackSelected: string;
  nackSelected: string;
  rejectSelected: string;
  stop: string;
  refresh: string;
  redelivered: string;
  exchange: string;
  routingKey: string;
  queue: string;
  reason: string;
  count: string;
  time: string;
  routingKeys: string;
  defaultExchange: string;
  unacked: string;
  acked: string;
  nacked: string;
  rejected: string;
  requeued: string;
  consuming: string;
  stopped: string;
  bytes: string;
  expandAll: string;
  collapseAll: string;
  none: string;
}

export interface InitMessage {
  type: 'init';
  mode: InspectorMode;
  source: ViewSource;
  strings: InspectorStrings;
  /** Explanations shown above the list (what a peek does, …). Plain text. */
  notices: string[];
  /** False on read-only connections: publish buttons hidden. */
  canPublish: boolean;
  /** Peek mode on a writable connection: the selection can be moved out of the queue (and sent back to its origin). */
  canMove: boolean;
}

/** Messages for the list. `replace` clears the list first (a new peek). */
export interface MessagesMessage {
  type: 'messages';
  messages: ViewMessage[];
  replace: boolean;
}

export interface SettledMessage {
  type: 'settled';
  ids: string[];
  outcome: Settlement;
}

/** A status line (consumer cancelled, channel closed by timeout, …). */
export interface StatusMessage {
  type: 'status';
  level: 'info' | 'warning' | 'error';
  text: string;
  /** Consume mode: whether deliveries still arrive. */
  active?: boolean;
}

export interface ReplyMessage {
  type: 'reply';
  requestId: string;
  ok: boolean;
  text?: string;
}

export type ToInspector = InitMessage | MessagesMessage | SettledMessage | StatusMessage | ReplyMessage | ErrorMessage;

export type SettleAction = 'ack' | 'nack' | 'reject';
export type RepublishTarget = 'same' | 'other' | 'origin';

export type FromInspector =
  | WebviewReady
  | { type: 'copy'; requestId: string; text: string }
  | { type: 'save'; requestId: string; ids: string[] }
  /** `confirmed`: the user already agreed (tests driving the panel); otherwise a move back to the origin asks first. */
  | { type: 'republish'; requestId: string; ids: string[]; target: RepublishTarget; confirmed?: boolean }
  | { type: 'openBody'; requestId: string; id: string }
  | { type: 'move'; requestId: string; ids: string[] }
  | { type: 'settle'; requestId: string; ids: string[]; action: SettleAction }
  | { type: 'refresh'; requestId: string }
  | { type: 'stop'; requestId: string };

/** State the page keeps with setState (survives being hidden). */
export interface InspectorPageState {
  selectedId?: string;
  checked?: string[];
  query?: string;
  tab?: number;
}
