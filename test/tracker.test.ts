import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { createTrackerActivities } from '../activities/tracker.js';
import type { MoveWorkItemRequest, TrackerState } from '../activities/types.js';
import { configSchema } from '../shared/config.js';
import { startPlaneStandin, type PlaneStandin } from './support/plane-standin.js';

const API_KEY = 'plane-test-key';
const STATES = ['In Development', 'Approval Pending', 'Approved', 'Done'];

function trackerConfig(tracker: Record<string, unknown>) {
  return configSchema.parse({
    stateDir: '/tmp/deployer-tracker-test',
    forge: { kind: 'gitea', baseUrl: 'http://127.0.0.1:9' },
    tracker,
    hosts: {},
    projects: {},
  });
}

function planeActivities(plane: PlaneStandin, overrides: Record<string, unknown> = {}, apiKey = API_KEY) {
  const config = trackerConfig({
    kind: 'plane',
    baseUrl: plane.baseUrl,
    workspace: 'acme',
    requestTimeoutSeconds: 2,
    ...overrides,
  });
  return createTrackerActivities({ config, env: { PLANE_API_KEY: apiKey } });
}

function move(to: TrackerState, comment?: string, workItemId = 'ORCH-65'): MoveWorkItemRequest {
  return { projectId: 'orchestrator', workItemId, to, comment };
}

type MoveWorkItem = ReturnType<typeof createTrackerActivities>['moveWorkItem'];

/** Runs the activity in an activity context. The SDK cannot infer the result type from the function. */
function runMove(env: MockActivityEnvironment, moveWorkItem: MoveWorkItem, request: MoveWorkItemRequest) {
  return env.run<[MoveWorkItemRequest], { changed: boolean }, MoveWorkItem>(moveWorkItem, request);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the activity to fail');
}

describe('tracker on plane', () => {
  let plane: PlaneStandin;
  let env: MockActivityEnvironment;

  before(() => {
    env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') });
  });

  beforeEach(async () => {
    await plane?.close();
    plane = await startPlaneStandin({
      apiKey: API_KEY,
      workspace: 'acme',
      projects: { ORCH: { states: STATES, workItems: [{ sequence: 65, state: 'In Development' }] } },
    });
  });

  after(async () => {
    await plane.close();
  });

  const transitions: Array<{ to: TrackerState; state: string }> = [
    { to: 'approval-pending', state: 'Approval Pending' },
    { to: 'done', state: 'Done' },
  ];
  for (const { to, state } of transitions) {
    test(`move to ${to} sets state`, async () => {
      const { moveWorkItem } = planeActivities(plane);
      const result = await runMove(env, moveWorkItem, move(to, `moved to ${to}`));
      assert.equal(result.changed, true);
      assert.equal(plane.workItem('ORCH-65').state, state);
      assert.deepEqual(plane.workItem('ORCH-65').comments, [`<p>moved to ${to}</p>`]);
    });
  }

  test('move to current state is no-op', async () => {
    const { moveWorkItem } = planeActivities(plane);
    const result = await runMove(env, moveWorkItem, move('development', 'back to development'));
    assert.equal(result.changed, false);
    assert.equal(plane.requests.filter((request) => request.method === 'PATCH').length, 0);
    assert.deepEqual(plane.workItem('ORCH-65').comments, []);
  });

  test('repeated move posts one comment', async () => {
    const { moveWorkItem } = planeActivities(plane);
    const first = await runMove(env, moveWorkItem, move('done', 'deployed'));
    const second = await runMove(env, moveWorkItem, move('done', 'deployed'));
    assert.equal(first.changed, true);
    assert.equal(second.changed, false);
    assert.deepEqual(plane.workItem('ORCH-65').comments, ['<p>deployed</p>']);
  });

  test('comment is html-escaped', async () => {
    const { moveWorkItem } = planeActivities(plane);
    await runMove(env, moveWorkItem, move('approval-pending', `Run <script>alert("x")</script> & 'approve'\nnext line`));
    assert.deepEqual(plane.workItem('ORCH-65').comments, [
      '<p>Run &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;approve&#39;<br>next line</p>',
    ]);
  });

  test('move uses work-items paths', async () => {
    const { moveWorkItem } = planeActivities(plane);
    await runMove(env, moveWorkItem, move('done'));
    const paths = plane.requests.map((request) => `${request.method} ${request.path.split('?')[0]}`);
    assert.match(paths[0]!, /^GET \/api\/v1\/workspaces\/acme\/work-items\/ORCH-65\/$/);
    assert.match(paths[1]!, /^GET \/api\/v1\/workspaces\/acme\/projects\/[0-9a-f-]+\/states\/$/);
    assert.match(paths[2]!, /^PATCH \/api\/v1\/workspaces\/acme\/projects\/[0-9a-f-]+\/work-items\/[0-9a-f-]+\/$/);
  });

  const rejections: Array<{ name: string; run: () => Promise<unknown>; type: string; retryable: boolean }> = [
    {
      name: 'wrong api key is rejected',
      run: () => runMove(env, planeActivities(plane, {}, 'wrong-key').moveWorkItem, move('done')),
      type: 'TrackerRejected',
      retryable: false,
    },
    {
      name: 'unknown work item is rejected',
      run: () => runMove(env, planeActivities(plane).moveWorkItem, move('done', undefined, 'ORCH-99')),
      type: 'TrackerRejected',
      retryable: false,
    },
    {
      name: 'unknown state name is rejected',
      run: () => runMove(env, planeActivities(plane, { states: { done: 'Shipped' } }).moveWorkItem, move('done')),
      type: 'TrackerRejected',
      retryable: false,
    },
    {
      name: 'missing api key fails',
      run: () => runMove(env, planeActivities(plane, {}, '').moveWorkItem, move('done')),
      type: 'MissingSecret',
      retryable: false,
    },
    {
      name: 'server error is retryable',
      run: () => {
        plane.injectFaults({ status: 503 });
        return runMove(env, planeActivities(plane).moveWorkItem, move('done'));
      },
      type: 'TrackerUnavailable',
      retryable: true,
    },
    {
      name: 'timeout is retryable',
      run: () => {
        plane.injectFaults({ delayMs: 1500 });
        return runMove(env, planeActivities(plane, { requestTimeoutSeconds: 0.3 }).moveWorkItem, move('done'));
      },
      type: 'TrackerUnavailable',
      retryable: true,
    },
  ];
  for (const { name, run, type, retryable } of rejections) {
    test(name, async () => {
      const error = await failureOf(run());
      assert.equal(error.type, type);
      assert.equal(error.nonRetryable, !retryable);
      assert.equal(plane.workItem('ORCH-65').state, 'In Development');
    });
  }

  test('state change after 5xx retry', async () => {
    plane.injectFaults({ status: 502 });
    const { moveWorkItem } = planeActivities(plane);
    await failureOf(runMove(env, moveWorkItem, move('done', 'deployed')));
    const result = await runMove(env, moveWorkItem, move('done', 'deployed'));
    assert.equal(result.changed, true);
    assert.deepEqual(plane.workItem('ORCH-65').comments, ['<p>deployed</p>']);
  });
});

describe('tracker kind none', () => {
  test('move logs transition and comment', async () => {
    const entries: LogEntry[] = [];
    const logger = new DefaultLogger('INFO', (entry) => entries.push(entry));
    const env = new MockActivityEnvironment(undefined, { logger });
    const { moveWorkItem } = createTrackerActivities({ config: trackerConfig({ kind: 'none' }), env: {} });

    const result = await runMove(env, moveWorkItem, move('approval-pending', 'approve with the CLI'));
    const entry = entries.find((candidate) => candidate.message.startsWith('Tracker transition'));
    assert.equal(result.changed, true);
    assert.ok(entry, 'expected a tracker transition log entry');
    assert.equal(entry.meta?.to, 'approval-pending');
    assert.equal(entry.meta?.workItemId, 'ORCH-65');
    assert.equal(entry.meta?.comment, 'approve with the CLI');
  });
});
