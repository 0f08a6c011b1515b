/**
 * The delivery limit a quorum queue really enforces, and what a peek costs against it.
 *
 * A peek receives messages without acknowledging them and hands them back by closing its channel. A quorum
 * queue counts every hand-back (channel or connection close, basic.nack / basic.reject with requeue,
 * basic.recover) as one delivery attempt: the message's stored delivery count goes up by one and the next
 * delivery carries it as `x-delivery-count`. When a hand-back takes the count above the limit, the message is
 * dead-lettered (reason `delivery_limit`) or, with no dead-letter exchange, dropped. So a message whose stored
 * count c is below the limit L survives L − c more peeks; the next one removes it.
 *
 * The limit is resolved the way the broker does it:
 * - the queue argument `x-delivery-limit` and the `delivery-limit` of the policy and of the operator policy
 *   that apply (policy and operator policy: the lower one wins);
 * - argument and policy together: the lower one wins; on RabbitMQ 4.x, when either side is negative (= "no
 *   limit from me") the higher one wins, so a positive value on the other side still applies;
 * - nothing set: unlimited before 4.0, 20 from 4.0 on;
 * - before 4.0 a negative limit behaves like 0 (measured: the message goes at the first hand-back).
 */
import type { ManagementClient } from './management';
import type { PolicyInfo, QueueInfo, QueueType } from './model';
import { RabbitError } from './errors';

/** RabbitMQ 4.0's delivery limit for quorum queues that set none. */
export const DEFAULT_DELIVERY_LIMIT_4X = 20;

export type DeliveryLimitSource = 'argument' | 'policy' | 'operator-policy' | 'default' | 'none';

export interface PolicyValue {
  /** The policy's name. */
  name: string;
  value: number;
}

export interface EffectiveDeliveryLimit {
  /** The limit the broker enforces; null: none (a message can be handed back any number of times). */
  limit: number | null;
  /** Where the deciding value came from. */
  source: DeliveryLimitSource;
  argument?: number;
  policy?: PolicyValue;
  operatorPolicy?: PolicyValue;
  /** The broker version the rule was applied for. */
  brokerVersion: string;
  /** Where messages go when they pass the limit: a dead-letter exchange name, or undefined (dropped). */
  deadLetterExchange?: string;
  /** Operator policies could not be read (the user lacks the rights): one of them could still lower the limit. */
  operatorPoliciesUnknown?: boolean;
}

export function brokerMajor(version: string | undefined): number {
  const n = Number.parseInt(String(version ?? '').split('.')[0] ?? '', 10);
  return Number.isFinite(n) ? n : 3;
}

function intOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** Applies the broker's rules to the values found (pure). */
export function effectiveDeliveryLimit(input: {
  brokerVersion: string;
  arguments?: Record<string, unknown>;
  policy?: PolicyValue;
  operatorPolicy?: PolicyValue;
  deadLetterExchange?: string;
  operatorPoliciesUnknown?: boolean;
}): EffectiveDeliveryLimit {
  const v4 = brokerMajor(input.brokerVersion) >= 4;
  const argument = intOf(input.arguments?.['x-delivery-limit']);
  const { policy, operatorPolicy } = input;
  const base = {
    argument,
    policy,
    operatorPolicy,
    brokerVersion: input.brokerVersion,
    deadLetterExchange: input.deadLetterExchange,
    operatorPoliciesUnknown: input.operatorPoliciesUnknown || undefined,
  };
  // Policy and operator policy merge first: the lower value wins.
  let pol: { value: number; source: DeliveryLimitSource } | undefined;
  if (policy && operatorPolicy) pol = operatorPolicy.value < policy.value ? { value: operatorPolicy.value, source: 'operator-policy' } : { value: policy.value, source: 'policy' };
  else if (policy) pol = { value: policy.value, source: 'policy' };
  else if (operatorPolicy) pol = { value: operatorPolicy.value, source: 'operator-policy' };

  let chosen: { value: number; source: DeliveryLimitSource } | undefined;
  if (argument !== undefined && pol) {
    const useMax = v4 && (argument < 0 || pol.value < 0);
    const argWins = useMax ? argument >= pol.value : argument <= pol.value;
    chosen = argWins ? { value: argument, source: 'argument' } : pol;
  } else if (argument !== undefined) chosen = { value: argument, source: 'argument' };
  else chosen = pol;

  if (!chosen) return { ...base, limit: v4 ? DEFAULT_DELIVERY_LIMIT_4X : null, source: v4 ? 'default' : 'none' };
  if (chosen.value < 0) return { ...base, limit: v4 ? null : 0, source: chosen.source };
  return { ...base, limit: chosen.value, source: chosen.source };
}

/** A short English description of the limit and where it comes from. */
export function describeDeliveryLimit(l: EffectiveDeliveryLimit): string {
  switch (l.source) {
    case 'argument':
      return l.limit === null ? `no delivery limit (x-delivery-limit ${l.argument})` : `delivery limit ${l.limit} (queue argument x-delivery-limit)`;
    case 'policy':
      return l.limit === null ? `no delivery limit (policy "${l.policy?.name}")` : `delivery limit ${l.limit} (delivery-limit of policy "${l.policy?.name}")`;
    case 'operator-policy':
      return l.limit === null ? `no delivery limit (operator policy "${l.operatorPolicy?.name}")` : `delivery limit ${l.limit} (delivery-limit of operator policy "${l.operatorPolicy?.name}")`;
    case 'default':
      return `delivery limit ${l.limit} (the default of RabbitMQ ${l.brokerVersion} for quorum queues without x-delivery-limit)`;
    default:
      return `no delivery limit (RabbitMQ ${l.brokerVersion} sets none by default)`;
  }
}

function policyApplies(p: PolicyInfo, name: string, type: QueueType): boolean {
  const to = p.applyTo;
  const typeOk = to === 'all' || to === 'queues' || (to === 'quorum_queues' && type === 'quorum') || (to === 'classic_queues' && type === 'classic') || (to === 'streams' && type === 'stream');
  if (!typeOk) return false;
  try {
    return new RegExp(p.pattern, 'u').test(name);
  } catch {
    try {
      return new RegExp(p.pattern).test(name);
    } catch {
      return false;
    }
  }
}

/** The policy the broker applies to a queue: the one it names, else the matching one of highest priority. */
export function applicablePolicy(policies: PolicyInfo[], queue: Pick<QueueInfo, 'name' | 'type'>, named?: string): PolicyInfo | undefined {
  if (named) {
    const byName = policies.find((p) => p.name === named);
    if (byName) return byName;
  }
  let best: PolicyInfo | undefined;
  for (const p of policies) {
    if (!policyApplies(p, queue.name, queue.type)) continue;
    if (!best || p.priority > best.priority) best = p;
  }
  return best;
}

/** Reads the queue's argument, policy and operator policy through the management API and resolves the limit. */
export async function readDeliveryLimit(client: ManagementClient, vhost: string, queue: QueueInfo, brokerVersion?: string): Promise<EffectiveDeliveryLimit> {
  const version = brokerVersion ?? (await client.version());
  const policies = await client.listPolicies(vhost);
  const policy = applicablePolicy(policies, queue, queue.policy);
  let operatorPolicy: PolicyInfo | undefined;
  let operatorPoliciesUnknown = false;
  try {
    operatorPolicy = applicablePolicy(await client.listPolicies(vhost, true), queue);
  } catch (e) {
    if (!(e instanceof RabbitError) || (e.code !== 'ACCESS_REFUSED' && e.code !== 'AUTH_FAILED')) throw e;
    operatorPoliciesUnknown = true;
  }
  const pv = (p: PolicyInfo | undefined): PolicyValue | undefined => {
    const n = intOf(p?.definition['delivery-limit']);
    return p && n !== undefined ? { name: p.name, value: n } : undefined;
  };
  const dlxArg = queue.arguments['x-dead-letter-exchange'];
  const dlxPol = policy?.definition['dead-letter-exchange'];
  const deadLetterExchange = typeof dlxArg === 'string' ? dlxArg : typeof dlxPol === 'string' ? dlxPol : undefined;
  return effectiveDeliveryLimit({
    brokerVersion: version,
    arguments: queue.arguments,
    policy: pv(policy),
    operatorPolicy: pv(operatorPolicy),
    deadLetterExchange,
    operatorPoliciesUnknown,
  });
}

/** Peeks that still leave a message in the queue, given its stored delivery count. */
export function peeksLeft(limit: number | null, storedCount: number): number | null {
  return limit === null ? null : Math.max(0, limit - storedCount);
}

export type PeekRisk =
  /** Classic queues and streams: nothing is counted. */
  | { kind: 'none' }
  /** Quorum queue without a limit: the counts rise, nothing can be lost. */
  | { kind: 'counted' }
  /** Each peeked message spends one of its `limit` attempts; none is known to be at its limit. */
  | { kind: 'spends'; limit: number; messages: number; unknown: number; fewestPeeksLeft?: number }
  /** Known messages would pass their limit with this peek: `atLimit` are their positions (0-based). */
  | { kind: 'drops'; limit: number; messages: number; atLimit: number[]; safeCount: number };

/**
 * What a peek of `requested` messages would cost. `known` are the stored delivery counts of the messages at
 * the head of the queue, in order, as the last peek left them; messages beyond them have unknown counts.
 */
export function assessPeekRisk(queueType: QueueType, limit: EffectiveDeliveryLimit | undefined, requested: number, ready: number, known: readonly number[] = []): PeekRisk {
  if (queueType !== 'quorum') return { kind: 'none' };
  if (!limit || limit.limit === null) return { kind: 'counted' };
  const L = limit.limit;
  const messages = Math.min(requested, ready);
  // A limit of 0 removes every message at its first hand-back, whatever its count.
  if (L === 0 && messages > 0) return { kind: 'drops', limit: 0, messages, atLimit: Array.from({ length: messages }, (_, i) => i), safeCount: 0 };
  const atLimit: number[] = [];
  let fewest: number | undefined;
  for (let i = 0; i < Math.min(messages, known.length); i++) {
    if (known[i] >= L) atLimit.push(i);
    const left = L - known[i];
    fewest = fewest === undefined ? left : Math.min(fewest, left);
  }
  if (atLimit.length) return { kind: 'drops', limit: L, messages, atLimit, safeCount: atLimit[0] };
  return { kind: 'spends', limit: L, messages, unknown: Math.max(0, messages - known.length), fewestPeeksLeft: fewest };
}

/**
 * The stored delivery counts the last peek of each queue left (head of the queue first), so that the next
 * peek can say which messages it would take past their limit. Keyed by the caller (connection, vhost, queue).
 */
export class DeliveryCountMemory {
  private readonly counts = new Map<string, number[]>();
  private readonly consented = new Set<string>();

  known(key: string): readonly number[] {
    return this.counts.get(key) ?? [];
  }

  /** After a peek: the counts it left (messages it took past the limit are gone and not kept). */
  record(key: string, countsAfter: readonly number[], passedLimit: readonly number[] = []): void {
    const gone = new Set(passedLimit);
    this.counts.set(key, countsAfter.filter((_, i) => !gone.has(i)));
  }

  /** The user agreed that peeks of this queue spend delivery attempts. */
  consent(key: string): void {
    this.consented.add(key);
  }

  hasConsent(key: string): boolean {
    return this.consented.has(key);
  }

  forget(key: string): void {
    this.counts.delete(key);
    this.consented.delete(key);
  }
}

/** What the caller allows a peek to do: spend attempts, or also take messages past their limit. */
export type PeekConsent = 'spend' | 'dead-letter';

export type PeekDecision =
  | { action: 'run'; count: number }
  /** Ask the user (interactive callers only); `risk` carries the numbers. */
  | { action: 'ask'; risk: Extract<PeekRisk, { kind: 'spends' | 'drops' }> }
  | { action: 'refuse'; error: RabbitError };

function where(l: EffectiveDeliveryLimit): string {
  return l.deadLetterExchange !== undefined ? `dead-lettered to "${l.deadLetterExchange || '(default exchange)'}"` : 'dropped (the queue has no dead-letter exchange)';
}

/**
 * Whether a peek may run. Read-only connections never spend a delivery attempt; otherwise a peek that spends
 * attempts needs consent (given before, or passed), and one that would take a known message past its limit
 * needs consent to that.
 */
export function decidePeek(input: {
  queue: string;
  risk: PeekRisk;
  limit?: EffectiveDeliveryLimit;
  requested: number;
  readOnly: boolean;
  /** Passed with the command (non-interactive callers). */
  consent?: PeekConsent;
  /** Consent to spend was given earlier for this queue. */
  consentedBefore: boolean;
  interactive: boolean;
}): PeekDecision {
  const { risk, limit, queue } = input;
  if (risk.kind === 'none' || risk.kind === 'counted') return { action: 'run', count: input.requested };
  const lim = limit ? describeDeliveryLimit(limit) : `delivery limit ${risk.limit}`;
  const fate = limit ? where(limit) : 'dead-lettered or dropped';
  if (input.readOnly) {
    const counts =
      risk.kind === 'drops'
        ? ` This peek would spend one attempt of each of the ${risk.messages} message(s) it would show, and ${risk.atLimit.length} of them have already been delivered ${risk.limit} time(s).`
        : ` This peek would spend one attempt of each of the ${risk.messages} message(s) it would show` + (risk.fewestPeeksLeft !== undefined ? ` (the fewest peeks left among the messages seen before: ${risk.fewestPeeksLeft}).` : ' (their delivery counts are not known yet).');
    return {
      action: 'refuse',
      error: new RabbitError('READ_ONLY', `Peek refused: quorum queue "${queue}" has a ${lim}. A peek hands messages back, and every hand-back spends one delivery attempt of each message; a read-only connection never does that.${counts}`, {
        hint: 'Use a connection that is not read-only (the peek then asks first), or give the queue no limit (x-delivery-limit / policy delivery-limit -1 on RabbitMQ 4.x).',
      }),
    };
  }
  if (risk.kind === 'drops') {
    if (input.consent === 'dead-letter') return { action: 'run', count: input.requested };
    if (input.interactive) return { action: 'ask', risk };
    const first = risk.atLimit[0];
    return {
      action: 'refuse',
      error: new RabbitError('UNSAFE', `Peek refused: in quorum queue "${queue}" (${lim}), message #${first + 1} has already been delivered ${risk.limit} time(s); this peek would take ${risk.atLimit.length} message(s) past the limit and they would be ${fate}.`, {
        field: 'consent',
        hint: risk.safeCount > 0 ? `Peek at most ${risk.safeCount} message(s), or pass consent: 'dead-letter' to accept it.` : `Pass consent: 'dead-letter' to accept it.`,
      }),
    };
  }
  if (input.consentedBefore || input.consent === 'spend' || input.consent === 'dead-letter') return { action: 'run', count: input.requested };
  if (input.interactive) return { action: 'ask', risk };
  const left = risk.fewestPeeksLeft !== undefined ? ` The fewest peeks left among the messages seen before: ${risk.fewestPeeksLeft}.` : '';
  return {
    action: 'refuse',
    error: new RabbitError('UNSAFE', `Peek refused without consent: quorum queue "${queue}" has a ${lim}; each peek spends one delivery attempt of each of the ${risk.messages} message(s) it would show (${risk.unknown} of them with an unknown count), and a message past the limit is ${fate}.${left}`, {
      field: 'consent',
      hint: `Pass consent: 'spend' to accept spending one attempt per message.`,
    }),
  };
}
