/** Helpers that drive deploy workflows of a sandbox from a client: start, wait for a phase, read the hook trace. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Config } from '../../shared/config.js';
import { queryStatus, startDeploy, type StartOutcome } from '../../client/deploys.js';
import type { DeployStatusView, Phase } from '../../workflows/messages.js';
import { PROJECT_ID, type Sandbox } from './sandbox.js';

/** Starts the deploy of a sandbox work item, requested by carol, with the sandbox's branch and image. */
export function startWorkItem({
  client,
  sandbox,
  workItemId,
  config = sandbox.config,
  approvalTimeoutHours,
  redeploy,
}: {
  client: Client;
  sandbox: Sandbox;
  workItemId: string;
  config?: Config;
  approvalTimeoutHours?: number;
  redeploy?: boolean;
}): Promise<StartOutcome> {
  return startDeploy(client, config, {
    projectId: PROJECT_ID,
    workItemId,
    featureBranch: sandbox.branchOf(workItemId),
    imageReference: sandbox.imageOf(workItemId),
    requestedBy: 'carol',
    options: { approvalTimeoutHours, redeploy },
  });
}

/** Polls the `status` query every 200 ms until the workflow reaches `phase`. Fails on `finished` or after the timeout. */
export function waitForPhase({
  client,
  workflowId,
  phase,
  timeoutMs,
}: {
  client: Client;
  workflowId: string;
  phase: Phase;
  timeoutMs?: number;
}): Promise<DeployStatusView> {
  return waitForStatus({ client, workflowId, reached: (view) => view.phase === phase, expected: `phase ${phase}`, timeoutMs });
}

/** Polls the `status` query every 200 ms until `reached` returns true. Fails on `finished` or after the timeout. */
export async function waitForStatus({
  client,
  workflowId,
  reached,
  expected,
  timeoutMs = 60_000,
}: {
  client: Client;
  workflowId: string;
  reached: (view: DeployStatusView) => boolean;
  /** The state that `reached` checks for, named in the failure message. */
  expected: string;
  timeoutMs?: number;
}): Promise<DeployStatusView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await queryStatus(client, workflowId).catch(() => undefined);
    if (view !== undefined && reached(view)) return view;
    if (view?.phase === 'finished' || Date.now() > deadline) {
      assert.fail(`${workflowId}: expected ${expected}, got phase ${view?.phase ?? 'no answer'} (${view?.reason ?? 'no reason'})`);
    }
    await delay(200);
  }
}

/** Polls `probe` every 100 ms until it returns a value other than undefined. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}

/** Returns the lines of a text file, or no lines when it does not exist yet. */
export async function readLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
