/**
 * `npm run chaos`: kills the worker process with SIGKILL at every fault point of a self-deploy, one
 * sandbox per point, lets a fresh worker finish the deploy, and checks that no side effect was lost
 * or repeated. Prints a table and exits 1 when a case failed or a side effect ran twice.
 *
 *   npm run chaos -- [--concurrency N] [--only POINT[,POINT...]] [--keep]
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../test/support/dev-server.js';
import { runChaosCase, type ChaosCaseReport } from './chaos-case.js';

/** Every fault point on the path of a successful self-deploy, in the order the deploy passes them. */
export const KILL_POINTS: readonly string[] = [
  'staging-check-done',
  'staging-verdict-committed',
  'staging-verdict-pushed',
  'staging-verdict-pull-opened',
  'staging-verdict-merged',
  'merge-guard-answered',
  'feature-merged',
  'tracker-approval-pending',
  'hook-launched',
  'hook-polling',
  'hook-exit-seen',
  'deploy-verdict-committed',
  'deploy-verdict-pushed',
  'deploy-verdict-pull-opened',
  'deploy-verdict-merged',
  'tracker-done',
];

/** Cases run at once by default: most of a case is waiting for an activity timeout, not CPU. */
const DEFAULT_CONCURRENCY = 4;
const FIRST_WORK_ITEM = 301;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw new Error(`--concurrency ${values.concurrency} is invalid: expected a whole number from 1 to 16`);
  }
  const points = selectPoints(values.only);

  const started = Date.now();
  const server = await startDevServer({ headless: true });
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: server.address, connectTimeout: '10s' });
    const client = new Client({ connection, namespace: 'default' });
    console.log(`chaos: ${points.length} kill points, ${concurrency} at a time, Temporal dev server at ${server.address}`);
    const reports = await runPool(points, concurrency, (point, index) =>
      runChaosCase({
        point,
        workItemId: `ORCH-${FIRST_WORK_ITEM + index}`,
        temporalAddress: server.address,
        client,
        keep: values.keep,
      }),
    );
    return printReport(reports, (Date.now() - started) / 1000);
  } finally {
    await connection?.close();
    await stopServer(server);
  }
}

function selectPoints(only: string | undefined): readonly string[] {
  if (only === undefined) return KILL_POINTS;
  const requested = only.split(',').map((point) => point.trim());
  const unknown = requested.filter((point) => !KILL_POINTS.includes(point));
  if (unknown.length > 0) {
    throw new Error(`--only names unknown kill points ${unknown.join(', ')}: expected some of ${KILL_POINTS.join(', ')}`);
  }
  return requested;
}

/** Runs `task` for each item with at most `limit` running at once; results keep the item order. */
async function runPool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
      console.log(`chaos: case ${index + 1}/${items.length} finished`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Prints the table and the summary line; returns the exit code. */
function printReport(reports: ChaosCaseReport[], elapsedSeconds: number): number {
  const rows = reports.map((report) => {
    const effects = report.endState?.effects;
    return {
      point: report.point,
      'worker died': report.workerDied ? 'yes' : 'no',
      'recovered in': report.recoverySeconds === null ? '-' : `${report.recoverySeconds.toFixed(1)} s`,
      verdicts: effects ? `${effects.stagingVerdictCommits} + ${effects.deployVerdictCommits}` : '-',
      merges: effects ? String(effects.merges) : '-',
      'hook runs': effects ? String(effects.hookRuns) : '-',
      ok: report.problems.length === 0 ? 'ok' : 'FAILED',
    };
  });
  console.log(markdownTable(rows));
  for (const report of reports.filter((candidate) => candidate.problems.length > 0)) {
    console.log(`${report.point} (${report.workItemId}, files kept in ${report.dir}):`);
    for (const problem of report.problems) console.log(`  - ${problem}`);
  }

  const survived = reports.filter((report) => report.problems.length === 0).length;
  const duplicates = reports.reduce((sum, report) => sum + (report.endState?.duplicates ?? 0), 0);
  console.log(`chaos: finished in ${elapsedSeconds.toFixed(0)} s`);
  console.log(`chaos: ${survived}/${reports.length} kill points survived, ${duplicates} duplicate side effects`);
  return survived === reports.length && duplicates === 0 ? 0 : 1;
}

/** Formats rows as a Markdown table with padded columns, so it reads in a terminal and in the docs. */
function markdownTable(rows: Array<Record<string, string>>): string {
  const headers = Object.keys(rows[0] ?? {});
  const widths = headers.map((header) => Math.max(header.length, ...rows.map((row) => (row[header] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(headers.map((header) => row[header] ?? '')))].join('\n');
}

async function stopServer(server: DevServer): Promise<void> {
  try {
    await server.stop();
  } catch (error) {
    console.error(`chaos: stopping the Temporal dev server failed: ${(error as Error).message}`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`npm run chaos: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
