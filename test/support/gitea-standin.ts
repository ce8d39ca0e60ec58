import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBranch } from './gitea-standin-git.js';
import { apiError, type Reply, type StandinPull } from './gitea-standin-json.js';
import { PullStore } from './gitea-standin-pulls.js';

export type { StandinPull } from './gitea-standin-json.js';

/** A planned fault: the next matching requests get this response instead of the real one. */
export interface Fault {
  method: string;
  /** Matched against the request path without the query string. */
  pathPattern: RegExp | string;
  /** Status of the fault response. When absent, the request runs normally and only its response is delayed. */
  status?: number;
  /** JSON value, or a string sent as-is (e.g. malformed JSON). Default: `{ message }` for the status. */
  body?: unknown;
  /** How many matching requests this fault applies to; default 1. */
  times?: number;
  /** Delay before the response, e.g. longer than the client's timeout to simulate a hang. */
  delayMs?: number;
}

/** A running stand-in Gitea server and the hooks tests use to arrange and inspect it. */
export interface GiteaStandin {
  url: string;
  /** Method and path (with query) of every request received, in order. */
  requests: string[];
  /** Number of merges that succeeded. */
  readonly mergeCalls: number;
  close(): Promise<void>;
  /** A copy of every pull request, in creation order. */
  pulls(): StandinPull[];
  failNext(fault: Fault): void;
  createPullRequest(options: {
    repo?: string;
    head: string;
    base?: string;
    title?: string;
    body?: string;
  }): Promise<StandinPull>;
  closePullRequest(number: number, repo?: string): void;
}

const ROUTE = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/(pulls|branches)(?:\/(.*))?$/;

/**
 * Starts a stand-in Gitea (REST API v1) on 127.0.0.1 for the pull request and branch endpoints, backed
 * by real bare repositories keyed by "owner/name". Requests need `Authorization: token <token>` or
 * `Bearer <token>`.
 */
export async function startGiteaStandin({
  repos,
  token,
  port = 0,
}: {
  repos: Record<string, string>;
  token: string;
  port?: number;
}): Promise<GiteaStandin> {
  let url = '';
  const store = new PullStore(repos, () => url);
  const faults: Array<Fault & { remaining: number }> = [];
  const requests: string[] = [];

  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    handle({ request, response, store, faults, token }).catch((error: unknown) => {
      send(response, apiError(500, `stand-in failure: ${(error as Error).message}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const defaultRepo = () => Object.keys(repos)[0] as string;
  return {
    url,
    requests,
    get mergeCalls() {
      return store.mergeCalls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    pulls: () => store.pulls.map((pull) => ({ ...pull })),
    failNext: (fault) => faults.push({ ...fault, remaining: fault.times ?? 1 }),
    createPullRequest: async ({ repo = defaultRepo(), head, base = 'main', title = `Merge ${head}`, body = '' }) => {
      const headSha = await readBranch(repos[repo] as string, head);
      if (headSha === undefined) {
        throw new Error(`branch ${head} does not exist in ${repo}; push it before creating a pull request`);
      }
      return { ...store.add({ repo, head, base, title, body, headSha }) };
    },
    closePullRequest: (number, repo = defaultRepo()) => {
      const pull = store.find(repo, number);
      if (!pull) {
        throw new Error(`pull request ${repo}#${number} not found in the stand-in`);
      }
      store.close(pull);
    },
  };
}

async function handle({
  request,
  response,
  store,
  faults,
  token,
}: {
  request: IncomingMessage;
  response: ServerResponse;
  store: PullStore;
  faults: Array<Fault & { remaining: number }>;
  token: string;
}): Promise<void> {
  const parsed = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const rawBody = await readBody(request);

  const fault = takeFault(faults, method, parsed.pathname);
  if (fault?.status !== undefined) {
    await sleep(fault.delayMs ?? 0);
    send(response, faultReply(fault));
    return;
  }

  const reply = authorized(request, token)
    ? await route({ store, method, path: parsed.pathname, query: parsed.searchParams, rawBody })
    : apiError(401, 'token is required');
  await sleep(fault?.delayMs ?? 0);
  send(response, reply);
}

async function route({
  store,
  method,
  path,
  query,
  rawBody,
}: {
  store: PullStore;
  method: string;
  path: string;
  query: URLSearchParams;
  rawBody: string;
}): Promise<Reply> {
  const match = ROUTE.exec(path);
  const [, owner = '', name = '', kind, rest = ''] = match ?? [];
  const repo = `${decodeURIComponent(owner)}/${decodeURIComponent(name)}`;
  if (!match || store.repoPath(repo) === undefined) {
    return apiError(404, "The target couldn't be found.");
  }

  if (kind === 'branches' && rest !== '') {
    const branch = rest.split('/').map(decodeURIComponent).join('/');
    if (method === 'GET') return store.getBranch(repo, branch);
    if (method === 'DELETE') return store.deleteBranch(repo, branch);
    return apiError(405, 'Method Not Allowed');
  }
  if (kind !== 'pulls') {
    return apiError(404, "The target couldn't be found.");
  }

  const body = method === 'POST' ? parseJson(rawBody) : undefined;
  if (body instanceof Error) {
    return apiError(422, `invalid JSON body: ${body.message}`);
  }
  const [index, action, ...extra] = rest === '' ? [] : rest.split('/');
  const number = Number(index);
  if (index === undefined) {
    if (method === 'GET') return store.list(repo, query);
    if (method === 'POST') return store.create(repo, body);
    return apiError(405, 'Method Not Allowed');
  }
  if (!/^[1-9][0-9]*$/.test(index) || extra.length > 0 || (action !== undefined && action !== 'merge')) {
    return apiError(404, "The target couldn't be found.");
  }
  if (action === undefined && method === 'GET') return store.get(repo, number);
  if (action === 'merge' && method === 'GET') return store.isMerged(repo, number);
  if (action === 'merge' && method === 'POST') return store.merge(repo, number, body);
  return apiError(405, 'Method Not Allowed');
}

function authorized(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^(?:token|Bearer)\s+(.+)$/i.exec(header);
  return match?.[1] === token;
}

function takeFault(faults: Array<Fault & { remaining: number }>, method: string, path: string) {
  const fault = faults.find(
    (candidate) =>
      candidate.remaining > 0 &&
      candidate.method.toUpperCase() === method &&
      (typeof candidate.pathPattern === 'string'
        ? path.includes(candidate.pathPattern)
        : candidate.pathPattern.test(path)),
  );
  if (fault) {
    fault.remaining -= 1;
  }
  return fault;
}

function faultReply(fault: Fault): Reply {
  const status = fault.status as number;
  return fault.body === undefined ? apiError(status, `stand-in fault ${status}`) : { status, body: fault.body };
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch (error) {
    return error as Error;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.headersSent || response.destroyed) {
    return;
  }
  let text = '';
  if (typeof reply.body === 'string') {
    text = reply.body;
  } else if (reply.body !== undefined) {
    text = JSON.stringify(reply.body);
  }
  const headers: Record<string, string> = { ...reply.headers };
  if (text !== '') {
    headers['Content-Type'] = 'application/json;charset=utf-8';
  }
  response.writeHead(reply.status, headers);
  response.end(text);
}
