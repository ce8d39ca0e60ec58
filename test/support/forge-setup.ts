import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { configSchema, type Config } from '../../shared/config.js';
import { createOriginRepository, type FeatureBranchSpec, type OriginRepository } from './git-fixture.js';
import { startGiteaStandin, type GiteaStandin } from './gitea-standin.js';

/** Token the stand-in accepts in forge tests. */
export const FORGE_TOKEN = 'forge-test-token-5f2c9a';

/** A temp folder with a bare origin, a stand-in Gitea serving it as acme/orchestrator, and a config. */
export interface ForgeSetup {
  dir: string;
  origin: OriginRepository;
  standin: GiteaStandin;
  config: Config;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** Starts a forge test setup; the client timeout is short so hang faults finish quickly. */
export async function startForgeSetup({
  workItemIds = ['ORCH-65', 'ORCH-66'],
  featureBranches = [],
  requestTimeoutSeconds = 3,
}: {
  workItemIds?: string[];
  featureBranches?: FeatureBranchSpec[];
  requestTimeoutSeconds?: number;
} = {}): Promise<ForgeSetup> {
  const dir = await mkdtemp(path.join(tmpdir(), 'deployer-forge-'));
  const origin = await createOriginRepository({ dir, projectId: 'orchestrator', workItemIds, featureBranches });
  const standin = await startGiteaStandin({ repos: { 'acme/orchestrator': origin.originPath }, token: FORGE_TOKEN });
  const config = configSchema.parse({
    stateDir: path.join(dir, 'state'),
    forge: { kind: 'gitea', baseUrl: standin.url, tokenEnv: 'TEST_GITEA_TOKEN', requestTimeoutSeconds },
    hosts: { local: { transport: 'local', stateDir: path.join(dir, 'host') } },
    projects: {
      orchestrator: {
        repository: { owner: 'acme', name: 'orchestrator', cloneUrl: origin.originPath },
        staging: { baseUrl: 'http://127.0.0.1:8501', command: ['true'] },
        deploy: { host: 'local', hook: ['true'] },
      },
    },
  });
  return {
    dir,
    origin,
    standin,
    config,
    env: { TEST_GITEA_TOKEN: FORGE_TOKEN },
    close: async () => {
      await standin.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs an activity function in the SDK's mock activity context, logging only errors. */
export function runActivity<A, R>(fn: (arg: A) => Promise<R>, arg: A): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, arg);
}

/** Awaits a promise that must reject and returns what it rejected with. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<{ type?: string; nonRetryable?: boolean; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { type?: string; nonRetryable?: boolean; message: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
