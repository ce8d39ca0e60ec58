/** Approve to hook launched, and hook exit to verdict merged, over approved self-deploys on the real path. */
import { stat } from 'node:fs/promises';
import { awaitResult, queryStatus } from '../../client/deploys.js';
import { approveSignal } from '../../workflows/messages.js';
import { activityTimings, historyOf, type History, type HistorySize } from './history.js';
import type { RealPath } from './real-path.js';
import { round, summarise, type LatencySummary } from './stats.js';

/** Latency figures of the real path. */
export interface LatencyResult {
  pollIntervalMs: number;
  approveToLaunch: LatencySummary;
  exitToVerdict: LatencySummary;
  /** Part of exit to verdict: from the exit code file to the completion of the polling activity. */
  exitToDetected: LatencySummary;
  /** Part of exit to verdict: the deploy verdict's write, pull request and merge activity. */
  verdictActivity: LatencySummary;
  /** How long the hook ran, from its launch to its exit code. */
  hookDuration: LatencySummary;
  /** History size of each sample; every successful self-deploy should have the same. */
  historySizes: HistorySize[];
}

/** One measured deploy, with its history for the size and replay parts. */
export interface LatencySample {
  workflowId: string;
  history: History;
  size: HistorySize;
  approveToLaunchMs: number;
  exitToVerdictMs: number;
  exitToDetectedMs: number;
  verdictActivityMs: number;
  hookMs: number;
}

/** Deploys each work item in turn, approving as soon as it waits, and times the two hand-overs. */
export async function measureLatency(realPath: RealPath, workItemIds: string[]): Promise<{ result: LatencyResult; samples: LatencySample[] }> {
  const samples: LatencySample[] = [];
  for (const workItemId of workItemIds) samples.push(await deployOnce(realPath, workItemId));
  const project = Object.values(realPath.configs.self.projects)[0];
  const result: LatencyResult = {
    pollIntervalMs: (project?.deploy.pollIntervalSeconds ?? Number.NaN) * 1000,
    approveToLaunch: summarise(samples.map((sample) => sample.approveToLaunchMs)),
    exitToVerdict: summarise(samples.map((sample) => sample.exitToVerdictMs)),
    exitToDetected: summarise(samples.map((sample) => sample.exitToDetectedMs)),
    verdictActivity: summarise(samples.map((sample) => sample.verdictActivityMs)),
    hookDuration: summarise(samples.map((sample) => sample.hookMs)),
    historySizes: samples.map((sample) => sample.size),
  };
  return { result, samples };
}

async function deployOnce(realPath: RealPath, workItemId: string): Promise<LatencySample> {
  const { client } = realPath;
  const workflowId = await realPath.start(workItemId, 'self');
  await realPath.waitForPhase(workflowId, 'awaiting-approval');
  const approvedAt = Date.now();
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice' });
  const outcome = await awaitResult(client, workflowId);
  if (outcome.deployStatus !== 'SUCCESS') throw new Error(`deploy ${workflowId} ended ${outcome.deployStatus}: ${outcome.reason}`);

  const view = await queryStatus(client, workflowId);
  if (view.launch === null) throw new Error(`deploy ${workflowId} has no launch record`);
  const launchedAt = Date.parse(view.launch.launchedAt);
  const exitedAt = (await stat(view.launch.exitFile)).mtimeMs;
  const { history, size } = await historyOf(client, workflowId);
  const timings = activityTimings(history);
  const deployVerdict = timings.filter((timing) => timing.activityType === 'recordVerdict').at(-1);
  const hookExit = timings.find((timing) => timing.activityType === 'awaitHookExit');
  if (deployVerdict === undefined || hookExit === undefined) {
    throw new Error(`deploy ${workflowId} lacks a completed recordVerdict or awaitHookExit activity`);
  }
  return {
    workflowId,
    history,
    size,
    approveToLaunchMs: round(launchedAt - approvedAt),
    exitToVerdictMs: round(deployVerdict.completedMs - exitedAt),
    exitToDetectedMs: round(hookExit.completedMs - exitedAt),
    verdictActivityMs: round(deployVerdict.completedMs - deployVerdict.scheduledMs),
    hookMs: round(exitedAt - launchedAt),
  };
}
