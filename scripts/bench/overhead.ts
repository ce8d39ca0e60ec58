/**
 * Workflow overhead: deploys with instant activities against the bare workflow with the same
 * activity steps, in alternating batches on one worker, compared by median latency and throughput.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { BareStep } from './bare-workflow.js';
import { benchInput } from './bench-config.js';
import { historyOf, stepsOf } from './history.js';
import { median, percentile, round } from './stats.js';

/** Latency and throughput of one kind of workflow over all its batches. */
export interface KindFigures {
  workflows: number;
  medianMs: number;
  p99Ms: number;
  perSecond: number;
}

/** Figures of one overhead comparison. */
export interface OverheadResult {
  projectId: string;
  steps: BareStep[];
  deploy: KindFigures;
  bare: KindFigures;
  /** Median deploy latency divided by median bare latency. */
  latencyRatio: number;
  /** Bare throughput divided by deploy throughput, so above 1 means the deploy is slower. */
  throughputRatio: number;
}

interface BatchRun {
  latenciesMs: number[];
  wallMs: number;
}

/** Compares `deploys` deploys of `projectId` with as many bare workflows, `batchSize` at a time. */
export async function measureOverhead(options: {
  client: Client;
  taskQueue: string;
  projectId: string;
  deploys: number;
  batchSize: number;
  runTag: string;
}): Promise<OverheadResult> {
  const { client, taskQueue, projectId, runTag } = options;
  let sequence = 0;
  const nextId = (kind: string) => {
    sequence += 1;
    return { workflowId: `bench-${kind}-${projectId}-${runTag}-${sequence}`, sequence };
  };
  const startDeploy = ({ workflowId, sequence }: { workflowId: string; sequence: number }) =>
    client.workflow.start('deployWorkItem', { taskQueue, workflowId, args: [benchInput(projectId, sequence)] });

  const warmUp = nextId('deploy');
  await timeWorkflow(client, warmUp.workflowId, () => startDeploy(warmUp));
  const steps = stepsOf((await historyOf(client, warmUp.workflowId)).history);
  const runDeploy = () => {
    const next = nextId('deploy');
    return timeWorkflow(client, next.workflowId, () => startDeploy(next));
  };
  const runBare = () => {
    const { workflowId } = nextId('bare');
    return timeWorkflow(client, workflowId, () => client.workflow.start('bareWorkflow', { taskQueue, workflowId, args: [steps] }));
  };
  await runBare();

  const deployBatches: BatchRun[] = [];
  const bareBatches: BatchRun[] = [];
  for (let done = 0, round = 0; done < options.deploys; done += options.batchSize, round += 1) {
    const size = Math.min(options.batchSize, options.deploys - done);
    const order = round % 2 === 0 ? (['deploy', 'bare'] as const) : (['bare', 'deploy'] as const);
    for (const kind of order) {
      const batch = await runBatch(size, kind === 'deploy' ? runDeploy : runBare);
      (kind === 'deploy' ? deployBatches : bareBatches).push(batch);
    }
  }
  const deploy = figuresOf(deployBatches);
  const bare = figuresOf(bareBatches);
  return {
    projectId,
    steps,
    deploy,
    bare,
    latencyRatio: round(deploy.medianMs / bare.medianMs, 3),
    throughputRatio: round(bare.perSecond / deploy.perSecond, 3),
  };
}

async function timeWorkflow(client: Client, workflowId: string, start: () => Promise<unknown>): Promise<number> {
  const begin = performance.now();
  await start();
  await client.workflow.getHandle(workflowId).result();
  return performance.now() - begin;
}

async function runBatch(size: number, run: () => Promise<number>): Promise<BatchRun> {
  const begin = performance.now();
  const latenciesMs = await Promise.all(Array.from({ length: size }, run));
  return { latenciesMs, wallMs: performance.now() - begin };
}

function figuresOf(batches: BatchRun[]): KindFigures {
  const latencies = batches.flatMap((batch) => batch.latenciesMs);
  const wallMs = batches.reduce((sum, batch) => sum + batch.wallMs, 0);
  return {
    workflows: latencies.length,
    medianMs: round(median(latencies)),
    p99Ms: round(percentile(latencies, 99)),
    perSecond: round((latencies.length / wallMs) * 1000, 2),
  };
}
