/**
 * The Plane flow end to end on a real dev server: the tracker moves with the deploy, approvals arrive
 * through the signed webhook, and busy forge responses and merge conflicts end where they should.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { awaitResult, queryStatus } from '../client/deploys.js';
import { checkVerdict } from '../verdict/gate.js';
import { startWebhookServer, type WebhookServer } from '../webhook/server.js';
import { planeSignature } from '../webhook/signature.js';
import { startWorkItem, waitForPhase } from './support/deploy-runs.js';
import { commitFiles } from './support/git-fixture.js';
import type { PlaneStandin, PlaneWebhookBody } from './support/plane-standin.js';
import { PLANE_STATES, PLANE_USERS, PLANE_WEBHOOK_SECRET } from './support/sandbox-plane.js';
import { readMain, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { startWorkerSandbox, type WorkerSandbox } from './support/workers.js';

const WORK_ITEMS = [
  { id: 'ORCH-401' },
  { id: 'ORCH-402', brokenImage: true },
  { id: 'ORCH-403' },
  { id: 'ORCH-404' },
  { id: 'ORCH-405' },
  { id: 'ORCH-406' },
];
const MAX_BODY_BYTES = 4096;

let setup: WorkerSandbox;
let sandbox: Sandbox;
let plane: PlaneStandin;
let client: Client;
let webhook: WebhookServer;
const logLines: string[] = [];

before(async () => {
  setup = await startWorkerSandbox({
    tmpPrefix: 'deployer-plane-',
    workItems: WORK_ITEMS,
    taskQueue: `plane-${process.pid}`,
    tracker: 'plane',
  });
  ({ sandbox, client } = setup);
  plane = sandbox.plane!;
  const config = { ...sandbox.config, webhook: { ...sandbox.config.webhook!, maxBodyBytes: MAX_BODY_BYTES } };
  webhook = await startWebhookServer({
    config,
    client,
    log: (level, message, fields) => logLines.push(JSON.stringify({ level, message, ...fields })),
  });
});

after(async () => {
  await webhook.close();
  await setup.close();
  await stopOwnServer();
});

/** Posts a body to the webhook, signed with the sandbox secret unless a signature is given. */
async function deliver(
  body: PlaneWebhookBody | string,
  options: { signature?: string | null; method?: string; url?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = options.signature === undefined ? planeSignature(PLANE_WEBHOOK_SECRET, raw) : options.signature;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Plane-Event': 'issue' };
  if (signature !== null) headers['X-Plane-Signature'] = signature;
  const method = options.method ?? 'POST';
  const response = await fetch(options.url ?? webhook.url, {
    method,
    headers,
    body: method === 'POST' ? raw : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function approvedBy(workItemId: string, login: keyof typeof PLANE_USERS): PlaneWebhookBody {
  return plane.moveByUser({ identifier: workItemId, state: PLANE_STATES.approved, actor: PLANE_USERS[login] });
}

async function deployVerdict(workItemId: string) {
  const text = await readMain(sandbox.originPath, `docs/work-items/${workItemId}/14-deploy-log.md`);
  return { text: text ?? '', gate: text === undefined ? undefined : checkVerdict('deploy', text) };
}

describe('webhook endpoint', () => {
  const sample = () => ({
    event: 'issue',
    action: 'updated',
    data: { id: 'x', project: 'p', sequence_id: 1 },
    activity: { field: 'state_id', new_value: 's', actor: { id: 'u' } },
  });
  const cases: Array<{ name: string; send: () => ReturnType<typeof deliver>; status: number }> = [
    { name: 'unsigned is 401', send: () => deliver(sample(), { signature: null }), status: 401 },
    {
      name: 'wrong secret is 401',
      send: () => deliver(sample(), { signature: planeSignature('other-secret', JSON.stringify(sample())) }),
      status: 401,
    },
    {
      name: 'other body signature is 401',
      send: () => deliver(sample(), { signature: planeSignature(PLANE_WEBHOOK_SECRET, '{}') }),
      status: 401,
    },
    {
      name: 'prefixed signature is 401',
      send: () => deliver(sample(), { signature: `sha256=${'a'.repeat(64)}` }),
      status: 401,
    },
    { name: 'body not JSON is 400', send: () => deliver('{"event": "issue",'), status: 400 },
    { name: 'missing event is 400', send: () => deliver({ action: 'updated', data: {} }), status: 400 },
    {
      name: 'bad sequence id is 400',
      send: () => deliver({ ...sample(), data: { id: 'x', project: 'p', sequence_id: '1; rm -rf /' } }),
      status: 400,
    },
    {
      name: 'oversized body is 413',
      send: () => deliver({ ...sample(), pad: 'x'.repeat(MAX_BODY_BYTES) }),
      status: 413,
    },
    { name: 'GET is 405', send: () => deliver(sample(), { method: 'GET' }), status: 405 },
    {
      name: 'other path is 404',
      send: () => deliver(sample(), { url: webhook.url.replace(/plane$/, 'gitea') }),
      status: 404,
    },
    { name: 'project event is ignored', send: () => deliver({ ...sample(), event: 'project' }), status: 200 },
    {
      name: 'label change is ignored',
      send: () => deliver({ ...sample(), activity: { ...sample().activity, field: 'labels' } }),
      status: 200,
    },
  ];
  for (const { name, send, status } of cases) {
    test(`webhook ${name}`, async () => {
      const answer = await send();
      assert.equal(answer.status, status, JSON.stringify(answer.json));
    });
  }

  test('webhook without waiting deploy', async () => {
    const body = approvedBy('ORCH-406', 'alice');
    const answer = await deliver(body);
    assert.equal(answer.status, 200);
    assert.equal(answer.json.result, 'no running deploy');
    plane.moveByUser({ identifier: 'ORCH-406', state: PLANE_STATES.development, actor: PLANE_USERS.alice });
  });

  test('webhook log omits secret', () => {
    const text = logLines.join('\n');
    assert.ok(logLines.length >= cases.length, 'expected one log line per request');
    assert.ok(!text.includes(PLANE_WEBHOOK_SECRET), 'the log must not contain the secret');
    assert.ok(!text.includes(planeSignature(PLANE_WEBHOOK_SECRET, '{}')), 'the log must not contain a signature');
  });
});

describe('deploy with plane tracker', () => {
  test('webhook approval reaches done', async () => {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-401' });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    const pending = plane.workItem('ORCH-401');
    assert.equal(pending.state, PLANE_STATES.approvalPending);
    const approveCommand = /temporal workflow signal --workflow-id deploy-orchestrator-ORCH-401 --name approve/;
    assert.match(pending.comments.at(-1) ?? '', approveCommand);
    assert.match(pending.comments.at(-1) ?? '', /Trace: http:\/\/[^<]+\/workflows\/deploy-orchestrator-ORCH-401/);

    const forged = await deliver(approvedBy('ORCH-401', 'alice'), { signature: planeSignature('guess', 'x') });
    assert.equal(forged.status, 401);
    const impostor = await deliver(approvedBy('ORCH-401', 'mallory'));
    assert.equal(impostor.json.result, 'approve sent');
    const untouched = await queryStatus(client, workflowId);
    assert.equal(untouched.approval.pending, true);
    assert.deepEqual(untouched.approval.ignored.map((entry) => entry.approver), ['mallory@example.com']);

    const approval = approvedBy('ORCH-401', 'alice');
    const first = await deliver(approval);
    const redelivered = await deliver(approval);
    assert.equal(first.json.result, 'approve sent');
    assert.equal(redelivered.status, 200);
    const result = await awaitResult(client, workflowId);

    assert.equal(result.deployStatus, 'SUCCESS');
    assert.equal(plane.workItem('ORCH-401').state, PLANE_STATES.done);
    assert.match((await deployVerdict('ORCH-401')).text, /^approver: alice$/m);
    assert.equal((await deliver(approval)).json.result, 'no running deploy');
  });

  test('hook failure returns to development', async () => {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-402' });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    assert.equal(plane.workItem('ORCH-402').state, PLANE_STATES.approvalPending);
    await deliver(approvedBy('ORCH-402', 'bob'));
    const result = await awaitResult(client, workflowId);

    assert.equal(result.deployStatus, 'FAILED');
    assert.equal(result.hookExitCode, 2);
    assert.equal(plane.workItem('ORCH-402').state, PLANE_STATES.development);
    assert.match(plane.workItem('ORCH-402').comments.at(-1) ?? '', /deploy FAILED: hook exited with code 2/);
  });

  test('merge conflict fails the deploy', async () => {
    await commitFiles({
      repoPath: sandbox.originPath,
      branch: 'main',
      files: { 'src/orch-403.txt': 'a different change on main\n' },
      message: 'Change the same file on main',
    });
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-403' });
    const result = await awaitResult(client, workflowId);

    assert.equal(result.stagingStatus, 'SUCCESS');
    assert.equal(result.deployStatus, 'FAILED');
    assert.match(result.reason ?? '', /Merge conflicts in: src\/orch-403\.txt/);
    const verdict = await deployVerdict('ORCH-403');
    assert.equal(verdict.gate?.ok && verdict.gate.status, 'FAILED');
    assert.match(verdict.text, /^reason: .*Merge conflicts in: src\/orch-403\.txt/m);
    assert.equal(plane.workItem('ORCH-403').state, PLANE_STATES.development);
    const pull = sandbox.gitea.pulls().find((item) => item.head === sandbox.branchOf('ORCH-403'));
    assert.equal(pull?.merged, false);
  });

  test('busy forge responses are retried', async () => {
    const pull = sandbox.gitea.pulls().find((item) => item.head === sandbox.branchOf('ORCH-404'))!;
    const mergePath = `/pulls/${pull.number}/merge`;
    const busyMessages = [
      { status: 405, body: { message: 'Please try again later' } },
      { status: 409, body: { message: 'merge push out of date' } },
    ];
    for (const fault of busyMessages) sandbox.gitea.failNext({ method: 'POST', pathPattern: mergePath, ...fault });
    const [busy, calm] = await Promise.all([
      startWorkItem({ client, sandbox, workItemId: 'ORCH-404' }),
      startWorkItem({ client, sandbox, workItemId: 'ORCH-405' }),
    ]);
    await waitForPhase({ client, workflowId: busy.workflowId, phase: 'awaiting-approval' });
    await waitForPhase({ client, workflowId: calm.workflowId, phase: 'awaiting-approval' });

    const mergeRequest = `POST /api/v1/repos/acme/orchestrator${mergePath}`;
    const attempts = sandbox.gitea.requests.filter((line) => line.startsWith(mergeRequest));
    assert.equal(attempts.length, 3);
    assert.equal(sandbox.gitea.pulls().find((item) => item.number === pull.number)?.merged, true);
    for (const id of ['ORCH-404', 'ORCH-405']) {
      const staging = await readMain(sandbox.originPath, `docs/work-items/${id}/15-staging-log.md`);
      assert.equal(staging && checkVerdict('staging', staging).ok, true, `staging verdict of ${id} on main`);
    }

    await deliver(approvedBy('ORCH-404', 'alice'));
    assert.equal((await awaitResult(client, busy.workflowId)).deployStatus, 'SUCCESS');
    await deliver(approvedBy('ORCH-405', 'bob'));
    assert.equal((await awaitResult(client, calm.workflowId)).deployStatus, 'SUCCESS');
  });
});
