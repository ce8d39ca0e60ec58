/** A worker killed with SIGKILL right after the hook launch; a new worker process finishes Phase C. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { awaitResult, connectClient, queryStatus, startDeploy } from '../client/deploys.js';
import { checkVerdict } from '../verdict/gate.js';
import { approveSignal } from '../workflows/messages.js';
import { createSandbox, readMain, PROJECT_ID, type Sandbox } from './support/sandbox.js';
import { stopOwnServer, temporalAddress } from './support/temporal.js';

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.ts', import.meta.url));
const WORK_ITEM = 'ORCH-201';

let sandbox: Sandbox;
let client: Client;
const workers: ResultPromise[] = [];

before(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-crash-'));
  sandbox = await createSandbox({
    dir,
    workItems: [{ id: WORK_ITEM }],
    temporalAddress: await temporalAddress(),
    taskQueue: `crash-${process.pid}`,
    hookDelaySeconds: 4,
  });
  client = await connectClient(sandbox.config);
});

after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await client.connection.close();
  await sandbox.close();
  await rm(sandbox.dir, { recursive: true, force: true });
  await stopOwnServer();
});

/** Starts `npm run worker` as its own process, the way operators run it. */
function startWorkerProcess(): ResultPromise {
  const worker = execa('node', ['--import', 'tsx', WORKER_MAIN, '--config', sandbox.configPath], {
    reject: false,
    stdout: 'ignore',
    stderr: 'ignore',
    env: { DEPLOYER_BUNDLE_FROM_SOURCE: '' },
  });
  workers.push(worker);
  return worker;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('worker killed after launch, new worker finishes', async () => {
  const first = startWorkerProcess();
  const { workflowId } = await startDeploy(client, sandbox.config, {
    projectId: PROJECT_ID,
    workItemId: WORK_ITEM,
    featureBranch: sandbox.branchOf(WORK_ITEM),
    imageReference: sandbox.imageOf(WORK_ITEM),
    requestedBy: 'carol',
  });
  await waitFor(async () => ((await queryStatus(client, workflowId)).phase === 'awaiting-approval' ? true : undefined), 'approval');
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice' });
  const launched = await waitFor(async () => (await queryStatus(client, workflowId)).launch ?? undefined, 'launch record');

  first.kill('SIGKILL');
  const exit = await first;
  assert.equal(exit.signal, 'SIGKILL');
  const runsAtKill = await readFile(sandbox.hookRunsFile, 'utf8').catch(() => '');

  void startWorkerProcess();
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
