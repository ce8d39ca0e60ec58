/** The deploy workflow on a real dev server with the deploy host reached over a real sshd on 127.0.0.1. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { awaitResult, queryStatus } from '../client/deploys.js';
import { checkVerdict } from '../verdict/gate.js';
import { approveSignal } from '../workflows/messages.js';
import { startWorkItem, waitForPhase, waitForStatus } from './support/deploy-runs.js';
import { readMain, PROJECT_ID, type Sandbox } from './support/sandbox.js';
import { sessionMembers } from './support/processes.js';
import { stopOwnServer } from './support/temporal.js';
import { sharedBundleOptions } from './support/workflow-bundle.js';
import { startWorkerSandbox, type WorkerSandbox } from './support/workers.js';

const setups: WorkerSandbox[] = [];
let selfHosted: WorkerSandbox;
let synchronous: WorkerSandbox;

/** Builds a sandbox over ssh and runs an in-process worker for it. */
async function createSetup(label: string, options: { selfHosting: boolean; workItems: string[] }): Promise<WorkerSandbox> {
  const setup = await startWorkerSandbox({
    tmpPrefix: `deployer-ssh-${label}-`,
    workItems: options.workItems.map((id) => ({ id })),
    taskQueue: `ssh-${label}-${process.pid}`,
    transport: 'ssh',
    selfHosting: options.selfHosting,
    // Cancellation reaches an activity with its next heartbeat, which the SDK throttles to 80 % of the 30 s heartbeat timeout by default.
    workerOptions: { ...(await sharedBundleOptions()), maxHeartbeatThrottleInterval: '1s' },
  });
  setups.push(setup);
  return setup;
}

before(async () => {
  selfHosted = await createSetup('self', { selfHosting: true, workItems: ['ORCH-901'] });
  synchronous = await createSetup('sync', { selfHosting: false, workItems: ['ORCH-902', 'ORCH-903'] });
});

after(async () => {
  for (const setup of setups) await setup.close();
  await stopOwnServer();
});

async function deployVerdict(sandbox: Sandbox, workItemId: string) {
  const text = await readMain(sandbox.originPath, `docs/work-items/${workItemId}/14-deploy-log.md`);
  return text === undefined ? undefined : checkVerdict('deploy', text);
}

async function sshLogins(sandbox: Sandbox): Promise<number> {
  const log = await readFile(sandbox.sshd!.logFile, 'utf8');
  return log.split('\n').filter((line) => line.includes('Accepted publickey')).length;
}

test('self-deploy over ssh reaches SUCCESS', async () => {
  const { sandbox, client } = selfHosted;
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-901' });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice' });
  const result = await awaitResult(client, workflowId);

  assert.equal(result.deployStatus, 'SUCCESS', result.reason ?? '');
  assert.equal(result.hookExitCode, 0);
  const gate = await deployVerdict(sandbox, 'ORCH-901');
  assert.equal(gate?.ok && gate.status, 'SUCCESS');
  const version = await readFile(path.join(sandbox.dir, 'docker/version'), 'utf8');
  assert.equal(version.trim(), sandbox.imageOf('ORCH-901'));
  assert.ok((await sshLogins(sandbox)) >= 2, 'expected the launch and the polls to log in over ssh');
});

test('synchronous deploy over ssh reaches SUCCESS', async () => {
  const { sandbox, client } = synchronous;
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-902' });
  const result = await awaitResult(client, workflowId);

  assert.equal(result.deployStatus, 'SUCCESS', result.reason ?? '');
  assert.equal(result.hookExitCode, 0);
  const view = await queryStatus(client, workflowId);
  assert.equal(view.approval.approver, null);
  assert.equal(view.launch, null);
  const gate = await deployVerdict(sandbox, 'ORCH-902');
  assert.equal(gate?.ok && gate.status, 'SUCCESS');
  assert.ok((await sshLogins(sandbox)) >= 2, 'expected the hook to run over ssh');
});

test('cancelled synchronous deploy kills hook', async () => {
  const { sandbox, client } = synchronous;
  const deploy = sandbox.config.projects[PROJECT_ID]!.deploy;
  const originalHook = deploy.hook;
  deploy.hook = ['bash', '-c', 'sleep 300 & sleep 300; wait'];
  try {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-903' });
    const view = await waitForStatus({ client, workflowId, reached: (status) => status.deployId !== null, expected: 'a deploy id' });
    const pidFile = path.join(sandbox.hostStateDir, view.deployId!, 'pid');
    await until(() => existsSync(pidFile), `pid file ${pidFile}`);
    const pid = Number((await readFile(pidFile, 'utf8')).split(' ')[0]);
    await until(() => sessionMembers(pid).length >= 3, `the wrapper and two sleeps in session ${pid}`);

    await client.workflow.getHandle(workflowId).cancel();
    await assert.rejects(
      awaitResult(client, workflowId),
      (error) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure,
    );
    await until(() => sessionMembers(pid).length === 0, `no process left in session ${pid}`);
    assert.equal(await readFile(path.join(sandbox.hostStateDir, view.deployId!, 'exit_code'), 'utf8'), '143\n');
  } finally {
    deploy.hook = originalHook;
  }
});

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
