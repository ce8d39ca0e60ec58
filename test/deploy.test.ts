/** End-to-end tests of the deploy workflow on a real dev server, real git, stand-in Gitea and the reference hook. */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { AlreadyDeployedError, awaitResult, decide, queryStatus, startDeploy } from '../client/deploys.js';
import { checkVerdict } from '../verdict/gate.js';
import { approveSignal, rejectSignal } from '../workflows/messages.js';
import { readLines, startWorkItem, waitForPhase } from './support/deploy-runs.js';
import { PROJECT_ID, readMain, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { startWorkerSandbox, type WorkerSandbox } from './support/workers.js';

const WORK_ITEMS = [
  { id: 'ORCH-101' },
  { id: 'ORCH-102' },
  { id: 'ORCH-103', brokenImage: true },
  { id: 'ORCH-104' },
  { id: 'ORCH-105' },
  { id: 'ORCH-106' },
  { id: 'ORCH-107' },
];

let setup: WorkerSandbox;
let sandbox: Sandbox;
let client: Client;

before(async () => {
  setup = await startWorkerSandbox({ tmpPrefix: 'deployer-e2e-', workItems: WORK_ITEMS, taskQueue: `e2e-${process.pid}` });
  ({ sandbox, client } = setup);
});

after(async () => {
  await setup.close();
  await stopOwnServer();
});

async function verdictOnMain(workItemId: string, kind: 'staging' | 'deploy') {
  const file = kind === 'staging' ? '15-staging-log.md' : '14-deploy-log.md';
  const text = await readMain(sandbox.originPath, `docs/work-items/${workItemId}/${file}`);
  return { text, gate: text === undefined ? undefined : checkVerdict(kind, text) };
}

describe('deploy workflow on a dev server', () => {
  test('self-deploy approved reaches SUCCESS', async () => {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-101' });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice', comment: 'ship it' });
    const result = await awaitResult(client, workflowId);

    assert.equal(result.stagingStatus, 'SUCCESS');
    assert.equal(result.deployStatus, 'SUCCESS');
    assert.equal(result.hookExitCode, 0);
    const staging = await verdictOnMain('ORCH-101', 'staging');
    assert.equal(staging.gate?.ok && staging.gate.status, 'SUCCESS');
    assert.match(staging.text ?? '', /INFRA-WAIVED: C9a sandbox branch/);
    assert.match(staging.text ?? '', /^timestamp: '\d{4}-\d\d-\d\dT[\d:.]+Z'$/m);
    const deploy = await verdictOnMain('ORCH-101', 'deploy');
    assert.equal(deploy.gate?.ok && deploy.gate.status, 'SUCCESS');
    assert.match(deploy.text ?? '', /^approver: alice$/m);
    const version = await readFile(path.join(sandbox.dir, 'docker/version'), 'utf8');
    assert.equal(version.trim(), sandbox.imageOf('ORCH-101'));
  });

  test('staging FAILED ends without deploy', async () => {
    await writeFile(path.join(sandbox.dir, 'staging-exit-code'), '1\n');
    try {
      const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-102' });
      const result = await awaitResult(client, workflowId);
      assert.equal(result.stagingStatus, 'FAILED');
      assert.equal(result.deployStatus, null);
    } finally {
      await rm(path.join(sandbox.dir, 'staging-exit-code'), { force: true });
    }
    const staging = await verdictOnMain('ORCH-102', 'staging');
    assert.equal(staging.gate?.ok && staging.gate.status, 'FAILED');
    const deploy = await verdictOnMain('ORCH-102', 'deploy');
    assert.equal(deploy.text, undefined);
    const pull = sandbox.gitea.pulls().find((item) => item.head === sandbox.branchOf('ORCH-102'));
    assert.equal(pull?.merged, false);
  });

  test('hook exit 2 gives FAILED', async () => {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-103' });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'bob' });
    const result = await awaitResult(client, workflowId);

    assert.equal(result.deployStatus, 'FAILED');
    assert.equal(result.hookExitCode, 2);
    const deploy = await verdictOnMain('ORCH-103', 'deploy');
    assert.equal(deploy.gate?.ok && deploy.gate.status, 'FAILED');
    assert.match(deploy.text ?? '', /^hook_exit_code: 2$/m);
  });

  test('rejection gives FAILED without launch', async () => {
    const before = (await readLines(sandbox.hookRunsFile)).length;
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-104' });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    await client.workflow.getHandle(workflowId).signal(rejectSignal, { approver: 'alice', reason: 'not during the freeze' });
    const result = await awaitResult(client, workflowId);

    assert.equal(result.deployStatus, 'FAILED');
    assert.match(result.reason ?? '', /rejected by alice: not during the freeze/);
    assert.equal((await readLines(sandbox.hookRunsFile)).length, before);
    const deploy = await verdictOnMain('ORCH-104', 'deploy');
    assert.match(deploy.text ?? '', /^reason: 'rejected by alice/m);
  });

  test('approval deadline gives FAILED', async () => {
    const before = (await readLines(sandbox.hookRunsFile)).length;
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-105', approvalTimeoutHours: 2 / 3600 });
    const result = await awaitResult(client, workflowId);

    assert.equal(result.deployStatus, 'FAILED');
    assert.match(result.reason ?? '', /approval timed out/);
    assert.equal((await readLines(sandbox.hookRunsFile)).length, before);
  });

  test('duplicate and disallowed approvals', async () => {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-106' });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    const handle = client.workflow.getHandle(workflowId);

    const byRequester = await decide(client, workflowId, { decision: 'approve', approver: 'carol' });
    assert.equal(byRequester.counted, false);
    assert.match(byRequester.reason, /requested this deploy/);
    const byStranger = await decide(client, workflowId, { decision: 'approve', approver: 'mallory' });
    assert.equal(byStranger.counted, false);
    assert.match(byStranger.reason, /not an allowed approver/);

    await handle.signal(approveSignal, { approver: 'alice' });
    await handle.signal(approveSignal, { approver: 'alice' });
    await handle.signal(approveSignal, { approver: 'bob' });
    const result = await awaitResult(client, workflowId);

    assert.equal(result.deployStatus, 'SUCCESS');
    const runs = (await readLines(sandbox.hookRunsFile)).filter((line) => line.startsWith(`${workflowId}.`));
    assert.equal(runs.length, 1);
    const view = await queryStatus(client, workflowId);
    assert.equal(view.approval.approver, 'alice');
    assert.equal(view.approval.ignored.length, 4);
  });

  test('same work item started twice', async () => {
    const first = await startWorkItem({ client, sandbox, workItemId: 'ORCH-107' });
    const second = await startWorkItem({ client, sandbox, workItemId: 'ORCH-107' });
    assert.equal(first.startedNew, true);
    assert.equal(second.startedNew, false);
    assert.equal(second.runId, first.runId);
    assert.deepEqual(second.differences, []);
    const otherImage = await startDeploy(client, sandbox.config, {
      projectId: PROJECT_ID,
      workItemId: 'ORCH-107',
      featureBranch: sandbox.branchOf('ORCH-107'),
      imageReference: 'registry.local:5000/orchestrator:other',
      requestedBy: 'carol',
    });
    assert.equal(otherImage.startedNew, false);
    assert.match(otherImage.differences.join('\n'), /^imageReference: running ".*:orch-107", requested ".*:other"$/m);

    await waitForPhase({ client, workflowId: first.workflowId, phase: 'awaiting-approval' });
    await client.workflow.getHandle(first.workflowId).signal(approveSignal, { approver: 'bob' });
    assert.equal((await awaitResult(client, first.workflowId)).deployStatus, 'SUCCESS');
    await assert.rejects(startWorkItem({ client, sandbox, workItemId: 'ORCH-107' }), AlreadyDeployedError);
    const mergesOfBranch = sandbox.gitea
      .pulls()
      .filter((pull) => pull.head === sandbox.branchOf('ORCH-107') && pull.merged);
    assert.equal(mergesOfBranch.length, 1);
  });
});
