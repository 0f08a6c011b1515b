import { invalidInput } from './errors';

/**
 * JSON object text the user typed (an input box, a form field, an args string) → the object. Empty text (or only
 * spaces) → undefined. Anything else that is not a JSON object is INVALID_INPUT naming `field`, with `example` in
 * the hint.
 */
export function parseJsonObject(field: string, text: string, example = '{"name": "value"}'): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  const hint = `Write an object such as ${example}, or leave it empty.`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalidInput(field, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`, hint);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidInput(field, 'must be a JSON object', hint);
  return value as Record<string, unknown>;
}
