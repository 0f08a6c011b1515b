/**
 * One error type for everything the broker, the network or the user's input can get wrong.
 * The message says what happened and what to do; `code` is stable for programs and tests.
 */
export type RabbitErrorCode =
  | 'INVALID_INPUT' // rejected before anything was sent
  | 'UNREACHABLE' // TCP connect failed / DNS / refused
  | 'TIMEOUT'
  | 'BLOCKED' // the broker blocks publishers (connection.blocked: memory or disk alarm)
  | 'AUTH_FAILED' // AMQP 403 on connect, HTTP 401
  | 'ACCESS_REFUSED' // AMQP 403, HTTP 403
  | 'NOT_FOUND' // AMQP 404, HTTP 404
  | 'RESOURCE_LOCKED' // AMQP 405
  | 'PRECONDITION_FAILED' // AMQP 406 (redeclare with other args, unknown delivery tag, consumer timeout…)
  | 'UNROUTABLE' // mandatory publish returned
  | 'NACKED' // publisher confirm negative
  | 'CONNECTION_CLOSED'
  | 'CHANNEL_CLOSED'
  | 'FRAME_ERROR' // 501/502/503/504/505/506/530/540/541 …
  | 'MANAGEMENT_UNAVAILABLE' // plugin missing / not an API answering
  | 'HTTP_ERROR' // other 4xx/5xx
  | 'BAD_RESPONSE' // non-JSON or unexpected shape
  | 'READ_ONLY'
  | 'DEPRECATED_FEATURE' // the broker denies a deprecated feature (RabbitMQ 4.x: 541, the whole connection closed), or would
  | 'UNSAFE' // refused: it would change what the broker does (routing, a delivery attempt) without consent
  | 'TARGET_CHANGED' // refused: a saved password would go to another host, port, scheme, user or TLS setting than it was saved for
  | 'CANCELLED';

export interface RabbitErrorOptions {
  /** AMQP reply code (404, 406 …) when the broker said so. */
  replyCode?: number;
  /** HTTP status when the management API said so. */
  httpStatus?: number;
  /** The input field at fault (for INVALID_INPUT). */
  field?: string;
  /** What the developer should do next. Appended to the message. */
  hint?: string;
  /** The broker's own text, kept verbatim. */
  brokerText?: string;
  cause?: unknown;
}

/**
 * Marks RabbitErrors across copies of this module: a lazily loaded bundle (request files) has its own copy, and
 * `instanceof RabbitError` must hold for errors made by either copy.
 */
const BRAND = Symbol.for('rabbitmq-workbench.RabbitError');

export class RabbitError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the ordinary prototype check; RabbitError itself recognizes every copy's errors.
    if (!Object.hasOwn(this, BRAND)) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  readonly code: RabbitErrorCode;
  readonly replyCode?: number;
  readonly httpStatus?: number;
  readonly field?: string;
  readonly hint?: string;
  readonly brokerText?: string;

  constructor(code: RabbitErrorCode, message: string, options: RabbitErrorOptions = {}) {
    super(options.hint ? `${message} ${options.hint}` : message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'RabbitError';
    this.code = code;
    this.replyCode = options.replyCode;
    this.httpStatus = options.httpStatus;
    this.field = options.field;
    this.hint = options.hint;
    this.brokerText = options.brokerText;
    Object.defineProperty(this, BRAND, { value: true });
  }
}
Object.defineProperty(RabbitError, BRAND, { value: true });

/** Input that is wrong before anything is sent. `field` names the field. */
export function invalidInput(field: string, problem: string, hint?: string): RabbitError {
  return new RabbitError('INVALID_INPUT', `${field}: ${problem}.`, { field, hint });
}

export function isRabbitError(e: unknown, code?: RabbitErrorCode): e is RabbitError {
  return e instanceof RabbitError && (code === undefined || e.code === code);
}
