/**
 * What a connection row shows about its AMQP sessions (one per vhost): the worst state among them, the
 * reconnect attempt and when the next one starts, and the broker's reason while it blocks publishers.
 * Pure; the explorer and the status bar format it.
 */
import type { RabbitError } from './errors';
import type { ReconnectStatus, SessionState } from './session';

/** The part of AmqpSession this summary reads. */
export interface SessionStatusSource {
  readonly state: SessionState;
  readonly reconnectStatus: ReconnectStatus | undefined;
  readonly blockedReason: string | undefined;
  readonly vhost: string;
}

export interface AmqpSummary {
  /** 'reconnecting' while any session waits for or runs an attempt; 'lost' when one gave up. */
  state: 'ok' | 'reconnecting' | 'lost';
  /** The session furthest into reconnecting. */
  attempt?: number;
  phase?: 'waiting' | 'attempting';
  nextAttemptAt?: number;
  lastError?: RabbitError;
  /** The broker blocks publishers on at least one session. */
  blockedReason?: string;
  /** Vhosts of the sessions concerned (reconnecting, lost or blocked). */
  vhosts: string[];
}

export function summarizeSessions(sessions: Iterable<SessionStatusSource>): AmqpSummary {
  const out: AmqpSummary = { state: 'ok', vhosts: [] };
  let worst: ReconnectStatus | undefined;
  for (const s of sessions) {
    if (s.state === 'closed' || s.state === 'idle') continue;
    const r = s.reconnectStatus;
    let concerned = false;
    if (r) {
      concerned = true;
      if (r.gaveUp) out.state = 'lost';
      else if (out.state === 'ok') out.state = 'reconnecting';
      if (!worst || r.attempt > worst.attempt) worst = r;
    }
    if (s.blockedReason !== undefined) {
      out.blockedReason ??= s.blockedReason;
      concerned = true;
    }
    if (concerned) out.vhosts.push(s.vhost);
  }
  if (worst) {
    out.attempt = worst.attempt;
    out.phase = worst.phase;
    out.nextAttemptAt = worst.nextAttemptAt;
    out.lastError = worst.lastError;
  }
  return out;
}

/** Whole seconds until `at` (at least 0), for "next in 8 s". */
export function secondsUntil(at: number | undefined, now = Date.now()): number | undefined {
  if (at === undefined) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
