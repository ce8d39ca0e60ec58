import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { createHostActivities } from '../../activities/host.js';
import { kill } from '../../activities/host-launcher.js';
import { bundledLauncherPath, hostTarget, type HostTarget } from '../../activities/host-transport.js';
import type { HookRequest } from '../../activities/types.js';
import { configSchema, type Config } from '../../shared/config.js';
import type { Sshd } from './sshd.js';

/** A temp folder with a deploy host, and the host activities built on a config that points at it. */
export interface HostFixture {
  dir: string;
  stateDir: string;
  config: Config;
  /** The deploy host of project `orchestrator`: `local`, or `ssh` when the fixture was given an sshd. */
  target: HostTarget;
  activities: ReturnType<typeof createHostActivities>;
  environment: MockActivityEnvironment;
  /** Activity log entries at WARN and above, in order. */
  logs: LogEntry[];
  /** Runs an activity in the mock environment, keeping its argument and result types. */
  run<A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R>;
  request(deployId: string): HookRequest;
  /** Kills whatever the launches of this fixture left running and removes the temp folder. */
  cleanup(): Promise<void>;
}

let deployCounter = 0;

/** Returns a deploy id that no other test in this process uses. */
export function uniqueDeployId(label: string): string {
  deployCounter += 1;
  return `${label}-${process.pid}-${deployCounter}`;
}

/**
 * Creates a fixture whose project `orchestrator` deploys with `hook` on the local transport, or over
 * ssh to `sshd` when given, with the repository's launcher on this machine as the remote host.
 */
export async function createHostFixture({
  hook,
  env = {},
  hookTimeoutSeconds = 120,
  pollIntervalSeconds = 0.2,
  sshd,
}: {
  hook: string[];
  env?: Record<string, string>;
  hookTimeoutSeconds?: number;
  pollIntervalSeconds?: number;
  sshd?: Sshd;
}): Promise<HostFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-host-'));
  const stateDir = path.join(dir, 'state');
  const hostName = sshd ? 'ssh' : 'local';
  const config = configSchema.parse({
    stateDir: path.join(dir, 'deployer'),
    forge: { kind: 'gitea', baseUrl: 'http://127.0.0.1:9' },
    hosts: { [hostName]: sshd ? sshHostConfig(sshd, stateDir) : { transport: 'local', stateDir } },
    projects: {
      orchestrator: {
        repository: { owner: 'pipeline', name: 'orchestrator', cloneUrl: path.join(dir, 'origin.git') },
        staging: { baseUrl: 'http://127.0.0.1:8501', command: ['true'] },
        deploy: { host: hostName, hook, env, hookTimeoutSeconds, pollIntervalSeconds },
      },
    },
  });
  const target = hostTarget(hostName, config.hosts[hostName]!);
  const launched = new Set<string>();
  const logs: LogEntry[] = [];
  const logger = new DefaultLogger('WARN', (entry) => logs.push(entry));
  const environment = new MockActivityEnvironment(undefined, { logger });
  return {
    dir,
    stateDir,
    config,
    target,
    activities: createHostActivities({ config }),
    environment,
    logs,
    run: <A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A) =>
      environment.run<A, unknown, (...args: A) => Promise<unknown>>(activity, ...args) as Promise<R>,
    request(deployId) {
      launched.add(deployId);
      return {
        projectId: 'orchestrator',
        workItemId: 'ORCH-65',
        deployId,
        imageReference: 'orchestrator:1.4.2',
        approver: 'alice',
        workflowId: 'deploy-orchestrator-ORCH-65',
      };
    },
    async cleanup() {
      // The kill runs on this machine directly, so it also works while a test has sshd stopped.
      const local = hostTarget(hostName, { transport: 'local', stateDir });
      await Promise.all([...launched].map((deployId) => kill(local, deployId)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Returns the config of an `ssh` deploy host that reaches `sshd` and runs the repository's launcher. */
export function sshHostConfig(sshd: Sshd, stateDir: string) {
  return {
    transport: 'ssh' as const,
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.identityFile,
    knownHostsFile: sshd.knownHostsFile,
    strictHostKeyChecking: true,
    connectTimeoutSeconds: 5,
    stateDir,
    launcherPath: bundledLauncherPath,
  };
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address from the probe server');
  return address.port;
}
