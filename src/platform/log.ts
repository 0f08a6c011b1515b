import * as vscode from 'vscode';

/** The extension's one LogOutputChannel, with named sub-loggers. Never log secrets. */
let channel: vscode.LogOutputChannel | undefined;

export function getLogChannel(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('RabbitMQ Workbench', { log: true });
  return channel;
}

export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export function logger(name: string): Logger {
  const c = () => getLogChannel();
  return {
    trace: (m, ...a) => c().trace(`[${name}] ${m}`, ...a),
    debug: (m, ...a) => c().debug(`[${name}] ${m}`, ...a),
    info: (m, ...a) => c().info(`[${name}] ${m}`, ...a),
    warn: (m, ...a) => c().warn(`[${name}] ${m}`, ...a),
    error: (m, ...a) => c().error(typeof m === 'string' ? `[${name}] ${m}` : `[${name}] ${m.message}`, ...a),
  };
}
