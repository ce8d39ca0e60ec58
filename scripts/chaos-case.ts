/**
 * One chaos case: a self-deploy in its own sandbox whose first worker process dies with SIGKILL at
 * one fault point, and a second worker process that must finish the deploy without repeating any
 * side effect.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { ResultPromise } from 'execa';
import { startWorkItem } from '../test/support/deploy-runs.js';
import { startPlaneStandin, type PlaneStandin } from '../test/support/plane-standin.js';
import { createSandbox, DOCKER_STANDIN_BIN, FORGE_TOKEN, type Sandbox } from '../test/support/sandbox.js';
import { startWorkerProcess } from '../test/support/workers.js';
import { approveSignal, type DeployResult } from '../workflows/messages.js';
import { readEndState, type EndState } from './chaos-end-state.js';

const PLANE_API_KEY = 'chaos-plane-key';
const PLANE_STATES = ['In Development', 'Approval Pending', 'Approved', 'Done'];
/** Seconds the hook sleeps before it starts, so at least one poll finds it running. */
const HOOK_DELAY_SECONDS = 3;
const DEATH_TIMEOUT_MS = 180_000;
const RESULT_TIMEOUT_MS = 300_000;
const PROBE_INTERVAL_MS = 250;

/** Settings of one case: the kill point, its work item and the shared Temporal client. */
export interface ChaosCaseOptions {
  point: string;
  workItemId: string;
  temporalAddress: string;
  client: Client;
  /** Keeps the case folder (logs, repositories, host records) instead of deleting it. */
  keep: boolean;
}

/** Outcome of one case, one row of the report. */
export interface ChaosCaseReport {
  point: string;
  workItemId: string;
  /** True when the first worker wrote the point's marker and exited by SIGKILL. */
  workerDied: boolean;
  /** Seconds from the first worker's death to the workflow result, or null when there was none. */
  recoverySeconds: number | null;
  endState: EndState | null;
  problems: string[];
  dir: string;
}

/** Runs one case and cleans up its processes and, unless `keep` is set, its folder. */
export async function runChaosCase(options: ChaosCaseOptions): Promise<ChaosCaseReport> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `deployer-chaos-${options.point}-`));
  const report: ChaosCaseReport = {
    point: options.point,
    workItemId: options.workItemId,
    workerDied: false,
    recoverySeconds: null,
    endState: null,
    problems: [],
    dir,
  };
  const workers: ResultPromise[] = [];
  const caseOver = new AbortController();
  let sandbox: Sandbox | undefined;
  let plane: PlaneStandin | undefined;
  try {
    sandbox = await createSandbox({
      dir,
      workItems: [{ id: options.workItemId }],
      temporalAddress: options.temporalAddress,
      taskQueue: `chaos-${process.pid}-${options.workItemId}`,
      hookDelaySeconds: HOOK_DELAY_SECONDS,
    });
    plane = await startPlane(options.workItemId);
    await usePlaneTracker(sandbox.configPath, plane.baseUrl);
    await driveCase({ options, sandbox, plane, workers, report, signal: caseOver.signal });
  } catch (error) {
    report.problems.push((error as Error).message);
  } finally {
    caseOver.abort();
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.allSettled(workers);
    await plane?.close();
    await sandbox?.close();
    if (!options.keep && report.problems.length === 0) await rm(dir, { recursive: true, force: true });
  }
  return report;
}

async function driveCase({
  options,
  sandbox,
  plane,
  workers,
  report,
  signal,
}: {
  options: ChaosCaseOptions;
  sandbox: Sandbox;
  plane: PlaneStandin;
  workers: ResultPromise[];
  report: ChaosCaseReport;
  /** Aborted when the case ends, which stops the approval probe. */
  signal: AbortSignal;
}): Promise<void> {
  const markerDir = path.join(sandbox.dir, 'markers');
  await mkdir(markerDir);
  const first = startWorker({ sandbox, logName: 'worker-1.log', faults: { point: options.point, markerDir } });
  workers.push(first);

  const { workflowId } = await startWorkItem({ client: options.client, sandbox, workItemId: options.workItemId });
  const handle = options.client.workflow.getHandle(workflowId);
  const approval = approveWhenPending({
    plane,
    workItemId: options.workItemId,
    approve: () => handle.signal(approveSignal, { approver: 'alice' }),
    signal,
  }).catch((error: unknown) => {
    report.problems.push(`approval: ${(error as Error).message}`);
  });
  const outcome = await withTimeout(first, DEATH_TIMEOUT_MS, `worker 1 did not die at ${options.point}`);
  report.workerDied = outcome.signal === 'SIGKILL' && existsSync(path.join(markerDir, options.point));
  if (!report.workerDied) {
    throw new Error(`worker 1 exited with ${outcome.signal ?? `code ${outcome.exitCode}`}, expected SIGKILL at ${options.point}`);
  }

  const diedAt = Date.now();
  workers.push(startWorker({ sandbox, logName: 'worker-2.log' }));
  const result = await withTimeout(handle.result() as Promise<DeployResult>, RESULT_TIMEOUT_MS, `no workflow result after ${options.point}`);
  report.recoverySeconds = (Date.now() - diedAt) / 1000;
  await approval;
  report.endState = await readEndState({ sandbox, plane, workItemId: options.workItemId, result });
  report.problems.push(...report.endState.problems);
}

/** Starts `worker/main.ts` as its own process with the sandbox's environment and, when given, a kill switch. */
function startWorker({
  sandbox,
  logName,
  faults,
}: {
  sandbox: Sandbox;
  logName: string;
  faults?: { point: string; markerDir: string };
}): ResultPromise {
  const log = path.join(sandbox.dir, logName);
  return startWorkerProcess(sandbox.configPath, {
    reject: false,
    stdin: 'ignore',
    stdout: { file: log },
    stderr: { file: log },
    env: {
      PATH: `${DOCKER_STANDIN_BIN}:${process.env.PATH ?? ''}`,
      DOCKER_STANDIN_DIR: path.join(sandbox.dir, 'docker'),
      DOCKER_STANDIN_LOG: path.join(sandbox.dir, 'docker-argv.log'),
      GITEA_TOKEN: FORGE_TOKEN,
      PLANE_API_KEY,
      DEPLOYER_FAULT_INJECTION: faults ? '1' : '0',
      DEPLOYER_KILL_AT: faults?.point ?? '',
      DEPLOYER_FAULT_MARKER_DIR: faults?.markerDir ?? '',
      DEPLOYER_BUNDLE_FROM_SOURCE: '1',
    },
  });
}

/** Sends the approval once the tracker shows the work item as approval-pending. */
async function approveWhenPending({
  plane,
  workItemId,
  approve,
  signal,
}: {
  plane: PlaneStandin;
  workItemId: string;
  approve: () => Promise<void>;
  signal: AbortSignal;
}): Promise<void> {
  const deadline = Date.now() + DEATH_TIMEOUT_MS;
  while (plane.workItem(workItemId).state !== 'Approval Pending') {
    if (signal.aborted) return;
    if (Date.now() > deadline) throw new Error(`${workItemId} never reached Approval Pending in the tracker`);
    await sleep(PROBE_INTERVAL_MS);
  }
  await approve();
}

async function startPlane(workItemId: string): Promise<PlaneStandin> {
  const [identifier, sequence] = workItemId.split('-') as [string, string];
  return startPlaneStandin({
    apiKey: PLANE_API_KEY,
    workspace: 'acme',
    projects: { [identifier]: { states: PLANE_STATES, workItems: [{ sequence: Number(sequence), state: 'In Development' }] } },
  });
}

/** Switches the sandbox config from `tracker: none` to the stand-in Plane, so tracker transitions can be counted. */
async function usePlaneTracker(configPath: string, baseUrl: string): Promise<void> {
  const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
  config.tracker = { kind: 'plane', baseUrl, workspace: 'acme', apiKeyEnv: 'PLANE_API_KEY' };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
