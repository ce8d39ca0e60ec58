/** Replay time per recorded history, with the production workflow code. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { historyFromText } from '../../test/support/histories.js';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { quietLogger } from './bench-worker.js';
import type { History } from './history.js';
import { round, summarise, type LatencySummary } from './stats.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HISTORIES_DIR = path.join(REPO_ROOT, 'test/histories');
const WORKFLOWS_PATH = path.join(REPO_ROOT, 'workflows/index.ts');

/** Replay figures: where the histories came from and the time per history. */
export interface ReplayResult {
  source: 'test/histories' | 'this run';
  histories: number;
  failed: string[];
  perHistory: LatencySummary;
  /** The first history, including the creation of the replay worker. */
  firstWithSetupMs: number;
}

/** Replays the committed histories under test/histories, or `fallback` when there are none. */
export async function measureReplay(fallback: Map<string, History>): Promise<ReplayResult> {
  const committed = await readCommittedHistories();
  const source = committed.size > 0 ? 'test/histories' : 'this run';
  const histories = committed.size > 0 ? committed : fallback;
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger() });

  const durations: number[] = [];
  const failed: string[] = [];
  const entries = [...histories].map(([workflowId, history]) => ({ workflowId, history }));
  let last = performance.now();
  for await (const result of Worker.runReplayHistories({ workflowBundle: { code } }, entries)) {
    const now = performance.now();
    durations.push(now - last);
    last = now;
    if (result.error) failed.push(`${result.workflowId}: ${result.error.message}`);
  }
  // The first history's time includes creating the replay worker, so it is reported apart.
  const firstMs = round(durations.shift() ?? Number.NaN);
  return { source, histories: histories.size, failed, perHistory: summarise(durations), firstWithSetupMs: firstMs };
}

async function readCommittedHistories(): Promise<Map<string, History>> {
  const files = await readdir(HISTORIES_DIR).catch(() => [] as string[]);
  const histories = new Map<string, History>();
  // manifest.json names the recorded workflows; it is not a history.
  for (const file of files.filter((name) => name.endsWith('.json') && name !== 'manifest.json').sort()) {
    const text = await readFile(path.join(HISTORIES_DIR, file), 'utf8');
    histories.set(file.replace(/\.json$/, ''), historyFromText(text));
  }
  return histories;
}
