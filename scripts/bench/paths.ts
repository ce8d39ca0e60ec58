/** History events and bytes of one deploy on each path, including a short and a slow hook. */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { awaitResult } from '../../client/deploys.js';
import { approveSignal, rejectSignal } from '../../workflows/messages.js';
import { historyOf, type History, type HistorySize } from './history.js';
import { SLOW_HOOK_SECONDS, type RealPath, type Variant } from './real-path.js';

/** Work items the path runs need in the sandbox; ORCH-9004's image fails its health check. */
export const PATH_WORK_ITEMS = [
  { id: 'ORCH-9001' },
  { id: 'ORCH-9002' },
  { id: 'ORCH-9003' },
  { id: 'ORCH-9004', brokenImage: true },
  { id: 'ORCH-9005' },
  { id: 'ORCH-9006' },
  { id: 'ORCH-9007' },
];

/** One path's outcome and history size. */
export interface PathFigures extends HistorySize {
  path: string;
  stagingStatus: string;
  deployStatus: string | null;
  reason: string | null;
}

interface PathRun {
  path: string;
  workItemId: string;
  variant: Variant;
  /** What the approver does once the deploy waits for approval; nothing for paths that never wait. */
  decision?: 'approve' | 'reject';
  approvalTimeoutHours?: number;
}

const SEQUENTIAL: PathRun[] = [
  { path: 'self-deploy success, short hook', workItemId: 'ORCH-9001', variant: 'self', decision: 'approve' },
  { path: 'hook failed (exit 2)', workItemId: 'ORCH-9004', variant: 'self', decision: 'approve' },
  { path: 'non-self deploy success', workItemId: 'ORCH-9006', variant: 'sync' },
];
const CONCURRENT: PathRun[] = [
  { path: `self-deploy success, ${SLOW_HOOK_SECONDS} s hook`, workItemId: 'ORCH-9005', variant: 'slow-hook', decision: 'approve' },
  { path: 'rejected', workItemId: 'ORCH-9002', variant: 'self', decision: 'reject' },
  { path: 'approval timed out', workItemId: 'ORCH-9003', variant: 'self', approvalTimeoutHours: 1 / 3600 },
];
const STAGING_FAILED: PathRun = { path: 'staging failed', workItemId: 'ORCH-9007', variant: 'self' };

/** Runs every path and returns its figures with the recorded histories. */
export async function measurePaths(realPath: RealPath): Promise<{ paths: PathFigures[]; histories: Map<string, History> }> {
  const histories = new Map<string, History>();
  const record = async (run: PathRun) => {
    const { figures, history } = await runPath(realPath, run);
    histories.set(run.path, history);
    return figures;
  };

  const codeFile = path.join(realPath.sandbox.dir, 'staging-exit-code');
  await writeFile(codeFile, '1\n');
  const paths = [await record(STAGING_FAILED).finally(() => rm(codeFile, { force: true }))];
  for (const run of SEQUENTIAL) paths.push(await record(run));
  paths.push(...(await Promise.all(CONCURRENT.map(record))));
  return { paths, histories };
}

async function runPath(realPath: RealPath, run: PathRun): Promise<{ figures: PathFigures; history: History }> {
  const { client } = realPath;
  const workflowId = await realPath.start(run.workItemId, run.variant, run.approvalTimeoutHours);
  if (run.decision !== undefined) {
    await realPath.waitForPhase(workflowId, 'awaiting-approval');
    const handle = client.workflow.getHandle(workflowId);
    if (run.decision === 'approve') await handle.signal(approveSignal, { approver: 'alice' });
    else await handle.signal(rejectSignal, { approver: 'alice', reason: 'benchmark rejection' });
  }
  const outcome = await awaitResult(client, workflowId);
  const { history, size } = await historyOf(client, workflowId);
  const figures = { path: run.path, ...size, stagingStatus: outcome.stagingStatus, deployStatus: outcome.deployStatus, reason: outcome.reason };
  return { figures, history };
}
