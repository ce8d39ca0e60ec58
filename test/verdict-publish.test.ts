import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { execa } from 'execa';
import { createVerdictActivities } from '../activities/verdict-publish.js';
import type { PublishVerdictRequest } from '../activities/types.js';
import { rejectionOf, runActivity, startForgeSetup, type ForgeSetup } from './support/forge-setup.js';
import { branchTip, FIXTURE_GIT_ENV, readBlob } from './support/git-fixture.js';

const STAGING_FILE = 'docs/work-items/ORCH-65/15-staging-log.md';
const SUCCESS =
  '---\nstaging_status: SUCCESS\ntimestamp: "2025-01-02T03:04:05Z"\nbase_url: http://localhost:8501\n---\n\nAll checks passed.\n';
const FAILED =
  '---\nstaging_status: FAILED\ntimestamp: "2025-01-02T05:00:00Z"\nbase_url: http://localhost:8501\n---\n\nCheck failed.\n';

let setup: ForgeSetup;
let publish: (
  request: PublishVerdictRequest,
) => Promise<Awaited<ReturnType<ReturnType<typeof createVerdictActivities>['publishVerdict']>>>;

beforeEach(async () => {
  setup = await startForgeSetup({ workItemIds: ['ORCH-65', 'ORCH-66', 'ET-12'] });
  const activities = createVerdictActivities({ config: setup.config, env: setup.env });
  publish = (request) => runActivity(activities.publishVerdict, request);
});

afterEach(async () => {
  await setup.close();
});

function request(overrides: Partial<PublishVerdictRequest> = {}): PublishVerdictRequest {
  return {
    projectId: 'orchestrator',
    workItemId: 'ORCH-65',
    kind: 'staging',
    content: SUCCESS,
    workflowId: 'deploy-orchestrator-ORCH-65',
    ...overrides,
  };
}

const mainFile = (file: string) => readBlob(setup.origin.originPath, 'refs/heads/main', file);

async function mainLog(format: string): Promise<string> {
  const result = await execa('git', ['log', '-1', `--format=${format}`, 'main'], {
    cwd: setup.origin.originPath,
    env: FIXTURE_GIT_ENV,
  });
  return result.stdout.trim();
}

describe('publishVerdict', () => {
  test('publish lands file on main', async () => {
    const result = await publish(request());
    assert.equal(result.path, STAGING_FILE);
    assert.equal(result.alreadyOnMain, false);
    assert.equal(result.mainCommit, await branchTip(setup.origin.originPath, 'main'));
    assert.deepEqual(await mainFile(STAGING_FILE), Buffer.from(SUCCESS, 'utf8'));
    assert.equal(setup.standin.mergeCalls, 1);
    assert.equal(setup.standin.pulls()[0]?.merged, true);
    assert.equal(result.pullRequestNumber, setup.standin.pulls()[0]?.number);
  });

  test('publish goes through a merge', async () => {
    await publish(request());
    assert.equal(await mainLog('%cn'), 'Gitea Stand-in');
    assert.equal((await mainLog('%P')).split(' ').length, 2);
    const changed = await execa('git', ['diff', '--name-only', 'main^1', 'main'], {
      cwd: setup.origin.originPath,
      env: FIXTURE_GIT_ENV,
    });
    assert.deepEqual(changed.stdout.trim().split('\n'), [STAGING_FILE]);
  });

  test('publish deletes the branch', async () => {
    await publish(request());
    assert.equal(await branchTip(setup.origin.originPath, 'deployer/ORCH-65/15-staging-log'), undefined);
  });

  test('publish deploy kind path', async () => {
    const result = await publish(request({ kind: 'deploy', content: '---\ndeploy_status: SUCCESS\n---\n' }));
    assert.equal(result.path, 'docs/work-items/ORCH-65/14-deploy-log.md');
    assert.deepEqual(await mainFile(result.path), Buffer.from('---\ndeploy_status: SUCCESS\n---\n', 'utf8'));
  });

  test('publish twice writes nothing', async () => {
    const first = await publish(request());
    const requestsBefore = setup.standin.requests.length;
    const second = await publish(request());
    assert.equal(second.alreadyOnMain, true);
    assert.equal(second.mainCommit, first.mainCommit);
    assert.equal(second.pullRequestNumber, null);
    assert.equal(setup.standin.mergeCalls, 1);
    assert.equal(setup.standin.pulls().length, 1);
    assert.equal(setup.standin.requests.length, requestsBefore);
  });

  const contents = [
    { name: 'CRLF lines', content: '---\r\nstaging_status: FAILED\r\n---\r\nline\r\n' },
    { name: 'no final newline', content: '---\nstaging_status: SUCCESS\n---\nlast line' },
    { name: 'non-ASCII text', content: '---\nstaging_status: SUCCESS\n---\nÜberprüfung ✓ 検査\n' },
    { name: 'trailing blank lines', content: '---\nstaging_status: SUCCESS\n---\n\n\n\n' },
  ];
  for (const { name, content } of contents) {
    test(`publish keeps bytes: ${name}`, async () => {
      await publish(request({ content }));
      assert.deepEqual(await mainFile(STAGING_FILE), Buffer.from(content, 'utf8'));
    });
  }

  test('publish replaces earlier verdict', async () => {
    await publish(request({ content: FAILED }));
    const second = await publish(request({ content: SUCCESS }));
    assert.equal(second.alreadyOnMain, false);
    assert.deepEqual(await mainFile(STAGING_FILE), Buffer.from(SUCCESS, 'utf8'));
    assert.equal(setup.standin.mergeCalls, 2);
    assert.equal(setup.standin.pulls().length, 2);
  });

  test('concurrent work items both land', async () => {
    const [first, second] = await Promise.all([
      publish(request({ workItemId: 'ORCH-65', workflowId: 'deploy-orchestrator-ORCH-65' })),
      publish(request({ workItemId: 'ORCH-66', workflowId: 'deploy-orchestrator-ORCH-66', content: FAILED })),
    ]);
    assert.equal(first.alreadyOnMain, false);
    assert.equal(second.alreadyOnMain, false);
    assert.deepEqual(await mainFile(STAGING_FILE), Buffer.from(SUCCESS, 'utf8'));
    assert.deepEqual(await mainFile('docs/work-items/ORCH-66/15-staging-log.md'), Buffer.from(FAILED, 'utf8'));
    assert.equal(setup.standin.mergeCalls, 2);
  });

  test('concurrent same verdict merges once', async () => {
    const results = await Promise.all([publish(request()), publish(request())]);
    assert.deepEqual(await mainFile(STAGING_FILE), Buffer.from(SUCCESS, 'utf8'));
    assert.equal(setup.standin.mergeCalls, 1);
    assert.equal(setup.standin.pulls().length, 1);
    assert.ok(results.every((result) => result.path === STAGING_FILE));
  });

  test('lost merge response then re-drive', async () => {
    setup.standin.failNext({ method: 'POST', pathPattern: /\/pulls\/\d+\/merge$/, delayMs: 5000 });
    const error = await rejectionOf(publish(request()));
    assert.equal(error.type, 'ForgeUnavailable');
    const again = await publish(request());
    assert.equal(again.alreadyOnMain, true);
    assert.equal(setup.standin.mergeCalls, 1);
    assert.deepEqual(await mainFile(STAGING_FILE), Buffer.from(SUCCESS, 'utf8'));
  });

  test('failed merge reuses pull request', async () => {
    setup.standin.failNext({ method: 'POST', pathPattern: /\/pulls\/\d+\/merge$/, status: 500 });
    const error = await rejectionOf(publish(request()));
    assert.equal(error.type, 'ForgeUnavailable');
    const branchBefore = await branchTip(setup.origin.originPath, 'deployer/ORCH-65/15-staging-log');
    const again = await publish(request());
    assert.equal(again.pullRequestNumber, setup.standin.pulls()[0]?.number);
    assert.equal(setup.standin.pulls().length, 1);
    assert.equal(setup.standin.mergeCalls, 1);
    assert.equal(setup.standin.pulls()[0]?.headSha, branchBefore);
  });

  test('closed verdict pull request', async () => {
    setup.standin.failNext({ method: 'POST', pathPattern: /\/pulls\/\d+\/merge$/, status: 500 });
    await rejectionOf(publish(request()));
    setup.standin.closePullRequest(1);
    const again = await publish(request());
    assert.equal(again.pullRequestNumber, 2);
    assert.deepEqual(await mainFile(STAGING_FILE), Buffer.from(SUCCESS, 'utf8'));
  });

  const invalid: Array<{ name: string; overrides: Partial<PublishVerdictRequest> }> = [
    { name: 'path traversal id', overrides: { workItemId: '../ORCH-65' } },
    { name: 'slash in id', overrides: { workItemId: 'ORCH-65/../../.env' } },
    { name: 'lowercase id', overrides: { workItemId: 'orch-65' } },
    { name: 'newline in id', overrides: { workItemId: 'ORCH-65\n' } },
    { name: 'unknown kind', overrides: { kind: 'compose' as PublishVerdictRequest['kind'] } },
    { name: 'empty content', overrides: { content: '' } },
    { name: 'unknown project', overrides: { projectId: 'enduro-trails' } },
  ];
  for (const { name, overrides } of invalid) {
    test(`publish rejects ${name}`, async () => {
      const error = await rejectionOf(publish(request(overrides)));
      assert.equal(error.type, 'InvalidInput');
      assert.equal(error.nonRetryable, true);
      assert.equal(setup.standin.requests.length, 0);
    });
  }

  test('unreachable origin raises GitFailed', async () => {
    const project = setup.config.projects.orchestrator;
    assert.ok(project);
    project.repository.cloneUrl = path.join(setup.dir, 'missing.git');
    const activities = createVerdictActivities({ config: setup.config, env: setup.env });
    const error = await rejectionOf(runActivity(activities.publishVerdict, request()));
    assert.equal(error.type, 'GitFailed');
    assert.equal(error.nonRetryable, false);
  });
});
