/**
 * `npm run bench`: starts an in-memory Temporal dev server and measures the workflow overhead,
 * approval and finalize latency, history size per path, parked memory (on a SQLite-file server)
 * and replay time. Writes docs/benchmarks.json and the table in docs/benchmarks.md, prints the
 * table, and ends with a one-line summary.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startDevServer } from '../../test/support/dev-server.js';
import { parseBenchArgs, type BenchOptions } from './args.js';
import { benchConfig, SELF_PROJECT, SYNC_PROJECT } from './bench-config.js';
import { bundleBenchWorkflows, createBenchWorker } from './bench-worker.js';
import type { History } from './history.js';
import { measureLatency } from './latency.js';
import { measureOverhead, type OverheadResult } from './overhead.js';
import { measureParked } from './parked.js';
import { measurePaths, PATH_WORK_ITEMS } from './paths.js';
import { openRealPath } from './real-path.js';
import { measureReplay } from './replay.js';
import { renderTable, summaryLine, writeResults, type BenchResults } from './report.js';

async function main(): Promise<void> {
  const options = parseBenchArgs(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const begin = performance.now();
  const results: BenchResults = { startedAt: new Date().toISOString(), machine: machineFacts(), options: { ...options } };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-bench-'));
  const server = await startDevServer({ headless: true });
  const histories = new Map<string, History>();
  try {
    progress('dev server started', { address: server.address });
    const code = await bundleBenchWorkflows();
    const wants = (part: BenchOptions['parts'][number]) => options.parts.includes(part);
    if (wants('overhead')) results.overhead = await overheadPart({ address: server.address, dir, code, options });
    if (wants('latency') || wants('history')) await realPathPart({ address: server.address, dir, options, results, histories });
    if (wants('parked')) {
      results.parked = await measureParked({ dir, code, count: options.parked });
      progress('parked measured', { ...results.parked });
    }
    if (wants('replay')) {
      results.replay = await measureReplay(histories);
      progress('replay measured', { histories: results.replay.histories, perHistory: results.replay.perHistory });
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  results.durationSeconds = Math.round((performance.now() - begin) / 1000);
  const table = renderTable(results);
  if (options.write) await writeResults(results, table);
  console.log(table);
  console.log(summaryLine(results));
}

async function overheadPart(options: { address: string; dir: string; code: string; options: BenchOptions }): Promise<OverheadResult[]> {
  const taskQueue = 'bench-overhead';
  const config = benchConfig({ address: options.address, taskQueue, stateDir: path.join(options.dir, 'overhead') });
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection });
  const worker = await createBenchWorker({ config, code: options.code, client });
  const runTag = Date.now().toString(36);
  const { deploys, batchSize } = options.options;
  try {
    return await worker.runUntil(async () => {
      const results: OverheadResult[] = [];
      for (const projectId of [SYNC_PROJECT, SELF_PROJECT]) {
        const result = await measureOverhead({ client, taskQueue, projectId, deploys, batchSize, runTag });
        progress('overhead measured', { projectId, latencyRatio: result.latencyRatio, throughputRatio: result.throughputRatio });
        results.push(result);
      }
      return results;
    });
  } finally {
    await connection.close();
  }
}

async function realPathPart(context: {
  address: string;
  dir: string;
  options: BenchOptions;
  results: BenchResults;
  histories: Map<string, History>;
}): Promise<void> {
  const { options, results, histories } = context;
  const sampleIds = Array.from({ length: options.latencySamples }, (_, index) => `ORCH-${index + 1}`);
  const realPath = await openRealPath({
    dir: path.join(context.dir, 'sandbox'),
    address: context.address,
    workItems: [...sampleIds.map((id) => ({ id })), ...PATH_WORK_ITEMS],
  });
  try {
    if (options.parts.includes('latency')) {
      const { result, samples } = await measureLatency(realPath, sampleIds);
      results.latency = result;
      for (const sample of samples) histories.set(sample.workflowId, sample.history);
      progress('latency measured', { approveToLaunch: result.approveToLaunch, exitToVerdict: result.exitToVerdict });
    }
    if (options.parts.includes('history')) {
      const { paths, histories: pathHistories } = await measurePaths(realPath);
      results.paths = paths;
      for (const [name, history] of pathHistories) histories.set(name, history);
      progress('history measured', { paths: paths.map((figures) => `${figures.path}: ${figures.events}`) });
    }
  } finally {
    await realPath.close();
  }
}

function machineFacts(): BenchResults['machine'] {
  return {
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

/** Prints a progress line to stderr, so stdout keeps only the table and the summary. */
function progress(message: string, fields: Record<string, unknown> = {}): void {
  console.error(`bench: ${message} ${JSON.stringify(fields)}`);
}

main().catch((error: unknown) => {
  console.error(`npm run bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
