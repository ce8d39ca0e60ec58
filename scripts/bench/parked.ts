/**
 * Many deploys parked awaiting approval on one worker in a child process: its resident memory,
 * the size of the dev server's SQLite file, and the time to approve them all.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { startDevServer } from '../../test/support/dev-server.js';
import { approveSignal } from '../../workflows/messages.js';
import { APPROVER, benchInput, PARKED_PROJECT } from './bench-config.js';
import { mapLimited, round } from './stats.js';

const PARKED_WORKER = fileURLToPath(new URL('./parked-worker.ts', import.meta.url));
const CONCURRENCY = 20;
const READY_TIMEOUT_MS = 120_000;
const PARK_TIMEOUT_MS = 10 * 60_000;
const MiB = 2 ** 20;

/** Memory, storage and approval figures for the parked deploys. */
export interface ParkedResult {
  parked: number;
  workerRssIdleMiB: number;
  workerRssParkedMiB: number;
  workerRssPeakMiB: number;
  databaseMiB: number;
  parkSeconds: number;
  approveAllSeconds: number;
}

/** Parks `count` deploys on a worker child process against a SQLite-file dev server, then approves them all. */
export async function measureParked(options: { dir: string; code: string; count: number }): Promise<ParkedResult> {
  const dbFile = path.join(options.dir, 'parked.db');
  const bundleFile = path.join(options.dir, 'bench-workflows.js');
  await writeFile(bundleFile, options.code);
  const server = await startDevServer({ dbFile, headless: true });
  const taskQueue = 'bench-parked';
  // The same V8 flag as `npm run worker`: a 1 MiB young generation keeps the resident size of many
  // cached workflows down, at the cost of more frequent minor collections.
  const child = execa(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', PARKED_WORKER, '--address', server.address, '--task-queue', taskQueue, '--bundle', bundleFile, '--state-dir', options.dir], {
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    const pid = await waitForReady(child);
    const idle = await memoryOf(pid);
    const ids = Array.from({ length: options.count }, (_, index) => `bench-parked-${index + 1}`);

    const parkStart = performance.now();
    await mapLimited(ids, CONCURRENCY, (workflowId) => {
      const input = benchInput(PARKED_PROJECT, Number(workflowId.split('-').at(-1)));
      return client.workflow.start('deployWorkItem', { taskQueue, workflowId, args: [input] });
    });
    await waitForParked(client, taskQueue, options.count);
    const parkSeconds = (performance.now() - parkStart) / 1000;
    const parked = await memoryOf(pid);
    const databaseMiB = (await fileSize(dbFile)) / MiB;

    const approveStart = performance.now();
    await mapLimited(ids, CONCURRENCY, (workflowId) => client.workflow.getHandle(workflowId).signal(approveSignal, { approver: APPROVER }));
    await mapLimited(ids, CONCURRENCY, (workflowId) => client.workflow.getHandle(workflowId).result());
    const approveAllSeconds = (performance.now() - approveStart) / 1000;
    const after = await memoryOf(pid);

    return {
      parked: options.count,
      workerRssIdleMiB: round(idle.rssKiB / 1024),
      workerRssParkedMiB: round(parked.rssKiB / 1024),
      workerRssPeakMiB: round(after.peakKiB / 1024),
      databaseMiB: round(databaseMiB),
      parkSeconds: round(parkSeconds),
      approveAllSeconds: round(approveAllSeconds),
    };
  } finally {
    child.kill('SIGTERM');
    await child;
    await connection.close();
    await server.stop();
  }
}

async function waitForReady(child: ResultPromise): Promise<number> {
  const stdout = child.stdout;
  if (!stdout) throw new Error('the parked worker has no stdout pipe');
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the parked worker was not ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    let buffered = '';
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = /"pid":(\d+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.then(
      (result) => reject(new Error(`the parked worker exited with code ${result.exitCode} before it was ready`)),
      reject,
    );
  });
}

async function waitForParked(client: Client, taskQueue: string, count: number): Promise<void> {
  const query = `TaskQueue = '${taskQueue}' AND DeployPhase = 'awaiting-approval' AND ExecutionStatus = 'Running'`;
  const deadline = Date.now() + PARK_TIMEOUT_MS;
  for (;;) {
    const { count: waiting } = await client.workflow.count(query);
    if (waiting >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${waiting} of ${count} deploys were awaiting approval after ${PARK_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Reads VmRSS and VmHWM (in KiB) of a process from /proc. */
async function memoryOf(pid: number): Promise<{ rssKiB: number; peakKiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}

/** Size of the SQLite database with its write-ahead log, in bytes. */
async function fileSize(dbFile: string): Promise<number> {
  const sizes = await Promise.all(['', '-wal'].map((suffix) => stat(`${dbFile}${suffix}`).then((info) => info.size, () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}
