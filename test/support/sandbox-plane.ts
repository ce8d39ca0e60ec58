/** The Plane side of a sandbox: a Plane stand-in with the work items in development, and its config. */
import { startPlaneStandin, type PlaneActor, type PlaneStandin } from './plane-standin.js';

export const PLANE_API_KEY = 'sandbox-plane-key-3b7d21';
export const PLANE_WEBHOOK_SECRET = 'sandbox-webhook-secret-81c4e0';
export const PLANE_WORKSPACE = 'acme';
export const PLANE_STATES = {
  development: 'In Development',
  approvalPending: 'Approval Pending',
  approved: 'Approved',
  done: 'Done',
};

/** Plane users of the sandbox, by the login that the webhook maps them to. */
export const PLANE_USERS: Record<'alice' | 'bob' | 'carol' | 'mallory', PlaneActor> = {
  alice: { id: '6f1c2d3e-0000-4000-8000-00000000a11c', email: 'alice@example.com', display_name: 'alice' },
  bob: { id: '6f1c2d3e-0000-4000-8000-000000000b0b', email: 'bob@example.com', display_name: 'bob' },
  carol: { id: '6f1c2d3e-0000-4000-8000-0000000ca201', email: 'carol@example.com', display_name: 'carol' },
  mallory: { id: '6f1c2d3e-0000-4000-8000-0000000ba11d', email: 'mallory@example.com', display_name: 'alice' },
};

/**
 * Starts the Plane stand-in with every work item in the development state, sets the API key and the
 * webhook secret in process.env and returns the `tracker` and `webhook` config sections.
 */
export async function startSandboxPlane({ workItemIds, projectId }: { workItemIds: string[]; projectId: string }) {
  const projects: Record<string, { states: string[]; workItems: Array<{ sequence: number; state: string }> }> = {};
  for (const id of workItemIds) {
    const [, identifier = '', sequence = ''] = /^([A-Z][A-Z0-9]*)-([0-9]+)$/.exec(id) ?? [];
    projects[identifier] ??= { states: Object.values(PLANE_STATES), workItems: [] };
    projects[identifier].workItems.push({ sequence: Number(sequence), state: PLANE_STATES.development });
  }
  const plane: PlaneStandin = await startPlaneStandin({ apiKey: PLANE_API_KEY, workspace: PLANE_WORKSPACE, projects });
  process.env.PLANE_API_KEY = PLANE_API_KEY;
  process.env.PLANE_WEBHOOK_SECRET = PLANE_WEBHOOK_SECRET;

  const tracker = {
    kind: 'plane',
    baseUrl: plane.baseUrl,
    workspace: PLANE_WORKSPACE,
    apiKeyEnv: 'PLANE_API_KEY',
    requestTimeoutSeconds: 5,
    states: PLANE_STATES,
  };
  const actors = Object.fromEntries(
    (['alice', 'bob', 'carol'] as const).map((login) => [PLANE_USERS[login].id, login]),
  );
  const webhook = {
    listen: '127.0.0.1:0',
    secretEnv: 'PLANE_WEBHOOK_SECRET',
    projects: Object.fromEntries(Object.keys(projects).map((identifier) => [identifier, projectId])),
    actors,
  };
  return { plane, tracker, webhook };
}
