/**
 * The per-environment deploy lock on a real dev server: concurrent self-deploys run their hooks one
 * after the other, a deploy waiting for approval holds no lock, and a killed worker leaves none behind.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { awaitResult, queryStatus } from '../client/deploys.js';
import { approveSignal, rejectSignal } from '../workflows/messages.js';
import { readLines, startWorkItem, waitFor, waitForPhase } from './support/deploy-runs.js';
import { PROJECT_ID, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { startClientSandbox, startWorkerProcess, type ClientSandbox } from './support/workers.js';

const WORK_ITEMS = ['ORCH-701', 'ORCH-702', 'ORCH-703', 'ORCH-704', 'ORCH-705', 'ORCH-706'];

let setup: ClientSandbox;
let sandbox: Sandbox;
let client: Client;
let traceFile: string;
let lockFile: string;
const workers: ResultPromise[] = [];

before(async () => {
  setup = await startClientSandbox({
    tmpPrefix: 'deployer-lock-',
    workItems: WORK_ITEMS.map((id) => ({ id })),
    taskQueue: `lock-${process.pid}`,
  });
  ({ sandbox, client } = setup);
  traceFile = path.join(sandbox.dir, 'hook-trace.log');
  lockFile = path.join(sandbox.dir, 'host-state/locks/deploy-production.lock');
  await useTracingHook();
  void addWorkerProcess();
});

after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await Promise.allSettled(workers);
  await setup.close();
  await stopOwnServer();
});

/**
 * Wraps the sandbox hook in one that records its start and end in nanoseconds, and first sleeps the
 * seconds in `hold-<WORK_ITEM_ID>` when that file exists. The config file is rewritten to use it.
 */
async function useTracingHook(): Promise<void> {
  const hook = path.join(sandbox.dir, 'tracing-hook.sh');
  const [sandboxHook] = sandbox.config.projects[PROJECT_ID]!.deploy.hook;
  await writeFile(
    hook,
    `#!/usr/bin/env bash
set -uo pipefail
trace=$1 dir=$2 inner=$3
printf 'start %s %s\\n' "$DEPLOY_ID" "$(date +%s%N)" >>"$trace"
if [[ -f "$dir/hold-$WORK_ITEM_ID" ]]; then sleep "$(cat "$dir/hold-$WORK_ITEM_ID")"; fi
bash "$inner"
code=$?
printf 'end %s %s\\n' "$DEPLOY_ID" "$(date +%s%N)" >>"$trace"
exit "$code"
`,
  );
  await chmod(hook, 0o755);
  const raw = JSON.parse(await readFile(sandbox.configPath, 'utf8')) as {
    projects: Record<string, { deploy: { hook: string[] } }>;
  };
  raw.projects[PROJECT_ID]!.deploy.hook = [hook, traceFile, sandbox.dir, sandboxHook!];
  await writeFile(sandbox.configPath, `${JSON.stringify(raw, null, 2)}\n`);
}

/** Starts a worker process on the sandbox config, which `after` kills. */
function addWorkerProcess(): ResultPromise {
  const worker = startWorkerProcess(sandbox.configPath, { reject: false, stdout: 'ignore', stderr: 'ignore' });
  workers.push(worker);
  return worker;
}

/** Returns the hook's start and end times in nanoseconds for each deploy id of the trace. */
async function hookSpans(): Promise<Map<string, { start: bigint; end?: bigint }>> {
  const spans = new Map<string, { start: bigint; end?: bigint }>();
  for (const line of await readLines(traceFile)) {
    const [event, deployId, time] = line.split(' ') as [string, string, string];
    if (event === 'start') spans.set(deployId, { start: BigInt(time) });
    else spans.get(deployId)!.end = BigInt(time);
  }
  return spans;
}

async function spanOf(workflowId: string): Promise<{ start: bigint; end?: bigint } | undefined> {
  const spans = await hookSpans();
  const deployId = [...spans.keys()].find((id) => id.startsWith(`${workflowId}.`));
  return deployId === undefined ? undefined : spans.get(deployId);
}

/** Returns true when the lock file can be taken at once, so no process holds the lock. */
async function lockIsFree(): Promise<boolean> {
  const result = await execa('flock', ['--nonblock', lockFile, 'true'], { reject: false, timeout: 5_000 });
  return result.exitCode === 0;
}

async function startAndAwaitApproval(workItemId: string): Promise<string> {
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
  return workflowId;
}

function assertNoOverlap(first: { start: bigint; end?: bigint }, second: { start: bigint; end?: bigint }): void {
  assert.notEqual(first.end, undefined, 'expected the first hook to have ended');
  assert.notEqual(second.end, undefined, 'expected the second hook to have ended');
  const disjoint = first.end! <= second.start || second.end! <= first.start;
  assert.ok(disjoint, `hooks overlapped: ${first.start}-${first.end} and ${second.start}-${second.end} (ns)`);
}

describe('deploy lock', { timeout: 180_000 }, () => {
  test('simultaneous approvals run hooks serially', async () => {
    const workflowIds = await Promise.all(['ORCH-701', 'ORCH-702'].map(startAndAwaitApproval));
    await Promise.all(workflowIds.map((id) => client.workflow.getHandle(id).signal(approveSignal, { approver: 'alice' })));
    const results = await Promise.all(workflowIds.map((id) => awaitResult(client, id)));

    assert.deepEqual(
      results.map((result) => result.deployStatus),
      ['SUCCESS', 'SUCCESS'],
    );
    const [first, second] = await Promise.all(workflowIds.map(spanOf));
    assertNoOverlap(first!, second!);
    assert.equal(await lockIsFree(), true, 'the restarted production service must not inherit the lock');
  });

  test('waiting for approval holds no lock', async () => {
    const waiting = await startAndAwaitApproval('ORCH-703');
    assert.equal(await lockIsFree(), true);

    const deploying = await startAndAwaitApproval('ORCH-704');
    await client.workflow.getHandle(deploying).signal(approveSignal, { approver: 'bob' });
    const result = await awaitResult(client, deploying);

    assert.equal(result.deployStatus, 'SUCCESS');
    assert.equal((await queryStatus(client, waiting)).phase, 'awaiting-approval');
    await client.workflow.getHandle(waiting).signal(rejectSignal, { approver: 'alice', reason: 'test over' });
    assert.equal((await awaitResult(client, waiting)).deployStatus, 'FAILED');
  });

  test('worker killed under lock, next deploy runs', async () => {
    await writeFile(path.join(sandbox.dir, 'hold-ORCH-705'), '4\n');
    const holding = await startAndAwaitApproval('ORCH-705');
    const next = await startAndAwaitApproval('ORCH-706');
    await client.workflow.getHandle(holding).signal(approveSignal, { approver: 'alice' });
    await waitForPhase({ client, workflowId: holding, phase: 'awaiting-hook' });
    await waitFor(() => spanOf(holding), 'the hook of ORCH-705 to start');

    const killed = workers.at(-1)!;
    killed.kill('SIGKILL');
    assert.equal((await killed).signal, 'SIGKILL');
    assert.equal(await lockIsFree(), false, 'the hook of ORCH-705 should hold the lock');
    void addWorkerProcess();
    await client.workflow.getHandle(next).signal(approveSignal, { approver: 'bob' });
    const results = await Promise.all([awaitResult(client, holding), awaitResult(client, next)]);

    assert.equal(results[0].deployStatus, 'SUCCESS');
    assert.equal(results[1].deployStatus, 'SUCCESS');
    const holdingSpan = await spanOf(holding);
    const nextSpan = await spanOf(next);
    assertNoOverlap(holdingSpan!, nextSpan!);
    assert.equal(await lockIsFree(), true);
  });
});
