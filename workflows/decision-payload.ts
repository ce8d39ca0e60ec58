/**
 * Checks approve and reject payloads inside the workflow with the same rules as the zod schemas in
 * shared/input.ts. Workflow code avoids zod because the worker evaluates the bundle's modules for
 * every workflow it caches. With zod, 300 parked deploys took 619 MiB of worker memory, and 347 MiB
 * without it (`npm run bench -- --only parked --parked 300` on 2 cores).
 */
import { IDENTITY_PATTERN, MAX_DECISION_TEXT } from '../shared/patterns.js';

const FIELDS = {
  approve: { required: ['approver'], optional: ['comment'] },
  reject: { required: ['approver', 'reason'], optional: [] },
} as const;

/** Returns the first problem of a payload as "field: expected ...", or null when it is valid. */
export function payloadProblem(kind: 'approve' | 'reject', payload: Record<string, unknown>): string | null {
  const { required, optional } = FIELDS[kind];
  const known: readonly string[] = [...required, ...optional];
  const unknown = Object.keys(payload).find((key) => !known.includes(key));
  if (unknown !== undefined) return `${unknown}: unrecognized key, expected only ${known.join(', ')}`;
  for (const field of known) {
    const value = payload[field];
    if (value === undefined && (optional as readonly string[]).includes(field)) continue;
    const problem = fieldProblem(field, value);
    if (problem !== null) return `${field}: ${problem}`;
  }
  return null;
}

function fieldProblem(field: string, value: unknown): string | null {
  if (value === undefined) return field === 'approver' ? 'missing, expected a login such as alice' : 'missing';
  if (typeof value !== 'string') return `expected a string, received ${value === null ? 'null' : typeof value}`;
  if (field === 'approver') {
    return IDENTITY_PATTERN.test(value) ? null : 'expected a login such as alice or alice@example.com (letters, digits, . _ @ + -)';
  }
  if (field === 'reason' && value.length === 0) return 'expected a reason';
  return value.length > MAX_DECISION_TEXT ? `expected at most ${MAX_DECISION_TEXT} characters` : null;
}
