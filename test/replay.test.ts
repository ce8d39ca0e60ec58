/** Replays the committed histories of every workflow path against the current workflow code. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromText } from './support/histories.js';

const HISTORIES_DIR = new URL('./histories/', import.meta.url);
const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const REORDERED_WORKFLOW_PATH = fileURLToPath(new URL('./fixtures/reordered-workflow.ts', import.meta.url));
/** Bundling the workflow code with webpack takes several seconds on a 2-core machine. */
const TIMEOUT_MS = 120_000;

interface ManifestEntry {
  name: string;
  file: string;
  workflowId: string;
}

// The negative case makes the SDK core log a warning per history; only errors are shown.
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
});

async function loadHistories(): Promise<Array<ManifestEntry & { history: ReturnType<typeof historyFromText> }>> {
  const manifest = JSON.parse(await readFile(new URL('manifest.json', HISTORIES_DIR), 'utf8')) as ManifestEntry[];
  return Promise.all(
    manifest.map(async (entry) => ({
      ...entry,
      history: historyFromText(await readFile(new URL(entry.file, HISTORIES_DIR), 'utf8')),
    })),
  );
}

async function replayAll(options: ReplayWorkerOptions) {
  const histories = await loadHistories();
  const results = [];
  for await (const result of Worker.runReplayHistories(options, histories)) results.push(result);
  return { histories, results };
}

test('recorded histories cover every path', async () => {
  const names = (await loadHistories()).map((entry) => entry.name).sort();
  assert.deepEqual(names, [
    'approval-timed-out',
    'hook-failed',
    'rejected',
    'self-deploy-success',
    'staging-failed',
    'sync-deploy',
    'worker-restarted',
  ]);
});

test('recorded histories replay without error', { timeout: TIMEOUT_MS }, async () => {
  const { histories, results } = await replayAll({ workflowsPath: WORKFLOWS_PATH });

  assert.equal(results.length, histories.length);
  for (const result of results) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
  }
});

test('reordered workflow fails replay', { timeout: TIMEOUT_MS }, async () => {
  const { histories, results } = await replayAll({ workflowsPath: REORDERED_WORKFLOW_PATH });

  assert.equal(results.length, histories.length);
  for (const result of results) {
    assert.ok(result.error instanceof DeterminismViolationError, `${result.workflowId}: ${String(result.error)}`);
  }
});
