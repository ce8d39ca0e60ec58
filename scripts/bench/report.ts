/** Turns the benchmark results into the markdown table, the JSON record and the summary line. */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { LatencyResult } from './latency.js';
import type { OverheadResult } from './overhead.js';
import type { ParkedResult } from './parked.js';
import type { PathFigures } from './paths.js';
import type { ReplayResult } from './replay.js';
import { SYNC_PROJECT } from './bench-config.js';
import { SLOW_HOOK_SECONDS } from './real-path.js';

const JSON_FILE = fileURLToPath(new URL('../../docs/benchmarks.json', import.meta.url));
const MARKDOWN_FILE = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const TABLE_BEGIN = '<!-- bench table: begin -->';
const TABLE_END = '<!-- bench table: end -->';

/** Everything one run measured; parts that did not run are absent. */
export interface BenchResults {
  startedAt: string;
  durationSeconds?: number;
  machine: { cpus: number; memoryGiB: number; node: string; platform: string };
  options: Record<string, unknown>;
  overhead?: OverheadResult[];
  latency?: LatencyResult;
  paths?: PathFigures[];
  parked?: ParkedResult;
  replay?: ReplayResult;
}

/** Renders the results as a markdown table: figure, value, target. */
export function renderTable(results: BenchResults): string {
  const rows: string[][] = [];
  for (const overhead of results.overhead ?? []) {
    const label = overhead.projectId === SYNC_PROJECT ? 'non-self deploy' : 'self-deploy, approved at once';
    rows.push([
      `overhead, ${label}: median latency, throughput (${overhead.deploy.workflows} each)`,
      `${overhead.latencyRatio}x (${overhead.deploy.medianMs} / ${overhead.bare.medianMs} ms), ${overhead.throughputRatio}x (${overhead.bare.perSecond} / ${overhead.deploy.perSecond} per s)`,
      overhead.projectId === SYNC_PROJECT ? 'at most 1.15x' : '',
    ]);
  }
  const latency = results.latency;
  if (latency) {
    const { approveToLaunch: launch, exitToVerdict: verdict } = latency;
    rows.push([`approve to hook launched, p50 / p99 (${launch.samples} deploys)`, `${launch.p50Ms} / ${launch.p99Ms} ms`, 'p50 under 250 ms']);
    rows.push([
      `hook exit to verdict merged, p50 / p99 (poll interval ${latency.pollIntervalMs} ms)`,
      `${verdict.p50Ms} / ${verdict.p99Ms} ms`,
      `p50 within ${latency.pollIntervalMs + 1000} ms`,
    ]);
    rows.push(['of which: exit code to poll completed, p50 / p99', `${latency.exitToDetected.p50Ms} / ${latency.exitToDetected.p99Ms} ms`, '']);
    rows.push(['of which: deploy verdict write and merge, p50 / p99', `${latency.verdictActivity.p50Ms} / ${latency.verdictActivity.p99Ms} ms`, '']);
    rows.push(['short hook run time, p50', `${latency.hookDuration.p50Ms} ms`, '']);
  }
  for (const figures of results.paths ?? []) {
    const outcome = `staging ${figures.stagingStatus}, deploy ${figures.deployStatus ?? 'not run'}`;
    const target = figures.path.startsWith('self-deploy success') ? 'at most 60 events, same for both hooks' : '';
    rows.push([`history: ${figures.path} (${outcome})`, `${figures.events} events, ${figures.bytes} bytes`, target]);
  }
  const parked = results.parked;
  if (parked) {
    rows.push([`${parked.parked} parked: worker resident memory (idle before)`, `${parked.workerRssParkedMiB} MiB (${parked.workerRssIdleMiB} MiB)`, 'under 350 MB']);
    rows.push([`${parked.parked} parked: worker peak resident memory, through approval`, `${parked.workerRssPeakMiB} MiB`, '']);
    rows.push([`${parked.parked} parked: dev server SQLite file`, `${parked.databaseMiB} MiB`, '']);
    rows.push([`${parked.parked} parked: time to park, time to approve all and finish`, `${parked.parkSeconds} s, ${parked.approveAllSeconds} s`, '']);
  }
  const replay = results.replay;
  if (replay) {
    const { perHistory } = replay;
    rows.push([
      `replay per history, p50 / p99 (${replay.histories} from ${replay.source}, ${replay.failed.length} failed)`,
      `${perHistory.p50Ms} / ${perHistory.p99Ms} ms`,
      '',
    ]);
  }
  const lines = ['| figure | value | target |', '| --- | --- | --- |', ...rows.map((row) => `| ${row.join(' | ')} |`)];
  return lines.join('\n');
}

/** Builds the last line of the output: overhead, history size for the two hooks, parked memory. */
export function summaryLine(results: BenchResults): string {
  const overhead = results.overhead?.find((item) => item.projectId === SYNC_PROJECT)?.latencyRatio ?? 'n/a';
  const shortHook = results.paths?.find((item) => item.path === 'self-deploy success, short hook')?.events ?? 'n/a';
  const slowHook = results.paths?.find((item) => item.path === `self-deploy success, ${SLOW_HOOK_SECONDS} s hook`)?.events ?? 'n/a';
  const parked = results.parked;
  const memory = parked ? `parked ${parked.parked} at ${Math.round(parked.workerRssParkedMiB * 1.048576)} MB` : 'parked n/a';
  return `bench: overhead ${overhead}x, history ${shortHook} events (1s hook) / ${slowHook} (${SLOW_HOOK_SECONDS}s hook), ${memory}`;
}

/** Writes docs/benchmarks.json and replaces the table between the markers in docs/benchmarks.md. */
export async function writeResults(results: BenchResults, table: string): Promise<void> {
  await writeFile(JSON_FILE, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = await readFile(MARKDOWN_FILE, 'utf8');
  const begin = markdown.indexOf(TABLE_BEGIN);
  const end = markdown.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`${MARKDOWN_FILE} is missing the markers ${TABLE_BEGIN} and ${TABLE_END}`);
  const updated = `${markdown.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${markdown.slice(end)}`;
  await writeFile(MARKDOWN_FILE, updated);
}
