/**
 * Maps what amqplib throws (connection/channel close frames, socket errors, handshake failures, confirm
 * callbacks) to RabbitError with a message that says what happened and what to do.
 */
import { RabbitError, type RabbitErrorCode } from './errors';

/** What we know about the call that failed; used to make the message specific. Never holds a password. */
export interface AmqpErrorContext {
  /** e.g. "declare queue 'orders'" */
  operation?: string;
  host?: string;
  port?: number;
  vhost?: string;
  username?: string;
}

/** The reply code and the broker's text, taken from an amqplib error (close frame) when present. */
export interface BrokerReply {
  replyCode?: number;
  /** e.g. "NOT_FOUND - no queue 'q' in vhost 'v'" */
  replyText?: string;
}

/** Parses amqplib's `… 404 (NOT-FOUND) with message "NOT_FOUND - …"` into code and text. */
export function parseBrokerReply(err: unknown): BrokerReply {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  const m = /(\d{3}) \([A-Z-]+\) with message "([\s\S]*)"\s*$/.exec(message);
  const numericCode = typeof e?.code === 'number' ? e.code : undefined;
  if (m) return { replyCode: numericCode ?? Number(m[1]), replyText: m[2] };
  return { replyCode: numericCode };
}

const FRAME_CODES = new Set([501, 502, 503, 504, 505, 506, 540, 541]);

/** The deprecated feature a broker's 541 text names ("Feature `transient_nonexcl_queues` is deprecated. …"), else undefined. */
export function deprecatedFeatureOf(text: string): string | undefined {
  return /Feature `([a-z0-9_]+)` is deprecated/.exec(text)?.[1];
}

/** What to do instead of a deprecated feature the broker refuses. */
export function deprecatedFeatureAlternative(feature: string): string {
  switch (feature) {
    case 'transient_nonexcl_queues':
      return 'Declare the queue durable (it survives a restart) or exclusive (private to this connection, deleted with it); RabbitMQ 4.x refuses transient queues that are not exclusive when this deprecated feature is denied.';
    case 'global_qos':
      return 'Use a per-consumer prefetch (basic.qos with global=false); RabbitMQ 4.x refuses global QoS when this deprecated feature is denied.';
    default:
      return `Stop using the deprecated feature ${feature}, or permit it in the broker's configuration (deprecated_features.permit.${feature} = true).`;
  }
}

/** Explains "inequivalent arg 'x' for queue 'q' in vhost 'v': received 'a' but current is 'b'". */
export function explainInequivalent(text: string): string | undefined {
  const m = /inequivalent arg '([^']+)' for (queue|exchange) '((?:[^']|'(?! in vhost))*)' in vhost '([^']*)': received (.+?) but current is (.+)$/.exec(text);
  if (!m) return undefined;
  const [, arg, kind, name, , receivedRaw, currentRaw] = m;
  const received = describeValue(receivedRaw);
  const current = describeValue(currentRaw);
  const asked = received === 'none' ? `you asked for no ${arg}` : `you asked for ${received}`;
  return `${kind} ${name} already exists with ${arg}=${current}; ${asked}. Use the existing settings or delete the ${kind} first.`;
}

function describeValue(raw: string): string {
  const t = raw.trim();
  if (t === 'none') return 'none';
  const quoted = /^'(.*)'$/.exec(t);
  if (quoted) return quoted[1];
  // e.g. "the value '5' of type 'signedint'"
  const typed = /^the value '(.*)' of type '([^']+)'$/.exec(t);
  if (typed) return typed[1];
  return t;
}

function named(text: string, kind: 'queue' | 'exchange' | 'vhost'): string | undefined {
  const m = new RegExp(`${kind} '([^']*)'`).exec(text);
  return m ? m[1] : undefined;
}

function codeForReply(replyCode: number): RabbitErrorCode {
  switch (replyCode) {
    case 403:
      return 'ACCESS_REFUSED';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'RESOURCE_LOCKED';
    case 406:
      return 'PRECONDITION_FAILED';
    case 312:
      return 'UNROUTABLE';
    case 320:
      return 'CONNECTION_CLOSED';
    case 530:
      return 'ACCESS_REFUSED';
    default:
      return FRAME_CODES.has(replyCode) ? 'FRAME_ERROR' : 'CHANNEL_CLOSED';
  }
}

function where(ctx: AmqpErrorContext): string {
  return ctx.host ? `${ctx.host}${ctx.port ? `:${ctx.port}` : ''}` : 'the broker';
}

function prefix(ctx: AmqpErrorContext): string {
  return ctx.operation ? `Could not ${ctx.operation}: ` : '';
}

/** Turns anything amqplib (or the socket) threw into a RabbitError. RabbitErrors pass through unchanged. */
export function toRabbitError(err: unknown, ctx: AmqpErrorContext = {}): RabbitError {
  if (err instanceof RabbitError) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown; name?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const sysCode = typeof e.code === 'string' ? e.code : undefined;
  const p = prefix(ctx);

  // Socket / DNS level.
  if (sysCode === 'ECONNREFUSED') {
    return new RabbitError('UNREACHABLE', `${p}connection refused by ${where(ctx)}.`, {
      cause: err,
      hint: 'Check that RabbitMQ is running and that the host and port (5672 for amqp, 5671 for amqps) are right.',
    });
  }
  if (sysCode === 'ENOTFOUND' || sysCode === 'EAI_AGAIN') {
    return new RabbitError('UNREACHABLE', `${p}host ${ctx.host ? `"${ctx.host}"` : ''} could not be resolved (DNS ${sysCode}).`, {
      cause: err,
      hint: 'Check the host name in the connection URL.',
    });
  }
  if (sysCode === 'EHOSTUNREACH' || sysCode === 'ENETUNREACH') {
    return new RabbitError('UNREACHABLE', `${p}${where(ctx)} is unreachable (${sysCode}).`, { cause: err, hint: 'Check the network and the host.' });
  }
  if (sysCode === 'ETIMEDOUT' || /\bETIMEDOUT\b/.test(message)) {
    return new RabbitError('TIMEOUT', `${p}connecting to ${where(ctx)} timed out.`, {
      cause: err,
      hint: 'Check the host and port, firewalls, and that the port speaks AMQP (not the management port 15672).',
    });
  }
  if (sysCode === 'ECONNRESET' || sysCode === 'EPIPE' || /Unexpected close|Socket closed abruptly/.test(message)) {
    const during = /during opening handshake/.test(message);
    return new RabbitError('CONNECTION_CLOSED', `${p}the connection to ${where(ctx)} was closed ${during ? 'during the AMQP handshake' : 'unexpectedly'}.`, {
      cause: err,
      hint: during ? 'Check that the port is an AMQP port and that TLS (amqps) matches the server.' : 'The session reconnects automatically; retry the operation.',
    });
  }
  if (/^(EPROTO|ERR_SSL|ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(sysCode ?? '')) {
    return new RabbitError('UNREACHABLE', `${p}TLS failed with ${where(ctx)}: ${message}.`, {
      cause: err,
      hint: 'Check the CA file, the host name in the certificate, or that the port really serves TLS.',
    });
  }

  // Handshake.
  if (/^Handshake terminated by server/.test(message)) {
    const { replyCode, replyText } = parseBrokerReply(err);
    if (replyCode === 403 || /ACCESS_REFUSED/.test(replyText ?? '')) {
      return new RabbitError('AUTH_FAILED', `${p}the broker refused the login${ctx.username ? ` for user "${ctx.username}"` : ''}.`, {
        cause: err,
        replyCode: 403,
        brokerText: replyText,
        hint: 'Check the user name and password.',
      });
    }
    return new RabbitError('CONNECTION_CLOSED', `${p}the broker ended the handshake: ${replyText ?? message}.`, { cause: err, replyCode, brokerText: replyText });
  }
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    // RabbitMQ answers connection.open on a missing vhost (or one without permissions) with 530 NOT_ALLOWED.
    return new RabbitError(
      'ACCESS_REFUSED',
      `${p}the broker refused to open vhost ${ctx.vhost !== undefined ? `"${ctx.vhost}"` : ''}${ctx.username ? ` for user "${ctx.username}"` : ''}: it does not exist or the user has no permissions on it.`,
      { cause: err, replyCode: 530, hint: 'Check the vhost in the URL (write "/" as %2F) and the user\'s permissions.' },
    );
  }
  if (/SASL mechanism/.test(message)) {
    return new RabbitError('AUTH_FAILED', `${p}${message}.`, { cause: err, hint: 'The broker does not accept PLAIN login; enable it on the broker.' });
  }
  if (/Heartbeat timeout/.test(message)) {
    return new RabbitError('CONNECTION_CLOSED', `${p}the broker stopped answering (heartbeat timeout).`, { cause: err, hint: 'The session reconnects automatically; retry the operation.' });
  }
  if (/Frame size \d+ exceeds maxFrameSize|frame size|Unexpected type tag|Frame on unknown channel|Unexpected frame/i.test(message) && typeof e.code !== 'number') {
    return new RabbitError('FRAME_ERROR', `${p}AMQP framing error: ${message}.`, { cause: err, hint: 'Check that the port speaks AMQP 0-9-1; the session reconnects.' });
  }
  if (e instanceof RangeError && /table|64 KiB|encoding buffer|out of range/i.test(message)) {
    return new RabbitError('INVALID_INPUT', `${p}headers or arguments are too large to encode (${message}).`, {
      cause: err,
      field: 'headers',
      hint: 'Keep headers and arguments under 64 KiB; put large data in the body.',
    });
  }

  // Confirm callbacks.
  if (message === 'message nacked') {
    return new RabbitError('NACKED', `${p}the broker did not accept the message (negative confirm).`, {
      cause: err,
      hint: 'The queue may be full (x-overflow=reject-publish) or the broker is short of resources; retry later.',
    });
  }

  // Close frames from the broker: channel or connection.
  const { replyCode, replyText } = parseBrokerReply(err);
  if (replyCode !== undefined && replyText !== undefined) {
    return fromReply(replyCode, replyText, ctx, err, /^Connection closed/.test(message));
  }

  if (e.name === 'IllegalOperationError' || /Channel closed|Channel ended|channel closed/.test(message)) {
    const conn = /Connection closed|Connection closing/.test(message);
    return new RabbitError(conn ? 'CONNECTION_CLOSED' : 'CHANNEL_CLOSED', `${p}the ${conn ? 'connection' : 'channel'} was already closed.`, {
      cause: err,
      hint: 'Retry the operation; the session opens a new one.',
    });
  }
  if (/Connection closed|Connection closing/.test(message)) {
    return new RabbitError('CONNECTION_CLOSED', `${p}the connection was closed.`, { cause: err, hint: 'The session reconnects automatically; retry the operation.' });
  }
  return new RabbitError('CHANNEL_CLOSED', `${p}${message}`, { cause: err });
}

/** Maps a broker close (reply code + text) to a RabbitError naming what the broker named. */
export function fromReply(replyCode: number, replyText: string, ctx: AmqpErrorContext = {}, cause?: unknown, connectionLevel = false): RabbitError {
  const p = prefix(ctx);
  const opts = { replyCode, brokerText: replyText, cause };
  const text = replyText.replace(/^[A-Z_]+ - /, '');
  switch (replyCode) {
    case 404: {
      const q = /no queue '/.test(text) ? named(text, 'queue') : undefined;
      const x = /no exchange '/.test(text) ? named(text, 'exchange') : undefined;
      const vh = named(text, 'vhost');
      if (q !== undefined) return new RabbitError('NOT_FOUND', `${p}queue "${q}" does not exist in vhost "${vh ?? ctx.vhost ?? '?'}".`, { ...opts, hint: 'Declare the queue first or check its name and vhost.' });
      if (x !== undefined) return new RabbitError('NOT_FOUND', `${p}exchange "${x}" does not exist in vhost "${vh ?? ctx.vhost ?? '?'}".`, { ...opts, hint: 'Declare the exchange first or check its name and vhost.' });
      return new RabbitError('NOT_FOUND', `${p}not found: ${text}.`, opts);
    }
    case 406: {
      const explained = explainInequivalent(text);
      if (explained) return new RabbitError('PRECONDITION_FAILED', `${p}${explained}`, opts);
      const tag = /unknown delivery tag (\d+)/.exec(text);
      if (tag) {
        return new RabbitError('PRECONDITION_FAILED', `${p}delivery tag ${tag[1]} is unknown on this channel (already acked, or the channel was reopened).`, {
          ...opts,
          hint: 'Only ack each message once, on the channel it arrived on.',
        });
      }
      if (/acknowledgement.*timed out|ack.*timed out|consumer_timeout/i.test(text)) {
        return new RabbitError('PRECONDITION_FAILED', `${p}the broker closed the channel because a delivered message was not acknowledged in time (consumer ack timeout); its unacked messages went back to the queue.`, {
          ...opts,
          hint: 'Ack or nack messages sooner, or raise consumer_timeout on the broker.',
        });
      }
      if (/not empty/.test(text)) {
        return new RabbitError('PRECONDITION_FAILED', `${p}queue "${named(text, 'queue') ?? '?'}" is not empty.`, { ...opts, hint: 'Purge it first or delete without "if empty".' });
      }
      if (/in use/.test(text)) {
        const what = named(text, 'queue') !== undefined ? `queue "${named(text, 'queue')}"` : `exchange "${named(text, 'exchange') ?? '?'}"`;
        return new RabbitError('PRECONDITION_FAILED', `${p}${what} is in use.`, { ...opts, hint: 'Remove its consumers/bindings first or delete without "if unused".' });
      }
      if (/user_id property set to/.test(text)) {
        return new RabbitError('PRECONDITION_FAILED', `${p}${text}.`, { ...opts, hint: 'userId must be the name of the user you are connected as, or left empty.' });
      }
      if (/message size/.test(text)) {
        return new RabbitError('PRECONDITION_FAILED', `${p}${text}.`, { ...opts, hint: 'Send a smaller body or raise max_message_size on the broker.' });
      }
      return new RabbitError('PRECONDITION_FAILED', `${p}precondition failed: ${text}.`, opts);
    }
    case 403: {
      if (/reserved prefix/.test(text)) {
        return new RabbitError('ACCESS_REFUSED', `${p}${text}.`, { ...opts, hint: 'Names starting with "amq." are reserved for the broker; choose another name.' });
      }
      return new RabbitError('ACCESS_REFUSED', `${p}access refused: ${text}.`, { ...opts, hint: 'Check the user\'s configure/write/read permissions on this vhost.' });
    }
    case 405: {
      const q = named(text, 'queue');
      return new RabbitError('RESOURCE_LOCKED', `${p}queue "${q ?? '?'}" is exclusive to another connection.`, {
        ...opts,
        hint: 'Only the connection that declared an exclusive queue can use it; it disappears when that connection closes.',
      });
    }
    case 320:
      return new RabbitError('CONNECTION_CLOSED', `${p}the broker closed the connection: ${text}.`, { ...opts, hint: 'The session reconnects automatically; retry the operation.' });
    case 530:
      return new RabbitError('ACCESS_REFUSED', `${p}not allowed: ${text}.`, { ...opts, hint: 'Check the vhost and the user\'s permissions.' });
    case 541: {
      const feature = deprecatedFeatureOf(text);
      if (feature) {
        return new RabbitError('DEPRECATED_FEATURE', `${p}the broker refused a deprecated feature and closed the ${connectionLevel ? 'connection' : 'channel'} (541): ${text}`, {
          ...opts,
          hint: deprecatedFeatureAlternative(feature),
        });
      }
      return fromReplyDefault(replyCode, text, p, opts, connectionLevel);
    }
    default:
      return fromReplyDefault(replyCode, text, p, opts, connectionLevel);
  }
}

function fromReplyDefault(replyCode: number, text: string, p: string, opts: { replyCode: number; brokerText: string; cause?: unknown }, connectionLevel: boolean): RabbitError {
  const code = codeForReply(replyCode);
  const level = connectionLevel ? 'connection' : 'channel';
  return new RabbitError(code, `${p}the broker closed the ${level} with ${replyCode}: ${text}.`, {
    ...opts,
    hint: code === 'FRAME_ERROR' ? 'This is a protocol error; the session opens a new connection. Check frame_max and header sizes.' : undefined,
  });
}
