/**
 * Shape shared by every webview protocol (imported by the extension side AND the webview scripts, so it must not
 * import 'vscode' or Node modules). Each webview defines its own discriminated unions on top:
 *   type FromMyView = WebviewReady | { type: 'send'; requestId: string; … } | …
 *   type ToMyView = { type: 'init'; … } | { type: 'reply'; requestId: string; … } | ErrorMessage
 */
export interface WebviewReady {
  type: 'ready';
}

/** An error shown in the page (text only, never HTML). */
export interface ErrorMessage {
  type: 'error';
  requestId?: string;
  message: string;
}

export type Message = { type: string };
