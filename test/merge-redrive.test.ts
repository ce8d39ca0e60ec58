/** Re-drives of the merge step (merge guard, then merge) against the stand-in Gitea and real git. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createForgeActivities } from '../activities/forge.js';
import { createMergeActivities } from '../activities/merge.js';
import { rejectionOf, runActivity, startForgeSetup, type ForgeSetup } from './support/forge-setup.js';
import { branchTip, commitFiles } from './support/git-fixture.js';
import type { Fault } from './support/gitea-standin.js';

const FEATURE = 'feature/ORCH-65';
const MERGE_PATH = /\/pulls\/\d+\/merge$/;

let setup: ForgeSetup;
let forge: ReturnType<typeof createForgeActivities>;
let mergeStep: ReturnType<typeof createMergeActivities>['mergeFeatureBranch'];

beforeEach(async () => {
  setup = await startForgeSetup({
    featureBranches: [{ branch: FEATURE, workItemId: 'ORCH-65', files: { 'src/feature.txt': 'feature\n' } }],
  });
  forge = createForgeActivities({ config: setup.config, env: setup.env });
  mergeStep = createMergeActivities(forge).mergeFeatureBranch;
});

afterEach(async () => {
  await setup.close();
});

const mergeFeature = (number?: number) =>
  runActivity(mergeStep, { projectId: 'orchestrator', workItemId: 'ORCH-65', branch: FEATURE, number });

describe('merge step re-drive', () => {
  test('merged before worker recorded it', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    await runActivity(forge.mergePullRequest, { projectId: 'orchestrator', number: pull.number, workItemId: 'ORCH-65' });
    const again = await mergeFeature();
    assert.equal(again.outcome, 'already-merged');
    assert.equal(again.pullRequestNumber, pull.number);
    assert.equal(setup.standin.mergeCalls, 1);
  });

  test('merge response lost, then re-drive', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    setup.standin.failNext({ method: 'POST', pathPattern: MERGE_PATH, delayMs: 5000 });
    const lost = await rejectionOf(mergeFeature());
    assert.equal(lost.type, 'ForgeUnavailable');
    assert.equal(lost.nonRetryable, false);
    assert.equal(setup.standin.mergeCalls, 1);

    const again = await mergeFeature(pull.number);
    assert.equal(again.outcome, 'already-merged');
    assert.equal(setup.standin.mergeCalls, 1);
  });

  test('guard error, forge says merged', async () => {
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    await runActivity(forge.mergePullRequest, { projectId: 'orchestrator', number: pull.number, workItemId: 'ORCH-65' });
    setup.standin.failNext({ method: 'GET', pathPattern: MERGE_PATH, status: 500 });
    const again = await mergeFeature(pull.number);
    assert.equal(again.outcome, 'already-merged');
    assert.equal(setup.standin.mergeCalls, 1);
  });

  test('old closed and new open pull', async () => {
    const old = await setup.standin.createPullRequest({ head: FEATURE });
    setup.standin.closePullRequest(old.number);
    const fresh = await setup.standin.createPullRequest({ head: FEATURE });
    const result = await mergeFeature();
    assert.equal(result.outcome, 'merged');
    assert.equal(result.pullRequestNumber, fresh.number);
    const pulls = setup.standin.pulls();
    assert.equal(pulls.find((item) => item.number === old.number)?.merged, false);
    assert.equal(pulls.find((item) => item.number === fresh.number)?.merged, true);
  });

  test('only a closed pull', async () => {
    const old = await setup.standin.createPullRequest({ head: FEATURE });
    setup.standin.closePullRequest(old.number);
    const result = await mergeFeature();
    assert.equal(result.outcome, 'closed');
    assert.match(result.reason, new RegExp(`#${old.number}`));
    assert.equal(setup.standin.mergeCalls, 0);
  });

  test('no pull for the branch', async () => {
    const result = await mergeFeature();
    assert.equal(result.outcome, 'not-found');
    assert.match(result.reason, /feature\/ORCH-65/);
  });

  test('conflict names the files', async () => {
    await commitFiles({
      repoPath: setup.origin.originPath,
      branch: 'main',
      files: { 'src/feature.txt': 'main\n' },
      message: 'Main edit',
    });
    const mainBefore = await branchTip(setup.origin.originPath, 'main');
    const pull = await setup.standin.createPullRequest({ head: FEATURE });
    const result = await mergeFeature();
    assert.equal(result.outcome, 'conflict');
    assert.match(result.reason, new RegExp(`pull request #${pull.number}: Merge conflicts in: src/feature.txt`));
    assert.equal(await branchTip(setup.origin.originPath, 'main'), mainBefore);
  });

  const transient: Array<{ name: string; fault: Omit<Fault, 'method' | 'pathPattern'> }> = [
    { name: '405 try again later', fault: { status: 405, body: { message: 'Please try again later' } } },
    { name: '409 out of date', fault: { status: 409, body: { message: 'merge push out of date' } } },
  ];
  for (const { name, fault } of transient) {
    test(`${name} retries, then merges`, async () => {
      await setup.standin.createPullRequest({ head: FEATURE });
      setup.standin.failNext({ method: 'POST', pathPattern: MERGE_PATH, ...fault });
      const busy = await rejectionOf(mergeFeature());
      assert.equal(busy.type, 'ForgeUnavailable');
      assert.equal(busy.nonRetryable, false);
      const retried = await mergeFeature();
      assert.equal(retried.outcome, 'merged');
      assert.equal(setup.standin.mergeCalls, 1);
    });
  }
});

describe('merge guard never raises', () => {
  const faults: Array<{ name: string; fault: Omit<Fault, 'method' | 'pathPattern'> }> = [
    { name: '401', fault: { status: 401 } },
    { name: '500', fault: { status: 500 } },
    { name: '200 with HTML', fault: { status: 200, body: '<html>proxy</html>' } },
    { name: 'hang past timeout', fault: { status: 204, delayMs: 5000 } },
  ];
  for (const { name, fault } of faults) {
    test(`guard ${name} still merges`, async () => {
      await setup.standin.createPullRequest({ head: FEATURE });
      setup.standin.failNext({ method: 'GET', pathPattern: MERGE_PATH, ...fault });
      const result = await mergeFeature();
      assert.equal(result.outcome, 'merged');
      assert.equal(setup.standin.mergeCalls, 1);
    });
  }
});
