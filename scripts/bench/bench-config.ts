/** Configuration of the benchmark worker that runs with instant stand-in activities. */
import path from 'node:path';
import { configSchema, type Config } from '../../shared/config.js';
import type { DeployInput } from '../../shared/input.js';

/** Non-self project: the deploy runs the hook synchronously. */
export const SYNC_PROJECT = 'bench-sync';
/** Self-hosting project whose stand-in tracker sends `approve` as soon as approval is requested. */
export const SELF_PROJECT = 'bench-self';
/** Self-hosting project that waits for an approval sent by the benchmark itself. */
export const PARKED_PROJECT = 'bench-parked';
export const APPROVER = 'alice';
export const REQUESTER = 'carol';

/** Builds a valid config for the benchmark projects. Nothing in it is contacted: the activities are stand-ins. */
export function benchConfig(options: { address: string; taskQueue: string; stateDir: string }): Config {
  const project = (selfHosting: boolean) => ({
    selfHosting,
    repository: { owner: 'bench', name: 'bench', cloneUrl: path.join(options.stateDir, 'origin.git') },
    staging: { baseUrl: 'http://127.0.0.1:8501', command: ['true'] },
    deploy: { host: 'production', hook: ['true'] },
    approvers: [APPROVER],
  });
  return configSchema.parse({
    temporal: { address: options.address, taskQueue: options.taskQueue },
    stateDir: options.stateDir,
    forge: { kind: 'gitea', baseUrl: 'http://127.0.0.1:3000' },
    hosts: { production: { transport: 'local', stateDir: path.join(options.stateDir, 'host') } },
    projects: { [SYNC_PROJECT]: project(false), [SELF_PROJECT]: project(true), [PARKED_PROJECT]: project(true) },
  });
}

/** Builds the input of one benchmark deploy. */
export function benchInput(projectId: string, sequence: number): DeployInput {
  const workItemId = `BENCH-${sequence}`;
  return {
    projectId,
    workItemId,
    featureBranch: `feature/${workItemId}`,
    imageReference: `registry.local:5000/bench:${workItemId.toLowerCase()}`,
    requestedBy: REQUESTER,
    options: { strictStaging: false, redeploy: false },
  };
}
