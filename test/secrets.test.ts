/**
 * Secrets stay out of logs, histories, the repository and the tracker. Deploys run with a forge token,
 * a tracker key and a webhook secret set to distinctive values, and the forge and the tracker fail once
 * so that the worker logs errors. Nothing recorded may contain any of the three.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { awaitResult } from '../client/deploys.js';
import { approveSignal, rejectSignal } from '../workflows/messages.js';
import { historyToText } from './support/histories.js';
import { startWorkItem, waitForPhase } from './support/deploy-runs.js';
import { startPlaneStandin, type PlaneStandin } from './support/plane-standin.js';
import { FORGE_TOKEN, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { startClientSandbox, startWorkerProcess, type ClientSandbox } from './support/workers.js';

const WORK_ITEMS = ['ORCH-601', 'ORCH-602', 'ORCH-603'];
const TRACKER_KEY = 'plane-key-3b9f0e7a41d2';
// The webhook receiver is its own process, and plane-webhook.test.ts searches its logs. Here the secret is only in the worker's environment.
const WEBHOOK_SECRET = 'webhook-secret-c85d12e6f0a9';
const SECRETS = { forgeToken: FORGE_TOKEN, trackerKey: TRACKER_KEY, webhookSecret: WEBHOOK_SECRET };

let setup: ClientSandbox;
let sandbox: Sandbox;
let plane: PlaneStandin;
let client: Client;
let worker: ResultPromise<{ all: true; reject: false }>;

before(async () => {
  setup = await startClientSandbox({
    tmpPrefix: 'deployer-secrets-',
    workItems: WORK_ITEMS.map((id) => ({ id })),
    taskQueue: `secrets-${process.pid}`,
  });
  ({ sandbox, client } = setup);
  plane = await startPlaneStandin({
    apiKey: TRACKER_KEY,
    workspace: 'acme',
    projects: {
      ORCH: {
        states: ['In Development', 'Approval Pending', 'Approved', 'Done'],
        workItems: WORK_ITEMS.map((id) => ({ sequence: Number(id.split('-')[1]), state: 'In Development' })),
      },
    },
  });
  const raw = JSON.parse(await readFile(sandbox.configPath, 'utf8')) as Record<string, unknown>;
  raw.tracker = { kind: 'plane', baseUrl: plane.baseUrl, workspace: 'acme', requestTimeoutSeconds: 5 };
  await writeFile(sandbox.configPath, JSON.stringify(raw));
  worker = startWorkerProcess(sandbox.configPath, {
    all: true,
    reject: false,
    // DEBUG so that every log line the worker can write is searched for the secrets.
    env: { PLANE_API_KEY: TRACKER_KEY, PLANE_WEBHOOK_SECRET: WEBHOOK_SECRET, DEPLOYER_LOG_LEVEL: 'DEBUG' },
  });
});

after(async () => {
  worker.kill('SIGKILL');
  await worker;
  await plane.close();
  await setup.close();
  await stopOwnServer();
});

/** Returns the secrets found in `text`, as plain text or base64. */
function secretsIn(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, secret]) => text.includes(secret) || text.includes(Buffer.from(secret).toString('base64')))
    .map(([name]) => name);
}

/** Returns the history as JSON text followed by every payload's decoded `data`, which the JSON keeps as base64. */
async function historyText(workflowId: string): Promise<string> {
  const json = historyToText(await client.workflow.getHandle(workflowId).fetchHistory());
  const decoded = [...json.matchAll(/"data": "([A-Za-z0-9+/=]*)"/g)].map((match) => Buffer.from(match[1]!, 'base64').toString('utf8'));
  return [json, ...decoded].join('\n');
}

async function runDeploys(): Promise<string[]> {
  const approved = await startWorkItem({ client, sandbox, workItemId: 'ORCH-601' });
  await waitForPhase({ client, workflowId: approved.workflowId, phase: 'awaiting-approval' });
  plane.injectFaults({ status: 503 }, { status: 500 });
  sandbox.gitea.failNext({ method: 'POST', pathPattern: /\/merge$/, status: 500 });
  await client.workflow.getHandle(approved.workflowId).signal(approveSignal, { approver: 'alice' });
  assert.equal((await awaitResult(client, approved.workflowId)).deployStatus, 'SUCCESS');

  const rejected = await startWorkItem({ client, sandbox, workItemId: 'ORCH-602' });
  await waitForPhase({ client, workflowId: rejected.workflowId, phase: 'awaiting-approval' });
  await client.workflow.getHandle(rejected.workflowId).signal(rejectSignal, { approver: 'bob', reason: 'not now' });
  assert.equal((await awaitResult(client, rejected.workflowId)).deployStatus, 'FAILED');

  await writeFile(path.join(sandbox.dir, 'staging-exit-code'), '1\n');
  const stagingFailed = await startWorkItem({ client, sandbox, workItemId: 'ORCH-603' });
  assert.equal((await awaitResult(client, stagingFailed.workflowId)).stagingStatus, 'FAILED');
  return [approved.workflowId, rejected.workflowId, stagingFailed.workflowId];
}

test('secrets absent from logs and histories', { timeout: 150_000 }, async () => {
  const workflowIds = await runDeploys();
  worker.kill('SIGTERM');
  const { all: workerOutput } = await worker;
  const histories = await Promise.all(workflowIds.map(historyText));
  const repository = await execa('git', ['--git-dir', sandbox.originPath, 'log', '-p', '--all'], { timeout: 30_000 });
  const comments = WORK_ITEMS.flatMap((id) => plane.workItem(id).comments).join('\n');

  assert.match(workerOutput, /worker started/);
  assert.match(workerOutput, /Tracker state changed/);
  assert.match(workerOutput, /returned HTTP 503/, 'expected the tracker fault in the worker log');
  assert.match(workerOutput, /merge failed with HTTP 500/, 'expected the forge fault in the worker log');
  assert.ok(plane.requests.length > 0, 'expected the tracker to receive requests');
  assert.ok(histories.every((text) => text.includes('"eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"')));
  assert.deepEqual(secretsIn(workerOutput), [], 'worker log output');
  for (const [index, text] of histories.entries()) assert.deepEqual(secretsIn(text), [], `history of ${workflowIds[index]}`);
  assert.deepEqual(secretsIn(repository.stdout), [], 'origin repository');
  assert.deepEqual(secretsIn(comments), [], 'tracker comments');
});
