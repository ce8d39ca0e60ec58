/** A worker killed with SIGKILL right after the hook launch; a new worker process finishes Phase C. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { ResultPromise } from 'execa';
import { awaitResult, queryStatus } from '../client/deploys.js';
import { checkVerdict } from '../verdict/gate.js';
import { approveSignal } from '../workflows/messages.js';
import { startWorkItem, waitFor, waitForPhase } from './support/deploy-runs.js';
import { readMain, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { startClientSandbox, startWorkerProcess, type ClientSandbox } from './support/workers.js';

const WORK_ITEM = 'ORCH-201';
const WAIT_TIMEOUT_MS = 90_000;

let setup: ClientSandbox;
let sandbox: Sandbox;
let client: Client;
const workers: ResultPromise[] = [];

before(async () => {
  setup = await startClientSandbox({
    tmpPrefix: 'deployer-crash-',
    workItems: [{ id: WORK_ITEM }],
    taskQueue: `crash-${process.pid}`,
    hookDelaySeconds: 4,
  });
  ({ sandbox, client } = setup);
});

after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await setup.close();
  await stopOwnServer();
});

/** Starts a worker process on the sandbox config, which `after` kills. */
function addWorkerProcess(): ResultPromise {
  const worker = startWorkerProcess(sandbox.configPath, {
    reject: false,
    stdout: 'ignore',
    stderr: 'ignore',
    env: { DEPLOYER_BUNDLE_FROM_SOURCE: '' },
  });
  workers.push(worker);
  return worker;
}

test('worker killed after launch, new worker finishes', async () => {
  const first = addWorkerProcess();
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId: WORK_ITEM });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval', timeoutMs: WAIT_TIMEOUT_MS });
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice' });
  const launched = await waitFor(async () => (await queryStatus(client, workflowId)).launch ?? undefined, 'launch record', WAIT_TIMEOUT_MS);

  first.kill('SIGKILL');
  const exit = await first;
  assert.equal(exit.signal, 'SIGKILL');
  const runsAtKill = await readFile(sandbox.hookRunsFile, 'utf8').catch(() => '');

  void addWorkerProcess();
  const result = await awaitResult(client, workflowId);

  assert.equal(result.deployStatus, 'SUCCESS');
  assert.equal(result.hookExitCode, 0);
  const runs = (await readFile(sandbox.hookRunsFile, 'utf8')).split('\n').filter((line) => line.startsWith(launched.deployId));
  assert.equal(runs.length, 1, `hook runs: ${JSON.stringify(runs)}, at kill: ${JSON.stringify(runsAtKill)}`);
  const view = await queryStatus(client, workflowId);
  assert.equal(view.launch?.pid, launched.pid);
  const deploy = await readMain(sandbox.originPath, `docs/work-items/${WORK_ITEM}/14-deploy-log.md`);
  const gate = deploy === undefined ? undefined : checkVerdict('deploy', deploy);
  assert.equal(gate?.ok && gate.status, 'SUCCESS');
});
