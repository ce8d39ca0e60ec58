import { shorten } from '../shared/ids.js';

/** A pull request as Gitea's REST API v1 returns it (only the fields we read). */
export interface GiteaPullRequest {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  merge_commit_sha?: string | null;
  created_at?: string;
  head: GiteaBranchInfo;
  base: GiteaBranchInfo;
}

interface GiteaBranchInfo {
  ref: string;
  sha: string;
  repo_id?: number;
  repo?: { full_name?: string } | null;
}

/** Error for a response status the caller did not expect. `forgeMessage` is the forge's own message. */
export class GiteaHttpError extends Error {
  override readonly name = 'GiteaHttpError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly forgeMessage: string,
  ) {
    super(
      `forge request ${method} ${path} failed with HTTP ${status}${forgeMessage ? `: ${shorten(forgeMessage, 200)}` : ''}`,
    );
  }
}

/** Error for a request without a usable response: a timeout, a network failure or a body that is not JSON. */
export class GiteaTransportError extends Error {
  override readonly name = 'GiteaTransportError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly reason: 'timeout' | 'network' | 'bad-response',
    options?: { cause?: unknown },
  ) {
    super(`forge request ${method} ${path} failed: ${reason}`, options);
  }
}

export interface GiteaResponse {
  status: number;
  /** Parsed JSON body, or undefined when the body was empty. */
  body: unknown;
  /** The forge's `message` field, or an empty string. */
  message: string;
}

/** Connection settings for one repository on a Gitea server. */
export interface GiteaClientOptions {
  baseUrl: string;
  token: string;
  owner: string;
  repo: string;
  timeoutMs: number;
}

/** Page size for listing pull requests; Gitea caps pages at 50 items by default. */
export const PULL_PAGE_SIZE = 50;

/** A client for the pull request and branch endpoints of one Gitea repository. */
export class GiteaClient {
  constructor(private readonly options: GiteaClientOptions) {}

  /** Lists one page of pull requests, newest first. */
  async listPullRequests({
    state,
    page,
  }: {
    state: 'open' | 'closed' | 'all';
    page: number;
  }): Promise<GiteaPullRequest[]> {
    const path = `${this.repoPath()}/pulls?state=${state}&page=${page}&limit=${PULL_PAGE_SIZE}`;
    const response = await this.expect('GET', path, [200]);
    if (!Array.isArray(response.body)) {
      throw new GiteaTransportError('GET', path, 'bad-response');
    }
    return response.body.map((item) => this.checkPull('GET', path, item));
  }

  /** Returns a pull request, or null when the forge returns 404. */
  async getPullRequest(number: number): Promise<GiteaPullRequest | null> {
    const path = `${this.repoPath()}/pulls/${number}`;
    const response = await this.expect('GET', path, [200, 404]);
    return response.status === 404 ? null : this.checkPull('GET', path, response.body);
  }

  /** Opens a pull request. The forge returns 201, or 409 when an open one for the same head and base exists. */
  async createPullRequest(form: { head: string; base: string; title: string; body: string }): Promise<GiteaResponse> {
    return this.expect('POST', `${this.repoPath()}/pulls`, [201, 409], form);
  }

  /** Returns true on 204 (merged) and false on 404 (not merged or no such pull request). */
  async isMerged(number: number): Promise<boolean> {
    const response = await this.expect('GET', `${this.repoPath()}/pulls/${number}/merge`, [204, 404]);
    return response.status === 204;
  }

  /** Requests a merge. Returns the response for 200, 404, 405 and 409 and throws for the rest. */
  async merge(number: number, form: { headCommitId?: string; message: string }): Promise<GiteaResponse> {
    const body = {
      Do: 'merge',
      merge_message_field: form.message,
      ...(form.headCommitId ? { head_commit_id: form.headCommitId } : {}),
    };
    return this.expect('POST', `${this.repoPath()}/pulls/${number}/merge`, [200, 404, 405, 409], body);
  }

  /** Deletes a branch. Returns false when the forge returns 404. */
  async deleteBranch(branch: string): Promise<boolean> {
    const response = await this.expect('DELETE', `${this.repoPath()}/branches/${encodePath(branch)}`, [204, 404]);
    return response.status === 204;
  }

  /** Sends one request and throws unless the status is one of `accepted`. */
  private async expect(method: string, path: string, accepted: number[], body?: unknown): Promise<GiteaResponse> {
    const response = await this.send(method, path, body);
    if (!accepted.includes(response.status)) {
      throw new GiteaHttpError(method, path, response.status, response.message);
    }
    return response;
  }

  private async send(method: string, path: string, body?: unknown): Promise<GiteaResponse> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.options.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          Authorization: `token ${this.options.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new GiteaTransportError(method, path, timedOut ? 'timeout' : 'network', { cause: error });
    }
    return { status: response.status, ...parseBody({ method, path, status: response.status, text }) };
  }

  private checkPull(method: string, path: string, value: unknown): GiteaPullRequest {
    const pull = value as GiteaPullRequest | null;
    const valid =
      pull !== null &&
      typeof pull === 'object' &&
      typeof pull.number === 'number' &&
      typeof pull.head?.ref === 'string' &&
      typeof pull.base?.ref === 'string';
    if (!valid) {
      throw new GiteaTransportError(method, path, 'bad-response');
    }
    return pull;
  }

  private repoPath(): string {
    return `/api/v1/repos/${encodeURIComponent(this.options.owner)}/${encodeURIComponent(this.options.repo)}`;
  }
}

/** Parses a JSON body. A 2xx body that is not JSON is a bad response; an error body may be plain text. */
function parseBody({ method, path, status, text }: { method: string; path: string; status: number; text: string }) {
  if (text.trim() === '') {
    return { body: undefined, message: '' };
  }
  try {
    const body: unknown = JSON.parse(text);
    const message = body !== null && typeof body === 'object' && 'message' in body ? String(body.message ?? '') : '';
    return { body, message };
  } catch (error) {
    if (status >= 200 && status < 300) {
      throw new GiteaTransportError(method, path, 'bad-response', { cause: error });
    }
    return { body: undefined, message: text.slice(0, 500) };
  }
}

/** Encodes each segment of a branch name and keeps the slashes, as Gitea's branch routes expect. */
function encodePath(branch: string): string {
  return branch.split('/').map(encodeURIComponent).join('/');
}
