/**
 * The input schemas of the agent tools: a small subset of JSON Schema, given as is to the editor
 * (`languageModelTools` in package.json) and to MCP clients (tools/list), and checked here before a tool runs,
 * since neither the editor nor every MCP client validates what a model sends. Errors name the field and say
 * what to send instead.
 */
import { invalidInput } from '../errors';

export type PropertySchema =
  | { type: 'string'; description: string; enum?: readonly string[]; minLength?: number }
  | { type: 'integer'; description: string; minimum?: number; maximum?: number }
  | { type: 'boolean'; description: string }
  /** A JSON object of name → value (headers, arguments). */
  | { type: 'object'; description: string };

export interface ObjectSchema {
  type: 'object';
  properties: Record<string, PropertySchema>;
  required?: readonly string[];
  additionalProperties: false;
}

export type ToolInput = Record<string, unknown>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks a tool's input against its schema. Unknown fields are refused (a misspelt field would otherwise be
 * ignored silently); `null` counts as absent, as some models send it for optional fields.
 */
export function validateInput(schema: ObjectSchema, raw: unknown): ToolInput {
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) throw invalidInput('input', 'must be an object of named fields', `Send an object such as {"${Object.keys(schema.properties)[0] ?? 'field'}": …}.`);
  const known = Object.keys(schema.properties);
  const out: ToolInput = {};
  for (const [k, v] of Object.entries(raw)) {
    const p = schema.properties[k];
    if (!p) throw invalidInput(k, 'is not a field of this tool', known.length ? `The fields are: ${known.join(', ')}.` : 'This tool takes no input.');
    if (v === null || v === undefined) continue;
    out[k] = checkValue(k, p, v);
  }
  for (const r of schema.required ?? []) {
    if (out[r] === undefined) throw invalidInput(r, 'is required', schema.properties[r]?.description);
  }
  return out;
}

function checkValue(field: string, p: PropertySchema, v: unknown): unknown {
  switch (p.type) {
    case 'string':
      if (typeof v !== 'string') throw invalidInput(field, `must be a string (got ${describe(v)})`);
      if (p.enum && !p.enum.includes(v)) throw invalidInput(field, `must be one of ${p.enum.map((e) => JSON.stringify(e)).join(', ')} (got ${JSON.stringify(v)})`);
      if (p.minLength !== undefined && v.length < p.minLength) throw invalidInput(field, 'is empty', p.description);
      return v;
    case 'integer': {
      // Models sometimes send numbers as strings: "5" is accepted, "five" is not.
      const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidInput(field, `must be a whole number (got ${describe(v)})`);
      if (p.minimum !== undefined && n < p.minimum) throw invalidInput(field, `must be at least ${p.minimum} (got ${n})`);
      if (p.maximum !== undefined && n > p.maximum) throw invalidInput(field, `must be at most ${p.maximum} (got ${n})`);
      return n;
    }
    case 'boolean':
      if (v === 'true' || v === 'false') return v === 'true';
      if (typeof v !== 'boolean') throw invalidInput(field, `must be true or false (got ${describe(v)})`);
      return v;
    case 'object':
      if (!isPlainObject(v)) throw invalidInput(field, `must be a JSON object of name → value (got ${describe(v)})`);
      return v;
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
