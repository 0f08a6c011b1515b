import * as vscode from 'vscode';
import { secondsUntil, type AmqpSummary } from '../../core/sessionStatus';

/**
 * The short text of a connection's AMQP sessions for its explorer row and the status bar:
 * "reconnecting, attempt 4, next in 8 s", "blocked: low on memory"; undefined when all is well.
 */
export function sessionSummaryText(s: AmqpSummary, now = Date.now()): string | undefined {
  const parts: string[] = [];
  if (s.state === 'reconnecting' && s.attempt !== undefined) {
    const secs = s.phase === 'waiting' ? secondsUntil(s.nextAttemptAt, now) : undefined;
    parts.push(secs !== undefined ? vscode.l10n.t('reconnecting, attempt {0}, next in {1} s', s.attempt, secs) : vscode.l10n.t('reconnecting, attempt {0}…', s.attempt));
  } else if (s.state === 'lost') {
    parts.push(vscode.l10n.t('AMQP connection lost (gave up after {0} attempts)', s.attempt ?? 0));
  }
  if (s.blockedReason !== undefined) parts.push(vscode.l10n.t('blocked: {0}', s.blockedReason));
  return parts.length ? parts.join(' · ') : undefined;
}

/** The longer tooltip lines: the vhosts concerned and the last error. */
export function sessionSummaryDetail(s: AmqpSummary): string | undefined {
  if (s.state === 'ok' && s.blockedReason === undefined) return undefined;
  const lines: string[] = [];
  if (s.vhosts.length) lines.push(vscode.l10n.t('AMQP sessions of vhost(s): {0}', s.vhosts.join(', ')));
  if (s.lastError) lines.push(s.lastError.message);
  if (s.blockedReason !== undefined) lines.push(vscode.l10n.t('The broker is blocking publishers: {0}. Publishes wait, then fail with this reason.', s.blockedReason));
  return lines.join('\n');
}
