// Types for host.cjs (used by the bundled TypeScript tests in test/e2e/support).
import type { Browser } from 'playwright-core';

export const ROOT: string;
export const CACHE: string;
export const CHROMIUM_ARGS: string[];
export const CLEAN_SETTINGS: Record<string, unknown>;

export interface HostPaths { node24: string; codeServer: string; chromium: string }
export function hostPaths(): HostPaths;
export function hostInstalled(): boolean;
export function freePort(): Promise<number>;
export function portFree(port: number, host?: string): Promise<boolean>;
export function killGroup(pid: number | undefined, signal?: NodeJS.Signals): void;
export function mkTemp(prefix: string): string;
export function sleep(ms: number): Promise<void>;

export interface StartOptions {
  port?: number;
  host?: string;
  /** Defaults to <tempRoot>/user-data; gets a clean-screen User/settings.json. */
  userDataDir?: string;
  /** Defaults to <tempRoot>/extensions. */
  extensionsDir?: string;
  /** --vscode-option enable-smoke-test-driver (needed for extension tests; suppresses toasts). */
  smokeDriver?: boolean;
  /** Extra user settings on top of CLEAN_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and so for the extension host. */
  env?: Record<string, string>;
  extraArgs?: string[];
  onOutput?: (text: string) => void;
  /** Folder for user data, extensions and XDG dirs; a fresh temp folder (deleted by stop()) by default. */
  tempRoot?: string;
  keepTemp?: boolean;
}
export interface RunningServer {
  url: string;
  port: number;
  pid: number;
  userDataDir: string;
  extensionsDir: string;
  tempRoot: string;
  /** Kills the server's whole process group. */
  stop(): Promise<void>;
  /** The last 20 000 characters of the server's output. */
  output(): string;
}
export function startCodeServer(opts?: StartOptions): Promise<RunningServer>;
export function installExtension(vsix: string, extensionsDir: string, userDataDir?: string): string;
export function launchChromium(opts?: { headless?: boolean }): Promise<Browser>;
