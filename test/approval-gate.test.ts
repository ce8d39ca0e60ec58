/** Approval gate: decisions that arrive before the approval window opens are held, then judged. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApprovalGate } from '../workflows/approval.js';
import type { Decision } from '../workflows/messages.js';

const OPENED_AT = '2026-01-05T10:00:00.000Z';
const DEADLINE = '2026-01-08T10:00:00.000Z';

const cases: Array<{ name: string; early: Decision[]; approver: string | null; rejectedBy: string | null; ignored: number }> = [
  { name: 'early approve counts', early: [{ decision: 'approve', approver: 'alice' }], approver: 'alice', rejectedBy: null, ignored: 0 },
  { name: 'early reject counts', early: [{ decision: 'reject', approver: 'bob', reason: 'bad image' }], approver: null, rejectedBy: 'bob', ignored: 0 },
  { name: 'early stranger ignored', early: [{ decision: 'approve', approver: 'mallory' }], approver: null, rejectedBy: null, ignored: 1 },
  { name: 'early requester ignored', early: [{ decision: 'approve', approver: 'carol' }], approver: null, rejectedBy: null, ignored: 1 },
  {
    name: 'first early decision wins',
    early: [
      { decision: 'approve', approver: 'alice' },
      { decision: 'reject', approver: 'bob', reason: 'too late' },
    ],
    approver: 'alice',
    rejectedBy: null,
    ignored: 1,
  },
];

for (const { name, early, approver, rejectedBy, ignored } of cases) {
  test(`approval gate: ${name}`, () => {
    const gate = new ApprovalGate(['alice', 'bob'], 'carol');
    for (const decision of early) {
      assert.equal(gate.apply(decision, 'staging', OPENED_AT).counted, false);
    }
    assert.equal(gate.decided, false);

    gate.open(OPENED_AT, DEADLINE);

    assert.equal(gate.view.approver, approver);
    assert.equal(gate.view.rejectedBy, rejectedBy);
    assert.equal(gate.view.ignored.length, ignored);
  });
}

test('approval gate: invalid early payload ignored', () => {
  const gate = new ApprovalGate(['alice', 'bob'], 'carol');
  const answer = gate.apply({ decision: 'approve', approver: '' }, 'staging', OPENED_AT);
  assert.match(answer.reason, /invalid approve payload/);
  assert.equal(gate.earlyDecisions.length, 0);
});

test('approval gate: early decisions survive replacement', () => {
  const first = new ApprovalGate([], 'carol');
  first.apply({ decision: 'approve', approver: 'alice' }, 'starting', OPENED_AT);
  const second = new ApprovalGate(['alice'], 'carol', first.earlyDecisions);
  second.open(OPENED_AT, DEADLINE);
  assert.equal(second.view.approver, 'alice');
});
