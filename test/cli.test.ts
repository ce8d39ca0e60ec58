/** The `deployer` CLI run as a child process against a real dev server, the sandbox and a worker. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { listAwaitingApproval } from '../client/awaiting.js';
import { awaitResult, queryStatus } from '../client/deploys.js';
import { freePort } from '../client/dev-server-process.js';
import { ensureTemporalBinary } from '../scripts/temporal-binary.js';
import { startWorkItem, waitFor, waitForPhase } from './support/deploy-runs.js';
import { startOpensshServer, type OpensshServer } from './support/openssh-server.js';
import { startPlaneStandin, type PlaneStandin } from './support/plane-standin.js';
import { PROJECT_ID, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { startWorkerSandbox, type WorkerSandbox } from './support/workers.js';

const CLI = fileURLToPath(new URL('../bin/deployer.js', import.meta.url));
const CLI_TIMEOUT_MS = 120_000;
const PLANE_KEY = 'plane-key-for-doctor';
const WORK_ITEMS = ['ORCH-301', 'ORCH-302', 'ORCH-303'];

let setup: WorkerSandbox;
let sandbox: Sandbox;
let client: Client;
let sshd: OpensshServer;
let plane: PlaneStandin;

before(async () => {
  setup = await startWorkerSandbox({
    tmpPrefix: 'deployer-cli-',
    workItems: WORK_ITEMS.map((id) => ({ id })),
    taskQueue: `cli-${process.pid}`,
  });
  ({ sandbox, client } = setup);
  [sshd, plane] = await Promise.all([
    startOpensshServer(),
    startPlaneStandin({ apiKey: PLANE_KEY, workspace: 'acme', projects: { ORCH: { states: ['Todo'], workItems: [] } } }),
  ]);
});

after(async () => {
  await Promise.all([setup.close(), sshd.stop(), plane.close()]);
  await stopOwnServer();
});

/** Runs `bin/deployer.js` with the sandbox config; never rejects on a non-zero exit code. */
function cli(args: string[], options: { config?: string; env?: Record<string, string> } = {}) {
  return execa(process.execPath, [CLI, ...args, '--config', options.config ?? sandbox.configPath], {
    reject: false,
    timeout: CLI_TIMEOUT_MS,
    env: options.env,
  });
}

/** Resolves once a running child's stdout so far matches `pattern`. */
async function outputMatches(child: ReturnType<typeof cli>, pattern: RegExp): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) resolve();
    });
    void child.then((result) => reject(new Error(`exited with ${result.exitCode} before printing ${pattern}: ${result.stderr}`)));
  });
}

function itemArgs(workItemId: string): string[] {
  return ['--project', PROJECT_ID, '--work-item', workItemId];
}

async function waitUntilListed(workflowIds: string[]): Promise<void> {
  await waitFor(async () => {
    const listed = await listAwaitingApproval({ client, projectId: PROJECT_ID, limit: 100 });
    return workflowIds.every((id) => listed.some((deploy) => deploy.workflowId === id)) || undefined;
  }, `${workflowIds.join(', ')} in the visibility store`);
}

describe('deployer CLI', () => {
  test('start prints workflow id and link', async () => {
    const result = await cli(['start', ...itemArgs('ORCH-301'), '--branch', sandbox.branchOf('ORCH-301'),
      '--image', sandbox.imageOf('ORCH-301'), '--requested-by', 'carol', '--json']); // prettier-ignore
    const outcome = JSON.parse(result.stdout) as { workflowId: string; startedNew: boolean; link: string };

    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(outcome.workflowId, 'deploy-orchestrator-ORCH-301');
    assert.equal(outcome.startedNew, true);
    assert.equal(outcome.link, `${sandbox.config.temporal.uiUrl}/namespaces/default/workflows/deploy-orchestrator-ORCH-301`);
  });

  test('list shows waiting deploys oldest first', async () => {
    const second = await startWorkItem({ client, sandbox, workItemId: 'ORCH-302' });
    await waitUntilListed(['deploy-orchestrator-ORCH-301', second.workflowId]);
    const result = await cli(['list', '--project', PROJECT_ID, '--json']);
    const ids = (JSON.parse(result.stdout) as Array<{ workItemId: string }>).map((deploy) => deploy.workItemId);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.deepEqual(ids, ['ORCH-301', 'ORCH-302']);
  });

  test('status shows approval age and deadline', async () => {
    const result = await cli(['status', ...itemArgs('ORCH-301')]);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^phase +awaiting-approval$/m);
    assert.match(result.stdout, /^staging +SUCCESS$/m);
    assert.match(result.stdout, /^approval +pending for \d+ (s|min)/m);
    assert.match(result.stdout, /^deadline +\d{4}-\d\d-\d\dT.*Z, 2 d 23 h left$/m);
  });

  test('approve reports whether it counted', async () => {
    const watch = cli(['watch', ...itemArgs('ORCH-301'), '--interval-seconds', '0.3']);
    await outputMatches(watch, /awaiting-approval/);
    const byRequester = await cli(['approve', ...itemArgs('ORCH-301'), '--approver', 'carol']);
    const byApprover = await cli(['approve', ...itemArgs('ORCH-301'), '--approver', 'alice', '--comment', 'ship it']);
    const watched = await watch;

    assert.equal(byRequester.exitCode, 1);
    assert.match(byRequester.stdout, /^approve did not count: carol requested this deploy/);
    assert.equal(byApprover.exitCode, 0, byApprover.stderr);
    assert.match(byApprover.stdout, /^approve counted: approve by alice counted/);
    assert.equal(watched.exitCode, 0, watched.stderr);
    assert.match(watched.stdout, /^\+\d+ s +awaiting-approval +waiting for approval/m);
    assert.match(watched.stdout, /^\+\d+ (s|min \d+ s) +awaiting-hook +hook launched as pid \d+/m);
    assert.match(watched.stdout, /finished: staging SUCCESS, deploy SUCCESS$/m);
  });

  test('temporal CLI approve signal deploys', async () => {
    const workflowId = 'deploy-orchestrator-ORCH-302';
    const result = await execa(ensureTemporalBinary(), [
      'workflow', 'signal', '--address', sandbox.config.temporal.address, '--namespace', 'default',
      '--workflow-id', workflowId, '--name', 'approve', '--input', '{"approver":"bob"}',
    ], { reject: false, timeout: CLI_TIMEOUT_MS }); // prettier-ignore
    const deploy = await awaitResult(client, workflowId);
    const view = await queryStatus(client, workflowId);

    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(deploy.deployStatus, 'SUCCESS');
    assert.equal(view.approval.approver, 'bob');
  });

  test('watch exits 1 after rejection', async () => {
    const { workflowId } = await startWorkItem({ client, sandbox, workItemId: 'ORCH-303' });
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    const rejected = await cli(['reject', ...itemArgs('ORCH-303'), '--approver', 'bob', '--reason', 'freeze']);
    const watched = await cli(['watch', ...itemArgs('ORCH-303'), '--json']);
    const last = JSON.parse(watched.stdout.trim().split('\n').at(-1) ?? '{}') as { deployStatus?: string; reason?: string };

    assert.equal(rejected.exitCode, 0, rejected.stderr);
    assert.equal(watched.exitCode, 1);
    assert.equal(last.deployStatus, 'FAILED');
    assert.equal(last.reason, 'rejected by bob: freeze');
  });

  test('approve after the deploy ended', async () => {
    await awaitResult(client, 'deploy-orchestrator-ORCH-303');
    const result = await cli(['approve', ...itemArgs('ORCH-303'), '--approver', 'alice']);

    assert.equal(result.exitCode, 1);
    assert.match(result.stdout, /^approve did not count: no approval is pending: the deploy has already ended \(COMPLETED\)$/m);
  });

  test('status of unknown work item', async () => {
    const result = await cli(['status', ...itemArgs('ORCH-999')]);

    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /no deploy workflow deploy-orchestrator-ORCH-999 found/);
  });
});

describe('deployer doctor', () => {
  async function doctorConfig(name: string, changes: { sshPort: number; tokenEnv: string; planeKeyEnv: string }) {
    const raw = JSON.parse(await readFile(sandbox.configPath, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    raw.forge.tokenEnv = changes.tokenEnv;
    raw.tracker = { kind: 'plane', baseUrl: plane.baseUrl, workspace: 'acme', apiKeyEnv: changes.planeKeyEnv };
    raw.hosts.remote = {
      transport: 'ssh',
      host: '127.0.0.1',
      port: changes.sshPort,
      user: sshd.user,
      identityFile: sshd.identityFile,
      knownHostsFile: sshd.knownHostsFile,
      stateDir: path.join(sandbox.dir, 'remote-state'),
      launcherPath: CLI,
    };
    const file = path.join(sandbox.dir, `${name}.config.json`);
    await writeFile(file, JSON.stringify(raw));
    return file;
  }

  test('doctor passes on a working setup', async () => {
    const config = await doctorConfig('good', { sshPort: sshd.port, tokenEnv: 'GITEA_TOKEN', planeKeyEnv: 'GOOD_PLANE_KEY' });
    const result = await cli(['doctor', '--json'], { config, env: { GOOD_PLANE_KEY: PLANE_KEY } });
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
    const failed = report.checks.filter((check) => !check.ok);

    assert.equal(result.exitCode, 0, result.stdout);
    assert.deepEqual(failed, []);
    assert.ok(report.checks.some((check) => check.name.startsWith('host remote (ssh')));
  });

  test('doctor names each broken dependency', async () => {
    const closedPort = await freePort();
    const config = await doctorConfig('bad', { sshPort: closedPort, tokenEnv: 'WRONG_GITEA_TOKEN', planeKeyEnv: 'WRONG_PLANE_KEY' });
    const result = await cli(['doctor'], { config, env: { WRONG_GITEA_TOKEN: 'not-the-token', WRONG_PLANE_KEY: 'not-the-key' } });

    assert.equal(result.exitCode, 1);
    assert.match(result.stdout, /^ok {4}temporal 127\.0\.0\.1:\d+: connected/m);
    assert.match(result.stdout, /^FAIL {2}host remote \(ssh .*\): ssh failed: .*Connection refused/m);
    assert.match(result.stdout, /^FAIL {2}forge acme\/orchestrator: authenticated GET returned HTTP 401$/m);
    assert.match(result.stdout, /fix: the token in WRONG_GITEA_TOKEN is invalid or expired/);
    assert.match(result.stdout, /^FAIL {2}tracker acme: authenticated GET returned HTTP 401$/m);
    assert.match(result.stdout, /^3 check\(s\) failed$/m);
  });

  test('doctor reports an invalid config', async () => {
    const config = path.join(sandbox.dir, 'invalid.config.json');
    await writeFile(config, JSON.stringify({ stateDir: 'x', forge: { kind: 'gitlab' }, hosts: {}, projects: {} }));
    const result = await cli(['doctor'], { config });

    assert.equal(result.exitCode, 1);
    assert.match(result.stdout, /^FAIL {2}config: invalid config .*forge\.kind/m);
  });
});
