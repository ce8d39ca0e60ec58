/**
 * The Temporal dev server stops (SIGTERM) and starts again on the same port and SQLite file in the
 * middle of a self-deploy. The worker process keeps running through the outage and the deploy ends
 * SUCCESS with one hook run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { awaitResult, connectClient, queryStatus } from '../client/deploys.js';
import { freePort } from '../client/dev-server-process.js';
import { approveSignal } from '../workflows/messages.js';
import { startWorkItem, waitForPhase } from './support/deploy-runs.js';
import { startDevServer, type DevServer } from './support/dev-server.js';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startInProcessWorker, type InProcessWorker } from './support/workers.js';

/** The hook sleeps this long before it starts, so the server restart falls inside the exit-code poll. */
const HOOK_DELAY_SECONDS = 8;
const PHASE_TIMEOUT_MS = 90_000;
/** Time the server stays down, long enough for the worker's polls to fail with connection refused. */
const OUTAGE_MS = 5_000;

const cases: Array<{ name: string; workItemId: string; restartIn: 'awaiting-approval' | 'awaiting-hook' }> = [
  { name: 'restart while awaiting approval', workItemId: 'ORCH-851', restartIn: 'awaiting-approval' },
  { name: 'restart while polling hook', workItemId: 'ORCH-852', restartIn: 'awaiting-hook' },
];

let dir: string;
let dbFile: string;
let port: number;
let server: DevServer;
let sandbox: Sandbox;
let client: Client;
let worker: InProcessWorker;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-restart-'));
  dbFile = path.join(dir, 'temporal.sqlite');
  port = await freePort();
  server = await startDevServer({ dbFile, port, headless: true });
  sandbox = await createSandbox({
    dir: path.join(dir, 'sandbox'),
    workItems: cases.map((entry) => ({ id: entry.workItemId })),
    temporalAddress: server.address,
    taskQueue: `restart-${process.pid}`,
    hookDelaySeconds: HOOK_DELAY_SECONDS,
  });
  worker = await startInProcessWorker(sandbox.config);
  client = await connectClient(sandbox.config);
});

after(async () => {
  await worker.close();
  await client.connection.close();
  await sandbox.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Stops the server with SIGTERM, waits, then starts it again on the same port with the same SQLite file. */
async function restartServer(): Promise<void> {
  await server.stop();
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  server = await startDevServer({ dbFile, port, headless: true });
}

async function hookRunsOf(deployId: string): Promise<number> {
  const text = await readFile(sandbox.hookRunsFile, 'utf8');
  return text.split('\n').filter((line) => line.startsWith(`${deployId} `)).length;
}

for (const { name, workItemId, restartIn } of cases) {
  test(name, async () => {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval', timeoutMs: PHASE_TIMEOUT_MS });
    const approve = () => client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice' });

    if (restartIn === 'awaiting-approval') {
      await restartServer();
      await approve();
    } else {
      await approve();
      await waitForPhase({ client, workflowId, phase: 'awaiting-hook', timeoutMs: PHASE_TIMEOUT_MS });
      await restartServer();
    }
    const result = await awaitResult(client, workflowId);
    const view = await queryStatus(client, workflowId);

    assert.equal(result.deployStatus, 'SUCCESS');
    assert.equal(result.hookExitCode, 0);
    assert.equal(await hookRunsOf(view.deployId ?? ''), 1);
    assert.equal(worker.worker.getState(), 'RUNNING');
    assert.equal(worker.error, undefined);
  });
}
