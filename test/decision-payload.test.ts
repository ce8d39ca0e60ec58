/** The workflow's zod-free payload check accepts exactly what the client's zod schemas accept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvePayloadSchema, rejectPayloadSchema } from '../shared/input.js';
import { payloadProblem } from '../workflows/decision-payload.js';

const LONG = 'x'.repeat(2001);
const CASES: Array<{ kind: 'approve' | 'reject'; payload: Record<string, unknown>; valid: boolean }> = [
  { kind: 'approve', payload: { approver: 'alice' }, valid: true },
  { kind: 'approve', payload: { approver: 'alice@example.com', comment: 'ship it' }, valid: true },
  { kind: 'approve', payload: { approver: 'alice', comment: 'x'.repeat(2000) }, valid: true },
  { kind: 'approve', payload: { approver: 'alice', comment: LONG }, valid: false },
  { kind: 'approve', payload: { approver: 'alice', comment: 7 }, valid: false },
  { kind: 'approve', payload: {}, valid: false },
  { kind: 'approve', payload: { approver: '' }, valid: false },
  { kind: 'approve', payload: { approver: 'alice; rm -rf /' }, valid: false },
  { kind: 'approve', payload: { approver: 'a'.repeat(65) }, valid: false },
  { kind: 'approve', payload: { approver: 'alice', extra: 1 }, valid: false },
  { kind: 'approve', payload: { approver: null }, valid: false },
  { kind: 'reject', payload: { approver: 'bob', reason: 'freeze' }, valid: true },
  { kind: 'reject', payload: { approver: 'bob' }, valid: false },
  { kind: 'reject', payload: { approver: 'bob', reason: '' }, valid: false },
  { kind: 'reject', payload: { approver: 'bob', reason: LONG }, valid: false },
  { kind: 'reject', payload: { approver: 'bob', reason: 'freeze', comment: 'no' }, valid: false },
];

test('decision payload check matches schemas', () => {
  for (const { kind, payload, valid } of CASES) {
    const schema = kind === 'approve' ? approvePayloadSchema : rejectPayloadSchema;
    const label = `${kind} ${JSON.stringify(payload).slice(0, 60)}`;
    assert.equal(schema.safeParse(payload).success, valid, `schema: ${label}`);
    assert.equal(payloadProblem(kind, payload) === null, valid, `workflow check: ${label}`);
  }
});

test('decision payload problem names field', () => {
  assert.equal(payloadProblem('reject', { approver: 'bob' }), 'reason: missing');
  assert.equal(payloadProblem('approve', {}), 'approver: missing, expected a login such as alice');
  assert.match(payloadProblem('reject', { approver: 'bob', reason: 7 }) ?? '', /^reason: expected a string, received number$/);
  assert.match(payloadProblem('approve', { approver: 'alice', extra: 1 }) ?? '', /^extra: unrecognized key/);
});
