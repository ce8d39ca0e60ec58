/**
 * A worker process killed with SIGKILL at each point between "launch requested" and "verdict
 * written", with the deploy host reached over a real sshd. A new worker finishes each deploy. The
 * cases run at the same time, each with its own task queue and worker process, because each waits
 * for a Temporal timeout to notice the dead worker.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { bundledLauncherPath } from '../activities/host-transport.js';
import { awaitResult, queryStatus } from '../client/deploys.js';
import { loadConfig, type Config } from '../shared/config.js';
import { checkVerdict } from '../verdict/gate.js';
import { approveSignal } from '../workflows/messages.js';
import { createDeployWorker } from '../worker/run.js';
import { startWorkItem, waitFor, waitForPhase } from './support/deploy-runs.js';
import { readMain, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { sharedBundleOptions } from './support/workflow-bundle.js';
import { startClientSandbox, startWorkerProcess, type ClientSandbox } from './support/workers.js';

const WAIT_TIMEOUT_MS = 120_000;
/** Seconds the slow launcher holds back the output of a launch that has already started the hook. */
const LAUNCH_HOLD_SECONDS = 4;

type KillPoint = 'launch-in-flight' | 'launched' | 'polling' | 'hook-exited';

const cases: { name: string; workItemId: string; killPoint: KillPoint }[] = [
  { name: 'before launch activity completes', workItemId: 'ORCH-951', killPoint: 'launch-in-flight' },
  { name: 'after launch before poll', workItemId: 'ORCH-952', killPoint: 'launched' },
  { name: 'during poll', workItemId: 'ORCH-953', killPoint: 'polling' },
  { name: 'after hook exit before verdict', workItemId: 'ORCH-954', killPoint: 'hook-exited' },
];

let setup: ClientSandbox;
let sandbox: Sandbox;
let client: Client;
const processes: ResultPromise[] = [];

before(async () => {
  setup = await startClientSandbox({
    tmpPrefix: 'deployer-crash-ssh-',
    workItems: cases.map(({ workItemId }) => ({ id: workItemId })),
    taskQueue: `crash-ssh-${process.pid}`,
    transport: 'ssh',
    hookDelaySeconds: 2,
  });
  ({ sandbox, client } = setup);
  await sharedBundleOptions();
});

after(async () => {
  for (const worker of processes) worker.kill('SIGKILL');
  await setup.close();
  await stopOwnServer();
});

test('worker killed between launch and verdict', { concurrency: true }, async (t) => {
  await Promise.all(cases.map((scenario) => t.test(scenario.name, () => runCase(scenario))));
});

async function runCase({ workItemId, killPoint }: { workItemId: string; killPoint: KillPoint }): Promise<void> {
  const { config, configPath } = await writeCaseConfig(workItemId, killPoint === 'launch-in-flight');
  const first = addWorkerProcess(configPath);
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId, config });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval', timeoutMs: WAIT_TIMEOUT_MS });
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice' });
  const deployId = await waitForKillPoint(workflowId, killPoint);

  first.kill('SIGKILL');
  assert.equal((await first).signal, 'SIGKILL');
  const replacement = await createDeployWorker(config, await sharedBundleOptions());
  const result = await replacement.runUntil(awaitResult(client, workflowId));

  assert.equal(result.deployStatus, 'SUCCESS', result.reason ?? '');
  assert.equal(result.hookExitCode, 0);
  const runs = (await readFile(sandbox.hookRunsFile, 'utf8')).split('\n').filter((line) => line.startsWith(`${deployId} `));
  assert.equal(runs.length, 1, `hook runs of ${deployId}`);
  const verdictFile = `docs/work-items/${workItemId}/14-deploy-log.md`;
  const verdict = await readMain(sandbox.originPath, verdictFile);
  const gate = verdict === undefined ? undefined : checkVerdict('deploy', verdict);
  assert.equal(gate?.ok && gate.status, 'SUCCESS');
  assert.equal((await mainCommitsTouching(verdictFile)).length, 1);
}

/** Waits until the deploy reaches `killPoint`, observed through the workflow and the host's launch record. */
async function waitForKillPoint(workflowId: string, killPoint: KillPoint): Promise<string> {
  const deployId = await waitFor(async () => (await queryStatus(client, workflowId)).deployId ?? undefined, 'deploy id', WAIT_TIMEOUT_MS);
  const recordDir = path.join(sandbox.hostStateDir, deployId);
  const reached: Record<KillPoint, () => Promise<boolean>> = {
    'launch-in-flight': async () => existsSync(path.join(recordDir, 'pid')),
    launched: async () => (await queryStatus(client, workflowId)).launch !== null,
    polling: async () => {
      const { raw } = await client.workflow.getHandle(workflowId).describe();
      const poll = raw.pendingActivities?.find((activity) => activity.activityType?.name === 'awaitHookExit');
      return poll?.lastHeartbeatTime != null && !existsSync(path.join(recordDir, 'exit_code'));
    },
    'hook-exited': async () => existsSync(path.join(recordDir, 'exit_code')),
  };
  await waitFor(async () => ((await reached[killPoint]()) ? true : undefined), killPoint, WAIT_TIMEOUT_MS);
  if (killPoint === 'launch-in-flight') {
    const status = await queryStatus(client, workflowId);
    assert.equal(status.launch, null, 'expected the launch activity still running at the kill');
  }
  return deployId;
}

/**
 * Writes a config for one case: its own task queue, and for a kill during the launch a launcher that
 * starts the hook at once but holds back its output, so the worker dies after the hook started.
 */
async function writeCaseConfig(workItemId: string, slowLaunch: boolean): Promise<{ config: Config; configPath: string }> {
  const raw = JSON.parse(await readFile(sandbox.configPath, 'utf8'));
  raw.temporal.taskQueue = `crash-ssh-${process.pid}-${workItemId}`;
  if (slowLaunch) raw.hosts.production.launcherPath = await writeSlowLauncher();
  const configPath = path.join(sandbox.dir, `config-${workItemId}.json`);
  await writeFile(configPath, JSON.stringify(raw, null, 2));
  return { config: loadConfig(configPath), configPath };
}

async function writeSlowLauncher(): Promise<string> {
  const file = path.join(sandbox.dir, 'slow-launcher.sh');
  const script = `#!/usr/bin/env bash
output=$(bash ${JSON.stringify(bundledLauncherPath)} "$@")
code=$?
if [[ \${1:-} == launch ]]; then sleep ${LAUNCH_HOLD_SECONDS}; fi
printf '%s\\n' "$output"
exit "$code"
`;
  await writeFile(file, script);
  await chmod(file, 0o755);
  return file;
}

/** Starts a worker process on `configPath`, which `after` kills. */
function addWorkerProcess(configPath: string): ResultPromise {
  const worker = startWorkerProcess(configPath, {
    reject: false,
    stdout: 'ignore',
    stderr: 'ignore',
    env: { DEPLOYER_BUNDLE_FROM_SOURCE: '' },
  });
  processes.push(worker);
  return worker;
}

/** Returns the merge commits on main that changed `file`: one per verdict that reached main. */
async function mainCommitsTouching(file: string): Promise<string[]> {
  const { stdout } = await execa(
    'git',
    ['--git-dir', sandbox.originPath, 'log', '--first-parent', '--format=%H', 'main', '--', file],
    { timeout: 10_000 },
  );
  return stdout.split('\n').filter(Boolean);
}
