/** A pull request as the stand-in stores it. */
export interface StandinPull {
  repo: string;
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
  mergeBase: string;
  mergeCommit: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
}

/** An HTTP response: status, JSON body (or raw text) and extra headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Builds Gitea's error body: `{ message, url }`. */
export function apiError(status: number, message: string): Reply {
  return { status, body: { message, url: 'https://docs.gitea.com/api/' } };
}

/** Converts a stored pull request into Gitea's PullRequest JSON shape. */
export function pullToJson({
  pull,
  baseSha,
  baseUrl,
}: {
  pull: StandinPull;
  baseSha: string;
  baseUrl: string;
}): Record<string, unknown> {
  const [owner = '', name = ''] = pull.repo.split('/');
  const repository = { id: 1, name, full_name: pull.repo, owner: { id: 1, login: owner }, default_branch: 'main' };
  const html = `${baseUrl}/${pull.repo}/pulls/${pull.number}`;
  return {
    id: pull.number,
    url: html,
    number: pull.number,
    user: { id: 1, login: owner },
    title: pull.title,
    body: pull.body,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: [],
    state: pull.state,
    is_locked: false,
    comments: 0,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    mergeable: pull.state === 'open',
    merged: pull.merged,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommit,
    merged_by: pull.merged ? { id: 1, login: owner } : null,
    base: { label: pull.base, ref: pull.base, sha: baseSha, repo_id: 1, repo: repository },
    head: { label: pull.head, ref: pull.head, sha: pull.headSha, repo_id: 1, repo: repository },
    merge_base: pull.mergeBase,
    due_date: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
  };
}

export interface CreateForm {
  head: string;
  base: string;
  title: string;
  body: string;
}

/** Validates a create-pull-request body; returns the error message when it is invalid. */
export function parseCreateForm(input: unknown): CreateForm | string {
  if (input === null || typeof input !== 'object') {
    return 'invalid request body: expected a JSON object';
  }
  const { head, base, title, body } = input as Record<string, unknown>;
  for (const [field, value] of Object.entries({ head, base, title })) {
    if (typeof value !== 'string' || value.trim() === '') {
      return `[${field}]: Required`;
    }
  }
  return {
    head: head as string,
    base: base as string,
    title: title as string,
    body: typeof body === 'string' ? body : '',
  };
}

export interface MergeForm {
  Do: string;
  head_commit_id?: string;
  delete_branch_after_merge?: boolean;
  merge_message_field?: string;
  MergeTitleField?: string;
}

const MERGE_STYLES = ['merge', 'rebase', 'rebase-merge', 'squash', 'fast-forward-only', 'manually-merged'];

/** Validates a merge body; returns the error message when it is invalid. */
export function parseMergeForm(input: unknown): MergeForm | string {
  if (input === null || typeof input !== 'object') {
    return 'invalid request body: expected a JSON object';
  }
  const form = input as Record<string, unknown>;
  if (typeof form.Do !== 'string' || !MERGE_STYLES.includes(form.Do)) {
    return `[Do]: expected one of ${MERGE_STYLES.join(', ')}`;
  }
  return form as unknown as MergeForm;
}
