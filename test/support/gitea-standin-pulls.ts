import {
  deleteBranch,
  mergeBranches,
  readAllBranches,
  readBranch,
  readDefaultBranch,
  readMergeBase,
  readSubject,
} from './gitea-standin-git.js';
import {
  apiError,
  parseCreateForm,
  parseMergeForm,
  pullToJson,
  type Reply,
  type StandinPull,
} from './gitea-standin-json.js';

const MAX_PAGE_SIZE = 50;
const DEFAULT_PAGE_SIZE = 30;

const notFound = () => apiError(404, "The target couldn't be found.");

/** In-memory pull requests over real bare repositories, with Gitea's rules for create and merge. */
export class PullStore {
  readonly pulls: StandinPull[] = [];
  mergeCalls = 0;
  private readonly nextNumber = new Map<string, number>();
  private readonly mergeQueues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repos: Record<string, string>,
    private readonly baseUrl: () => string,
  ) {}

  /** Returns the bare repository path of "owner/name", or undefined when the stand-in does not serve it. */
  repoPath(repo: string): string | undefined {
    return Object.hasOwn(this.repos, repo) ? this.repos[repo] : undefined;
  }

  find(repo: string, number: number): StandinPull | undefined {
    return this.pulls.find((pull) => pull.repo === repo && pull.number === number);
  }

  async list(repo: string, query: URLSearchParams): Promise<Reply> {
    const state = query.get('state') ?? 'open';
    const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
    const requested = Number.parseInt(query.get('limit') ?? '', 10);
    const limit = Number.isFinite(requested) && requested > 0 ? Math.min(requested, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;

    const matching = this.pulls
      .filter((pull) => pull.repo === repo && (state === 'all' || pull.state === state))
      .sort((a, b) => b.number - a.number);
    const slice = matching.slice((page - 1) * limit, page * limit);
    const branches = await readAllBranches(this.repoPath(repo) as string);
    const body = slice.map((pull) => {
      if (pull.state === 'open') pull.headSha = branches.get(pull.head) ?? pull.headSha;
      return pullToJson({ pull, baseSha: branches.get(pull.base) ?? '', baseUrl: this.baseUrl() });
    });
    return { status: 200, body, headers: { 'X-Total-Count': String(matching.length) } };
  }

  async get(repo: string, number: number): Promise<Reply> {
    const pull = this.find(repo, number);
    return pull ? { status: 200, body: await this.toApi(pull) } : notFound();
  }

  async create(repo: string, input: unknown): Promise<Reply> {
    const form = parseCreateForm(input);
    if (typeof form === 'string') {
      return apiError(422, form);
    }
    const owner = repo.split('/')[0];
    const [headOwner, headBranch] = form.head.includes(':') ? form.head.split(':', 2) : [owner, form.head];
    if (headOwner !== owner || headBranch === undefined) {
      return notFound();
    }
    if (headBranch === form.base) {
      return apiError(422, 'Invalid PullRequest: There are no changes between the head and the base');
    }

    const repoPath = this.repoPath(repo) as string;
    const headSha = await readBranch(repoPath, headBranch);
    const baseSha = await readBranch(repoPath, form.base);
    if (headSha === undefined || baseSha === undefined) {
      return notFound();
    }
    const existing = this.pulls.find(
      (pull) => pull.repo === repo && pull.state === 'open' && pull.head === headBranch && pull.base === form.base,
    );
    if (existing) {
      return apiError(
        409,
        `pull request already exists for these targets [id: ${existing.number}, issue_id: ${existing.number}, head_repo_id: 1, base_repo_id: 1, head_branch: ${headBranch}, base_branch: ${form.base}]`,
      );
    }

    const pull = this.add({ repo, head: headBranch, base: form.base, title: form.title, body: form.body, headSha });
    pull.mergeBase = await readMergeBase(repoPath, baseSha, headSha);
    return { status: 201, body: await this.toApi(pull) };
  }

  /** Stores a new open pull request without the HTTP checks. */
  add(fields: Pick<StandinPull, 'repo' | 'head' | 'base' | 'title' | 'body' | 'headSha'>): StandinPull {
    const number = this.nextNumber.get(fields.repo) ?? 1;
    this.nextNumber.set(fields.repo, number + 1);
    const now = new Date().toISOString();
    const pull: StandinPull = {
      ...fields,
      number,
      state: 'open',
      merged: false,
      mergeBase: '',
      mergeCommit: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
    };
    this.pulls.push(pull);
    return pull;
  }

  isMerged(repo: string, number: number): Reply {
    const pull = this.find(repo, number);
    return pull?.merged ? { status: 204 } : notFound();
  }

  /**
   * Merges a pull request. Merges into one repository run one at a time.
   * NOTE: real Gitea can run two merges at once, and then one of them gets 409 "merge push out of date".
   * This stand-in returns that status only when a branch moves outside the API.
   */
  merge(repo: string, number: number, input: unknown): Promise<Reply> {
    const previous = this.mergeQueues.get(repo) ?? Promise.resolve();
    const next = previous.then(() => this.mergeNow(repo, number, input));
    this.mergeQueues.set(
      repo,
      next.catch(() => undefined),
    );
    return next;
  }

  private async mergeNow(repo: string, number: number, input: unknown): Promise<Reply> {
    const pull = this.find(repo, number);
    if (!pull) {
      return notFound();
    }
    const form = parseMergeForm(input);
    if (typeof form === 'string') {
      return apiError(422, form);
    }
    if (pull.merged) {
      return apiError(405, 'This pull request has already been merged');
    }
    if (pull.state === 'closed') {
      return apiError(405, 'This pull request is closed and cannot be merged');
    }
    if (form.Do !== 'merge') {
      return apiError(405, `${form.Do} is not allowed an allowed merge style for this repository`);
    }

    const repoPath = this.repoPath(repo) as string;
    await this.refresh(pull);
    const baseCommit = await readBranch(repoPath, pull.base);
    if (baseCommit === undefined) {
      return apiError(405, 'Please try again later');
    }
    if (form.head_commit_id && form.head_commit_id !== pull.headSha) {
      return apiError(409, 'head out of date');
    }

    const title =
      form.MergeTitleField?.trim() ||
      `Merge pull request '${pull.title}' (#${pull.number}) from ${pull.head} into ${pull.base}`;
    const extra = form.merge_message_field?.trim();
    const message = extra ? `${title}\n\n${extra}` : title;
    const result = await mergeBranches({ repoPath, base: pull.base, baseCommit, headCommit: pull.headSha, message });
    if (result.result === 'conflict') {
      return apiError(409, `Merge conflicts in: ${result.files.join(', ')}`);
    }
    if (result.result === 'base-moved') {
      return apiError(409, 'merge push out of date');
    }

    this.markMerged(pull, result.commit);
    if (form.delete_branch_after_merge && !this.hasOpenPullFor(repo, pull.head)) {
      await deleteBranch(repoPath, pull.head);
    }
    return { status: 200 };
  }

  close(pull: StandinPull): void {
    const now = new Date().toISOString();
    pull.state = 'closed';
    pull.closedAt = now;
    pull.updatedAt = now;
  }

  async getBranch(repo: string, branch: string): Promise<Reply> {
    const repoPath = this.repoPath(repo) as string;
    const commit = await readBranch(repoPath, branch);
    if (commit === undefined) {
      return apiError(404, `branch does not exist [name: ${branch}]`);
    }
    const message = await readSubject(repoPath, commit);
    const body = {
      name: branch,
      commit: { id: commit, message, url: `${this.baseUrl()}/${repo}/commit/${commit}` },
      protected: false,
      user_can_push: true,
      user_can_merge: true,
    };
    return { status: 200, body };
  }

  async deleteBranch(repo: string, branch: string): Promise<Reply> {
    const repoPath = this.repoPath(repo) as string;
    if (branch === (await readDefaultBranch(repoPath))) {
      return apiError(403, 'can not delete default branch');
    }
    return (await deleteBranch(repoPath, branch))
      ? { status: 204 }
      : apiError(404, `branch does not exist [name: ${branch}]`);
  }

  private markMerged(pull: StandinPull, commit: string): void {
    const now = new Date().toISOString();
    this.mergeCalls += 1;
    Object.assign(pull, {
      merged: true,
      state: 'closed',
      mergeCommit: commit,
      mergedAt: now,
      closedAt: now,
      updatedAt: now,
    });
  }

  private hasOpenPullFor(repo: string, head: string): boolean {
    return this.pulls.some((pull) => pull.repo === repo && pull.head === head && pull.state === 'open');
  }

  /** Follows pushes to the head branch of an open pull request, as the forge does on each push. */
  private async refresh(pull: StandinPull): Promise<void> {
    if (pull.state !== 'open') {
      return;
    }
    const tip = await readBranch(this.repoPath(pull.repo) as string, pull.head);
    if (tip !== undefined) {
      pull.headSha = tip;
    }
  }

  private async toApi(pull: StandinPull): Promise<Record<string, unknown>> {
    await this.refresh(pull);
    const baseSha = (await readBranch(this.repoPath(pull.repo) as string, pull.base)) ?? '';
    return pullToJson({ pull, baseSha, baseUrl: this.baseUrl() });
  }
}
