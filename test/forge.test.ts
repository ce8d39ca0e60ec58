import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createForgeActivities } from '../activities/forge.js';
import { execa } from 'execa';
import { FORGE_TOKEN, rejectionOf, runActivity, startForgeSetup, type ForgeSetup } from './support/forge-setup.js';
import { branchTip, commitFiles, FIXTURE_GIT_ENV } from './support/git-fixture.js';
import type { Fault } from './support/gitea-standin.js';

const FEATURE = 'feature/ORCH-65';
const OTHER = 'feature/ORCH-66';
const projectId = 'orchestrator';

let setup: ForgeSetup;
let forge: ReturnType<typeof createForgeActivities>;

beforeEach(async () => {
  setup = await startForgeSetup({
    featureBranches: [
      { branch: FEATURE, workItemId: 'ORCH-65', files: { 'src/feature.txt': 'feature\n' } },
      { branch: OTHER, workItemId: 'ORCH-66', files: { 'src/other.txt': 'other\n' } },
    ],
  });
  forge = createForgeActivities({ config: setup.config, env: setup.env });
});

afterEach(async () => {
  await setup.close();
});

const merge = (number: number, headSha?: string) =>
  runActivity(forge.mergePullRequest, { projectId, number, headSha, workItemId: 'ORCH-65' });
const isMerged = (number: number) => runActivity(forge.isPullRequestMerged, { projectId, number });
const find = (branch: string, number?: number) => runActivity(forge.findPullRequest, { projectId, branch, number });

describe('findPullRequest', () => {
  test('find returns null without pulls', async () => {
    assert.equal(await find(FEATURE), null);
  });

  test('find prefers new open over closed', async () => {
    const old = await setup.standin.createPullRequest({ head: FEATURE });
    setup.standin.closePullRequest(old.number);
    const fresh = await setup.standin.createPullRequest({ head: FEATURE });
    const found = await find(FEATURE);
    assert.equal(found?.number, fresh.number);
    assert.equal(found?.state, 'open');
    assert.equal(found?.headSha, setup.origin.branches[FEATURE]);
  });

  test('find prefers merged over older open', async () => {
    const older = await setup.standin.createPullRequest({ head: FEATURE });
    const merged = await setup.standin.createPullRequest({ head: FEATURE });
    setup.standin.closePullRequest(older.number);
    assert.equal((await merge(merged.number)).outcome, 'merged');
    const found = await find(FEATURE);
    assert.equal(found?.number, merged.number);
    assert.equal(found?.merged, true);
  });

  test('find prefers rework open over merged', async () => {
    const first = await setup.standin.createPullRequest({ head: FEATURE });
    assert.equal((await merge(first.number)).outcome, 'merged');
    await commitFiles({ repoPath: setup.origin.originPath, branch: FEATURE, files: { 'fix.txt': 'rework\n' }, message: 'Fix' });
    const rework = await setup.standin.createPullRequest({ head: FEATURE });
    const found = await find(FEATURE);
    assert.equal(found?.number, rework.number);
    assert.equal(found?.state, 'open');
  });

  test('find skips other branches', async () => {
    await setup.standin.createPullRequest({ head: OTHER });
    assert.equal(await find(FEATURE), null);
  });

  test('find reads past first page', async () => {
    const target = await setup.standin.createPullRequest({ head: FEATURE });
    for (let i = 0; i < 55; i += 1) {
      const filler = await setup.standin.createPullRequest({ head: OTHER });
      setup.standin.closePullRequest(filler.number);
    }
    const found = await find(FEATURE);
    assert.equal(found?.number, target.number);
    assert.ok(setup.standin.requests.some((line) => line.includes('page=2')));
  });

  test('find uses given number', async () => {
    await setup.standin.createPullRequest({ head: FEATURE });
    const second = await setup.standin.createPullRequest({ head: OTHER });
    const found = await find(OTHER, second.number);
    assert.equal(found?.number, second.number);
    assert.equal(found?.headBranch, OTHER);
  });
});

describe('isPullRequestMerged', () => {
  test('merge guard true after merge', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    await merge(pull.number);
    assert.equal(await isMerged(pull.number), true);
  });

  test('merge guard false while open', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    assert.equal(await isMerged(pull.number), false);
  });

  const faults: Array<{ name: string; fault: Omit<Fault, 'method' | 'pathPattern'> }> = [
    { name: '401', fault: { status: 401 } },
    { name: '403', fault: { status: 403 } },
    { name: '404', fault: { status: 404 } },
    { name: '500', fault: { status: 500 } },
    { name: '502 with HTML', fault: { status: 502, body: '<html>bad gateway</html>' } },
    { name: '200 with bad JSON', fault: { status: 200, body: '{"merged": tru' } },
    { name: 'hang past timeout', fault: { status: 204, delayMs: 5000 } },
  ];
  for (const { name, fault } of faults) {
    test(`merge guard false on ${name}`, async () => {
      const pull = await setup.standin.createPullRequest({ head: FEATURE });
      await merge(pull.number);
      setup.standin.failNext({ method: 'GET', pathPattern: /\/pulls\/\d+\/merge$/, ...fault });
      assert.equal(await isMerged(pull.number), false);
    });
  }

  test('merge guard false without token', async () => {
    const guarded = createForgeActivities({ config: setup.config, env: {} });
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    await merge(pull.number);
    assert.equal(await runActivity(guarded.isPullRequestMerged, { projectId, number: pull.number }), false);
  });
});

describe('mergePullRequest', () => {
  test('merge merges into main', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    const outcome = await merge(pull.number, setup.origin.branches[FEATURE]);
    assert.equal(outcome.outcome, 'merged');
    assert.equal(setup.standin.mergeCalls, 1);
    const parents = await execa('git', ['rev-list', '--parents', '-n', '1', 'main'], {
      cwd: setup.origin.originPath,
      env: FIXTURE_GIT_ENV,
    });
    assert.equal(parents.stdout.trim().split(' ').length, 3);
    const tree = await execa('git', ['ls-tree', '-r', '--name-only', 'main'], {
      cwd: setup.origin.originPath,
      env: FIXTURE_GIT_ENV,
    });
    assert.ok(tree.stdout.split('\n').includes('src/feature.txt'));
  });

  test('merge twice is already merged', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    await merge(pull.number);
    const second = await merge(pull.number);
    assert.equal(second.outcome, 'already-merged');
    assert.equal(setup.standin.mergeCalls, 1);
  });

  test('merge of closed pull request', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    setup.standin.closePullRequest(pull.number);
    const outcome = await merge(pull.number);
    assert.equal(outcome.outcome, 'closed');
    assert.equal(setup.standin.mergeCalls, 0);
  });

  test('merge conflict is reported', async () => {
    const branch = 'feature/ORCH-66-readme';
    await commitFiles({
      repoPath: setup.origin.originPath,
      branch,
      parent: setup.origin.mainCommit,
      files: { 'README.md': 'branch\n' },
      message: 'Branch edit',
    });
    await commitFiles({
      repoPath: setup.origin.originPath,
      branch: 'main',
      files: { 'README.md': 'main\n' },
      message: 'Main edit',
    });
    const mainBefore = await branchTip(setup.origin.originPath, 'main');
    const pull = await setup.standin.createPullRequest({ head: branch });
    const outcome = await merge(pull.number);
    assert.equal(outcome.outcome, 'conflict');
    assert.equal(await branchTip(setup.origin.originPath, 'main'), mainBefore);
  });

  test('merge with stale head retries', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    const error = await rejectionOf(merge(pull.number, setup.origin.mainCommit));
    assert.equal(error.type, 'ForgeUnavailable');
    assert.equal(error.nonRetryable, false);
    assert.equal(setup.standin.mergeCalls, 0);
  });

  test('merge of unknown pull request', async () => {
    const error = await rejectionOf(merge(99));
    assert.equal(error.type, 'ForgeRejected');
    assert.equal(error.nonRetryable, true);
  });

  const faults: Array<{
    name: string;
    fault: Omit<Fault, 'method' | 'pathPattern'>;
    type: string;
    nonRetryable: boolean;
  }> = [
    { name: '401', fault: { status: 401 }, type: 'ForgeRejected', nonRetryable: true },
    { name: '403', fault: { status: 403 }, type: 'ForgeRejected', nonRetryable: true },
    { name: '404', fault: { status: 404 }, type: 'ForgeRejected', nonRetryable: true },
    { name: '422', fault: { status: 422 }, type: 'ForgeRejected', nonRetryable: true },
    {
      name: '405 try later',
      fault: { status: 405, body: { message: 'Please try again later' } },
      type: 'ForgeUnavailable',
      nonRetryable: false,
    },
    {
      name: '409 out of date',
      fault: { status: 409, body: { message: 'merge push out of date' } },
      type: 'ForgeUnavailable',
      nonRetryable: false,
    },
    { name: '500', fault: { status: 500 }, type: 'ForgeUnavailable', nonRetryable: false },
    { name: '200 with bad JSON', fault: { status: 200, body: '{oops' }, type: 'ForgeUnavailable', nonRetryable: false },
    { name: 'hang past timeout', fault: { status: 200, delayMs: 5000 }, type: 'ForgeUnavailable', nonRetryable: false },
  ];
  for (const { name, fault, type, nonRetryable } of faults) {
    test(`merge fault ${name}`, async () => {
      const pull = await setup.standin.createPullRequest({ head: FEATURE });
      setup.standin.failNext({ method: 'POST', pathPattern: /\/pulls\/\d+\/merge$/, ...fault });
      const error = await rejectionOf(merge(pull.number));
      assert.equal(error.type, type);
      assert.equal(error.nonRetryable, nonRetryable);
      assert.ok(!error.message.includes(FORGE_TOKEN), 'the message must not contain the token');
    });
  }

  test('merge lost response then re-drive', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    setup.standin.failNext({ method: 'POST', pathPattern: /\/pulls\/\d+\/merge$/, delayMs: 5000 });
    const error = await rejectionOf(merge(pull.number));
    assert.equal(error.type, 'ForgeUnavailable');
    assert.equal(setup.standin.mergeCalls, 1);
    const again = await merge(pull.number);
    assert.equal(again.outcome, 'already-merged');
    assert.equal(setup.standin.mergeCalls, 1);
  });

  test('merge without token', async () => {
    const unauthenticated = createForgeActivities({ config: setup.config, env: {} });
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    const error = await rejectionOf(
      runActivity(unauthenticated.mergePullRequest, { projectId, number: pull.number, workItemId: 'ORCH-65' }),
    );
    assert.equal(error.type, 'MissingSecret');
    assert.equal(error.nonRetryable, true);
  });

  test('merge with wrong token', async () => {
    const wrong = createForgeActivities({ config: setup.config, env: { TEST_GITEA_TOKEN: 'wrong-token' } });
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    const error = await rejectionOf(
      runActivity(wrong.mergePullRequest, { projectId, number: pull.number, workItemId: 'ORCH-65' }),
    );
    assert.equal(error.type, 'ForgeRejected');
    assert.ok(!error.message.includes('wrong-token'), 'the message must not contain the token');
  });
});

describe('gitea stand-in', () => {
  const cases: Array<{ name: string; method: string; path: string; body?: string; auth?: string; status: number }> = [
    { name: 'list without token', method: 'GET', path: '/pulls', auth: '', status: 401 },
    {
      name: 'list with Bearer token',
      method: 'GET',
      path: '/pulls?state=all',
      auth: `Bearer ${FORGE_TOKEN}`,
      status: 200,
    },
    {
      name: 'create duplicate open',
      method: 'POST',
      path: '/pulls',
      body: JSON.stringify({ head: FEATURE, base: 'main', title: 'again' }),
      status: 409,
    },
    {
      name: 'create missing head',
      method: 'POST',
      path: '/pulls',
      body: JSON.stringify({ head: 'feature/none', base: 'main', title: 'x' }),
      status: 404,
    },
    {
      name: 'create without title',
      method: 'POST',
      path: '/pulls',
      body: JSON.stringify({ head: OTHER, base: 'main' }),
      status: 422,
    },
    { name: 'create with bad JSON', method: 'POST', path: '/pulls', body: '{head', status: 422 },
    {
      name: 'create new pull',
      method: 'POST',
      path: '/pulls',
      body: JSON.stringify({ head: OTHER, base: 'main', title: 'x' }),
      status: 201,
    },
    { name: 'get pull', method: 'GET', path: '/pulls/1', status: 200 },
    { name: 'get unknown pull', method: 'GET', path: '/pulls/99', status: 404 },
    { name: 'is merged while open', method: 'GET', path: '/pulls/1/merge', status: 404 },
    {
      name: 'merge stale head',
      method: 'POST',
      path: '/pulls/1/merge',
      body: JSON.stringify({ Do: 'merge', head_commit_id: '0'.repeat(40) }),
      status: 409,
    },
    { name: 'merge without style', method: 'POST', path: '/pulls/1/merge', body: '{}', status: 422 },
    {
      name: 'merge unknown pull',
      method: 'POST',
      path: '/pulls/99/merge',
      body: JSON.stringify({ Do: 'merge' }),
      status: 404,
    },
    { name: 'get nested branch', method: 'GET', path: `/branches/${FEATURE}`, status: 200 },
    { name: 'get missing branch', method: 'GET', path: '/branches/none', status: 404 },
    { name: 'delete default branch', method: 'DELETE', path: '/branches/main', status: 403 },
    { name: 'delete missing branch', method: 'DELETE', path: '/branches/none', status: 404 },
    { name: 'delete nested branch', method: 'DELETE', path: `/branches/${OTHER}`, status: 204 },
  ];
  for (const { name, method, path, body, auth = `token ${FORGE_TOKEN}`, status } of cases) {
    test(`stand-in ${name}`, async () => {
      await setup.standin.createPullRequest({ head: FEATURE });
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (auth !== '') {
        headers.Authorization = auth;
      }
      const response = await fetch(`${setup.standin.url}/api/v1/repos/acme/orchestrator${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      assert.equal(response.status, status);
    });
  }

  test('stand-in merge then 405', async () => {
    await setup.standin.createPullRequest({ head: FEATURE });
    const send = () =>
      fetch(`${setup.standin.url}/api/v1/repos/acme/orchestrator/pulls/1/merge`, {
        method: 'POST',
        headers: { Authorization: `token ${FORGE_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ Do: 'merge', delete_branch_after_merge: true }),
        signal: AbortSignal.timeout(5000),
      });
    assert.equal((await send()).status, 200);
    const again = await send();
    assert.equal(again.status, 405);
    assert.match(((await again.json()) as { message: string }).message, /already been merged/);
    assert.equal(await branchTip(setup.origin.originPath, FEATURE), undefined);
  });
});
