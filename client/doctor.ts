/**
 * Checks that operators run before starting a worker: the config, the Temporal connection and
 * search attributes, each deploy host, the forge token and the tracker key. Each check sends at most
 * one cheap request per target and has its own timeout.
 */
import { Connection } from '@temporalio/client';
import type { Config } from '../shared/config.js';
import { readSecret } from '../shared/config.js';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes.js';
import { connectionOptions } from './connection.js';
import { checkHosts } from './doctor-hosts.js';

/** The result of one check. `fix` is what to change when the check failed. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const TEMPORAL_TIMEOUT_MS = 5_000;
const HTTP_TIMEOUT_MS = 5_000;

/** Runs every check against a loaded config; never throws for a failing target. */
export async function runChecks(config: Config): Promise<CheckResult[]> {
  const [temporal, hosts, forge, tracker] = await Promise.all([
    checkTemporal(config),
    checkHosts(config),
    checkForge(config),
    checkTracker(config),
  ]);
  return [...temporal, ...hosts, ...forge, tracker];
}

/** Connects, reads the namespace and checks that our custom search attributes are registered. */
export async function checkTemporal(config: Config): Promise<CheckResult[]> {
  const { address, namespace } = config.temporal;
  const name = `temporal ${address}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: TEMPORAL_TIMEOUT_MS });
  } catch (error) {
    return [
      {
        name,
        ok: false,
        detail: `cannot connect: ${messageOf(error)}`,
        fix: 'check temporal.address, temporal.tls and temporal.apiKeyEnv, or start a local server with "npm run server"',
      },
    ];
  }
  try {
    const deadline = () => Date.now() + TEMPORAL_TIMEOUT_MS;
    await connection.withDeadline(deadline(), () => connection.workflowService.describeNamespace({ namespace }));
    const registered = await connection.withDeadline(deadline(), () =>
      connection.operatorService.listSearchAttributes({ namespace }),
    );
    const missing = SEARCH_ATTRIBUTES.filter((attribute) => !(attribute.name in (registered.customAttributes ?? {})));
    const attributes: CheckResult =
      missing.length === 0
        ? { name: `search attributes in ${namespace}`, ok: true, detail: `${SEARCH_ATTRIBUTES.length} registered` }
        : {
            name: `search attributes in ${namespace}`,
            ok: false,
            detail: `missing: ${missing.map((attribute) => attribute.name).join(', ')}`,
            fix: missing
              .map((a) => `temporal operator search-attribute create --namespace ${namespace} --name ${a.name} --type ${a.cliType}`)
              .join('; '),
          };
    return [{ name, ok: true, detail: `connected, namespace ${namespace} exists` }, attributes];
  } catch (error) {
    return [
      {
        name,
        ok: false,
        detail: `connected, but reading namespace ${namespace} failed: ${messageOf(error)}`,
        fix: 'check temporal.namespace and that the API key or certificate may read it',
      },
    ];
  } finally {
    await connection.close();
  }
}

/** Sends one authenticated GET per configured repository: the first open pull request. */
export async function checkForge(config: Config): Promise<CheckResult[]> {
  const { forge } = config;
  let token: string;
  try {
    token = readSecret(forge.tokenEnv, 'forge token');
  } catch (error) {
    return [{ name: 'forge token', ok: false, detail: messageOf(error), fix: `export ${forge.tokenEnv} with a Gitea access token` }];
  }
  const repositories = new Set(Object.values(config.projects).map((p) => `${p.repository.owner}/${p.repository.name}`));
  return Promise.all(
    [...repositories].map(async (repository) => {
      const [owner = '', repo = ''] = repository.split('/');
      const path = `/api/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/pulls?state=open&page=1&limit=1`;
      const result = await httpGet(`${forge.baseUrl.replace(/\/+$/, '')}${path}`, { Authorization: `token ${token}` });
      const fixes: Record<number, string> = {
        401: `the token in ${forge.tokenEnv} is invalid or expired: create a new one in Gitea`,
        403: `the token in ${forge.tokenEnv} has no access to ${repository}: grant it repository read and write`,
        404: `repository ${repository} was not found: check projects.*.repository and the token's access`,
      };
      return httpCheck({ name: `forge ${repository}`, result, fixes, fallbackFix: `check forge.baseUrl (${forge.baseUrl})` });
    }),
  );
}

/** Sends one authenticated GET to the tracker: the workspace's project list. */
export async function checkTracker(config: Config): Promise<CheckResult> {
  const { tracker } = config;
  if (tracker.kind === 'none') return { name: 'tracker', ok: true, detail: 'kind "none": transitions are logged only' };
  let apiKey: string;
  try {
    apiKey = readSecret(tracker.apiKeyEnv, 'Plane API key');
  } catch (error) {
    return { name: 'tracker key', ok: false, detail: messageOf(error), fix: `export ${tracker.apiKeyEnv} with a Plane API key` };
  }
  const base = tracker.baseUrl.endsWith('/') ? tracker.baseUrl : `${tracker.baseUrl}/`;
  const url = new URL(`api/v1/workspaces/${encodeURIComponent(tracker.workspace)}/projects/`, base);
  const result = await httpGet(url.toString(), { 'X-API-Key': apiKey });
  const fixes: Record<number, string> = {
    401: `the key in ${tracker.apiKeyEnv} is invalid: create a new API key in Plane`,
    403: `the key in ${tracker.apiKeyEnv} has no access to workspace ${tracker.workspace}`,
    404: `workspace ${tracker.workspace} was not found: check tracker.workspace`,
  };
  return httpCheck({ name: `tracker ${tracker.workspace}`, result, fixes, fallbackFix: `check tracker.baseUrl (${tracker.baseUrl})` });
}

type HttpResult = { status: number } | { error: string };

async function httpGet(url: string, headers: Record<string, string>): Promise<HttpResult> {
  try {
    const response = await fetch(url, {
      headers: { ...headers, Accept: 'application/json' },
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { status: response.status };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    return { error: timedOut ? `timed out after ${HTTP_TIMEOUT_MS} ms` : `failed to connect: ${messageOf(error)}` };
  }
}

function httpCheck(options: { name: string; result: HttpResult; fixes: Record<number, string>; fallbackFix: string }): CheckResult {
  const { name, result, fixes, fallbackFix } = options;
  if ('error' in result) return { name, ok: false, detail: result.error, fix: fallbackFix };
  if (result.status === 200) return { name, ok: true, detail: 'authenticated GET returned HTTP 200' };
  return { name, ok: false, detail: `authenticated GET returned HTTP ${result.status}`, fix: fixes[result.status] ?? fallbackFix };
}

/** Returns an error's message without its stack, for one-line output. */
export function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
