/**
 * `npm run record-histories`: runs each path of the deploy workflow through a sandbox on a real dev
 * server and writes each history as JSON to test/histories/, with manifest.json naming the workflow
 * id of each file. The replay test replays
 * them, so re-record after a deliberate, versioned change of the workflow only.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { awaitResult, connectClient } from '../client/deploys.js';
import type { Config } from '../shared/config.js';
import { approveSignal, rejectSignal } from '../workflows/messages.js';
import { readLines, startWorkItem, waitFor, waitForPhase } from '../test/support/deploy-runs.js';
import { historyToText } from '../test/support/histories.js';
import { createSandbox, PROJECT_ID, type Sandbox } from '../test/support/sandbox.js';
import { stopOwnServer, temporalAddress } from '../test/support/temporal.js';
import { startInProcessWorker, type InProcessWorker } from '../test/support/workers.js';

const HISTORIES_DIR = fileURLToPath(new URL('../test/histories/', import.meta.url));

/** Shared state of a recording: the sandbox, a client, and the running worker, which a case may replace. */
interface Recorder {
  sandbox: Sandbox;
  client: Client;
  worker: InProcessWorker;
  syncConfig: Config;
}

interface RecordingCase {
  name: string;
  workItemId: string;
  brokenImage?: boolean;
  /** Starts the deploy, drives it to its end and returns the workflow id. */
  drive(recorder: Recorder, workItemId: string): Promise<string>;
}

const CASES: RecordingCase[] = [
  { name: 'self-deploy-success', workItemId: 'ORCH-301', drive: (recorder, id) => approveAndFinish(recorder, id) },
  { name: 'staging-failed', workItemId: 'ORCH-302', drive: driveStagingFailed },
  { name: 'rejected', workItemId: 'ORCH-303', drive: driveRejected },
  { name: 'approval-timed-out', workItemId: 'ORCH-304', drive: driveApprovalTimeout },
  { name: 'hook-failed', workItemId: 'ORCH-305', brokenImage: true, drive: (recorder, id) => approveAndFinish(recorder, id) },
  { name: 'sync-deploy', workItemId: 'ORCH-306', drive: driveSyncDeploy },
  { name: 'worker-restarted', workItemId: 'ORCH-307', drive: driveWorkerRestart },
];

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-record-'));
  const sandbox = await createSandbox({
    dir,
    workItems: CASES.map((item) => ({ id: item.workItemId, brokenImage: item.brokenImage })),
    temporalAddress: await temporalAddress(),
    taskQueue: `record-${process.pid}`,
    hookDelaySeconds: 2,
  });
  const syncConfig = withSyncProject(sandbox.config);
  const syncWorker = await startInProcessWorker(syncConfig);
  const recorder: Recorder = {
    sandbox,
    client: await connectClient(sandbox.config),
    worker: await startInProcessWorker(sandbox.config),
    syncConfig,
  };
  try {
    await mkdir(HISTORIES_DIR, { recursive: true });
    const manifest = [];
    for (const recordingCase of CASES) {
      const workflowId = await recordingCase.drive(recorder, recordingCase.workItemId);
      const history = await recorder.client.workflow.getHandle(workflowId).fetchHistory();
      const file = `${recordingCase.name}.json`;
      await writeFile(path.join(HISTORIES_DIR, file), historyToText(history));
      manifest.push({ name: recordingCase.name, file, workflowId, events: history.events?.length ?? 0 });
      console.log(`recorded ${file}: ${workflowId}, ${history.events?.length ?? 0} events`);
    }
    await writeFile(path.join(HISTORIES_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  } finally {
    await Promise.all([recorder.worker.close(), syncWorker.close()]);
    await recorder.client.connection.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
    await stopOwnServer();
  }
  const workerError = recorder.worker.error ?? syncWorker.error;
  if (workerError !== undefined) throw workerError;
}

/** Returns the sandbox config with the project deployed synchronously, on a task queue of its own. */
function withSyncProject(config: Config): Config {
  const project = config.projects[PROJECT_ID]!;
  return {
    ...config,
    temporal: { ...config.temporal, taskQueue: `${config.temporal.taskQueue}-sync` },
    projects: { [PROJECT_ID]: { ...project, selfHosting: false } },
  };
}

async function approveAndFinish({ client, sandbox }: Recorder, workItemId: string): Promise<string> {
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice', comment: 'ship it' });
  await awaitResult(client, workflowId);
  return workflowId;
}

async function driveStagingFailed({ client, sandbox }: Recorder, workItemId: string): Promise<string> {
  const exitCodeFile = path.join(sandbox.dir, 'staging-exit-code');
  await writeFile(exitCodeFile, '1\n');
  try {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId });
    await awaitResult(client, workflowId);
    return workflowId;
  } finally {
    await rm(exitCodeFile, { force: true });
  }
}

async function driveRejected({ client, sandbox }: Recorder, workItemId: string): Promise<string> {
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
  await client.workflow.getHandle(workflowId).signal(rejectSignal, { approver: 'bob', reason: 'release freeze' });
  await awaitResult(client, workflowId);
  return workflowId;
}

async function driveApprovalTimeout({ client, sandbox }: Recorder, workItemId: string): Promise<string> {
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId, approvalTimeoutHours: 2 / 3600 });
  await awaitResult(client, workflowId);
  return workflowId;
}

async function driveSyncDeploy({ client, sandbox, syncConfig }: Recorder, workItemId: string): Promise<string> {
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId, config: syncConfig });
  await awaitResult(client, workflowId);
  return workflowId;
}

/**
 * Shuts the worker down while `awaitHookExit` runs, which fails that activity attempt, and starts a
 * new worker that rebuilds the workflow from its history and retries the activity.
 */
async function driveWorkerRestart(recorder: Recorder, workItemId: string): Promise<string> {
  const { client, sandbox } = recorder;
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'bob' });
  await waitForPhase({ client, workflowId, phase: 'awaiting-hook' });
  await waitFor(async () => (await hookStarted(sandbox, workflowId)) || undefined, 'the hook start');

  await recorder.worker.close();
  recorder.worker = await startInProcessWorker(sandbox.config);
  await awaitResult(client, workflowId);
  return workflowId;
}

async function hookStarted(sandbox: Sandbox, workflowId: string): Promise<boolean> {
  return (await readLines(sandbox.hookRunsFile)).some((line) => line.startsWith(`${workflowId}.`));
}

main().catch((error: unknown) => {
  console.error(`record-histories: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
