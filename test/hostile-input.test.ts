/**
 * Hostile input at every edge, one table per edge: workflow inputs (client and CLI), signal payloads,
 * config files, staging output and verdict files. Each row states its expected outcome.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { awaitResult, queryStatus, startDeploy } from '../client/deploys.js';
import { loadConfig } from '../shared/config.js';
import type { DeployInputDraft } from '../shared/input.js';
import { checkVerdict } from '../verdict/gate.js';
import { approveSignal } from '../workflows/messages.js';
import { CONFIG_CASES, STAGING_OUTPUT_CASES, VERDICT_CASES, renderedStagingStatus, runStagingScript } from './support/hostile-cases.js';
import { waitFor, waitForPhase } from './support/deploy-runs.js';
import { PROJECT_ID, readMain, type Sandbox } from './support/sandbox.js';
import { stopOwnServer } from './support/temporal.js';
import { startWorkerSandbox, type WorkerSandbox } from './support/workers.js';

const CLI = fileURLToPath(new URL('../bin/deployer.js', import.meta.url));
const WORK_ITEM = 'ORCH-501';
const LONG = 'A'.repeat(100_000);
/** Maximum length of an error message for any row, however long the hostile value. */
const MAX_MESSAGE_CHARS = 600;

let setup: WorkerSandbox;
let sandbox: Sandbox;
let client: Client;
let pwned: string;

before(async () => {
  setup = await startWorkerSandbox({
    tmpPrefix: 'deployer-hostile-',
    workItems: [{ id: WORK_ITEM }],
    taskQueue: `hostile-${process.pid}`,
    prepare: async ({ dir, config }) => {
      pwned = path.join(dir, 'pwned');
      config.projects[PROJECT_ID]!.staging.command = ['bash', await writeHostileCheck(dir)];
    },
  });
  ({ sandbox, client } = setup);
});

after(async () => {
  await setup.close();
  await stopOwnServer();
});

/** Writes a staging check that prints contradicting, binary and shell-looking output and exits 0. */
async function writeHostileCheck(dir: string): Promise<string> {
  const file = path.join(dir, 'hostile-check.sh');
  await writeFile(
    file,
    `printf 'VERDICT: FAIL (contradicts the exit code)\\r\\n'
printf 'INFRA-WAIVED: C9a $(touch ${pwned}) ; rm -rf / # "quoted" \\x27single\\x27 --- : {a: b}\\n'
printf 'binary \\x00\\xff\\xfe\\x01 line\\n'
printf 'VERDICT: PASS\\n'
exit 0
`,
  );
  return file;
}

function draft(overrides: Record<string, unknown>): DeployInputDraft {
  return {
    projectId: PROJECT_ID,
    workItemId: WORK_ITEM,
    featureBranch: sandbox.branchOf(WORK_ITEM),
    imageReference: sandbox.imageOf(WORK_ITEM),
    requestedBy: 'carol',
    ...overrides,
  } as DeployInputDraft;
}

/** Rows: the field, the hostile value, and a fragment of the expected form that the error must name. */
const INPUT_CASES: Array<{ field: string; value: unknown; expected: RegExp }> = [
  { field: 'workItemId', value: '../ORCH-1', expected: /expected an uppercase key/ },
  { field: 'workItemId', value: 'ORCH-1/../../x', expected: /expected an uppercase key/ },
  { field: 'workItemId', value: 'ORCH-1\nORCH-2', expected: /expected an uppercase key/ },
  { field: 'workItemId', value: 'ORCH-1;reboot', expected: /expected an uppercase key/ },
  { field: 'workItemId', value: '$(touch /tmp/x)', expected: /expected an uppercase key/ },
  { field: 'workItemId', value: 'ORCH-1\0', expected: /expected an uppercase key/ },
  { field: 'workItemId', value: LONG, expected: /expected an uppercase key/ },
  { field: 'workItemId', value: 65, expected: /expected string/ },
  { field: 'projectId', value: '../orchestrator', expected: /expected lowercase letters/ },
  { field: 'featureBranch', value: 'feature/../../main', expected: /expected no "\.\." and no "\/\/"/ },
  { field: 'featureBranch', value: '/etc/passwd', expected: /starting with a letter or digit/ },
  { field: 'featureBranch', value: '-D', expected: /starting with a letter or digit/ },
  { field: 'featureBranch', value: "feature/it's", expected: /expected letters, digits/ },
  { field: 'featureBranch', value: 'feature/x;rm -rf', expected: /expected letters, digits/ },
  { field: 'featureBranch', value: 'feature/x\n', expected: /expected letters, digits/ },
  { field: 'featureBranch', value: `feature/${LONG}`, expected: /expected at most 200 characters/ },
  { field: 'featureBranch', value: ['main'], expected: /expected string/ },
  { field: 'imageReference', value: 'orchestrator:1;reboot', expected: /expected an image reference/ },
  { field: 'imageReference', value: '$(curl evil):1', expected: /expected an image reference/ },
  { field: 'imageReference', value: '../orchestrator:1', expected: /expected an image reference/ },
  { field: 'imageReference', value: 'orchestrator:"1"', expected: /expected an image reference/ },
  { field: 'imageReference', value: 'orchestrator', expected: /expected a tag or digest/ },
  { field: 'imageReference', value: `orchestrator:${LONG}`, expected: /expected at most 255 characters/ },
  { field: 'requestedBy', value: 'carol\nalice', expected: /expected a login/ },
  { field: 'requestedBy', value: 'carol;id', expected: /expected a login/ },
  { field: 'requestedBy', value: '../carol', expected: /expected a login/ },
  { field: 'requestedBy', value: "o'brien", expected: /expected a login/ },
  { field: 'requestedBy', value: '', expected: /expected a login/ },
  { field: 'requestedBy', value: { login: 'carol' }, expected: /expected string/ },
  { field: 'pullRequestNumber', value: -1, expected: /expected a positive pull request number/ },
  { field: 'pullRequestNumber', value: '7', expected: /expected number/ },
  { field: 'options', value: { approvalTimeoutHours: 1e9 }, expected: /expected at most 720 hours/ },
  { field: 'options', value: { approvalTimeoutHours: 'soon' }, expected: /expected number/ },
];

describe('workflow input rejected', () => {
  for (const { field, value, expected } of INPUT_CASES) {
    test(`startDeploy rejects ${field} ${JSON.stringify(value).slice(0, 24)}`, async () => {
      const error = await startDeploy(client, sandbox.config, draft({ [field]: value })).then(
        () => assert.fail('expected the start to be rejected'),
        (caught: Error) => caught,
      );

      assert.equal(error.name, 'ValidationError');
      assert.match(error.message, new RegExp(`\\b${field}\\b`));
      assert.match(error.message, expected);
      assert.ok(error.message.length <= MAX_MESSAGE_CHARS, `message of ${error.message.length} characters`);
    });
  }

  test('startDeploy rejects unknown key', async () => {
    await assert.rejects(startDeploy(client, sandbox.config, draft({ shell: 'rm -rf /' })), /shell/);
  });

  const cliCases = [
    { option: '--work-item', value: 'ORCH-1;reboot', field: 'workItemId' },
    { option: '--branch', value: 'feature/../../main', field: 'featureBranch' },
    { option: '--image', value: '$(touch /tmp/x):1', field: 'imageReference' },
    { option: '--requested-by', value: 'carol\nalice', field: 'requestedBy' },
    { option: '--work-item', value: LONG.slice(0, 10_000), field: 'workItemId', name: 'long --work-item' },
  ];
  for (const { option, value, field, name = option } of cliCases) {
    test(`cli start rejects ${name}`, async () => {
      const argv = { '--work-item': WORK_ITEM, '--branch': sandbox.branchOf(WORK_ITEM), '--image': sandbox.imageOf(WORK_ITEM) };
      const options = Object.entries({ ...argv, '--requested-by': 'carol', [option]: value }).flat();
      const result = await execa(CLI, ['start', '--config', sandbox.configPath, '--project', PROJECT_ID, ...options], {
        reject: false,
        timeout: 60_000,
      });

      assert.equal(result.exitCode, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`\\b${field}\\b.*is invalid: expected`));
      assert.ok(result.stderr.length <= MAX_MESSAGE_CHARS, `stderr of ${result.stderr.length} characters`);
    });
  }
});

/** Approve payloads that must be recorded as ignored and never counted. */
const SIGNAL_CASES: Array<{ name: string; payload: unknown }> = [
  { name: 'missing approver', payload: { comment: 'ship it' } },
  { name: 'approver number', payload: { approver: 42 } },
  { name: 'approver array', payload: { approver: ['alice'] } },
  { name: 'approver object', payload: { approver: { login: 'alice' } } },
  { name: 'approver null', payload: { approver: null } },
  { name: 'approver with newline', payload: { approver: 'alice\nbob' } },
  { name: 'comment of 100000 characters', payload: { approver: 'alice', comment: LONG } },
  { name: 'comment number', payload: { approver: 'alice', comment: 7 } },
  { name: 'unknown key', payload: { approver: 'alice', admin: true } },
  { name: 'string payload', payload: 'alice' },
  { name: 'array payload', payload: [{ approver: 'alice' }] },
  { name: 'null payload', payload: null },
  { name: 'number payload', payload: 1 },
];

describe('hostile deploy end to end', () => {
  test('bad approvals ignored, deploy stays clean', { timeout: 120_000 }, async () => {
    const mainBefore = (await execa('git', ['--git-dir', sandbox.originPath, 'rev-parse', 'main'])).stdout;
    const { workflowId } = await startDeploy(client, sandbox.config, draft({}));
    await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
    const started = await waitFor(async () => ((await workflowCount()) > 0 ? workflowCount() : undefined), 'visibility');
    assert.equal(started, 1, 'only the valid start may create a workflow');

    const handle = client.workflow.getHandle(workflowId);
    for (const { payload } of SIGNAL_CASES) await handle.signal('approve', payload);
    const view = await queryStatus(client, workflowId);
    assert.equal(view.phase, 'awaiting-approval');
    assert.equal(view.approval.approver, null);
    assert.equal(view.approval.ignored.length, SIGNAL_CASES.length);
    for (const [index, entry] of view.approval.ignored.entries()) {
      assert.match(entry.reason, /^invalid approve payload: /, SIGNAL_CASES[index]!.name);
    }

    await handle.signal(approveSignal, { approver: 'alice' });
    const result = await awaitResult(client, workflowId);
    assert.equal(result.stagingStatus, 'SUCCESS');
    assert.equal(result.deployStatus, 'SUCCESS');
    assert.equal(existsSync(pwned), false);
    const staging = await readMain(sandbox.originPath, `docs/work-items/${WORK_ITEM}/15-staging-log.md`);
    const gate = checkVerdict('staging', staging ?? '');
    assert.equal(gate.ok && gate.status, 'SUCCESS');
    assert.match(String(gate.ok && gate.fields.infra_waived), /\$\(touch .*\) ; rm -rf \/ # "quoted" 'single' --- : \{a: b\}/);
    assert.deepEqual(await changedOnMain(mainBefore), await allowedChanges(mainBefore));
  });
});

async function workflowCount(): Promise<number> {
  const { count } = await client.workflow.count(`TaskQueue = '${sandbox.config.temporal.taskQueue}'`);
  return count;
}

async function changedOnMain(since: string): Promise<string[]> {
  const diff = await execa('git', ['--git-dir', sandbox.originPath, 'diff', '--name-only', since, 'main']);
  return diff.stdout.split('\n').filter(Boolean).sort();
}

/** Lists the two verdict files plus the files that the feature branch itself changes. */
async function allowedChanges(since: string): Promise<string[]> {
  const branch = sandbox.branchOf(WORK_ITEM);
  const diff = await execa('git', ['--git-dir', sandbox.originPath, 'diff', '--name-only', `${since}...${branch}`]);
  const verdicts = ['14-deploy-log.md', '15-staging-log.md'].map((file) => `docs/work-items/${WORK_ITEM}/${file}`);
  return [...diff.stdout.split('\n').filter(Boolean), ...verdicts].sort();
}

describe('config file rejected', () => {
  for (const { name, edit, key } of CONFIG_CASES) {
    test(`loadConfig rejects ${name}`, async () => {
      const dir = path.join(sandbox.dir, 'configs', name.replaceAll(' ', '-'));
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, 'deployer.config.json');
      await writeFile(file, edit(await readFile(sandbox.configPath, 'utf8')));

      assert.throws(() => loadConfig(file), (error: Error) => {
        assert.equal(error.name, 'ValidationError');
        assert.ok(error.message.includes(key), `expected ${key} in: ${error.message}`);
        return true;
      });
    });
  }
});

describe('staging output', () => {
  for (const row of STAGING_OUTPUT_CASES) {
    test(`staging check ${row.name}`, { timeout: 60_000 }, async () => {
      const result = await runStagingScript({ config: sandbox.config, dir: sandbox.dir, name: row.name, script: row.script });

      assert.equal(result.exitCode, row.exitCode);
      assert.equal(renderedStagingStatus(result), row.exitCode === 0 ? 'SUCCESS' : 'FAILED');
      assert.ok(result.durationMs < row.deadlineMs, `took ${result.durationMs} ms, deadline ${row.deadlineMs} ms`);
      assert.ok(result.outputBytes >= row.outputBytes, `read ${result.outputBytes} bytes, expected ${row.outputBytes}`);
      if (row.waivers) assert.deepEqual(result.waivers, row.waivers);
      if (row.verdictLines) assert.deepEqual(result.verdictLines, row.verdictLines);
    });
  }
});

describe('verdict file gate', () => {
  for (const row of VERDICT_CASES) {
    test(`gate ${row.name} gives ${row.expected}`, async () => {
      const dir = path.join(sandbox.dir, 'verdicts', row.name.replaceAll(' ', '-'));
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, '15-staging-log.md');
      await writeFile(file, row.text);
      const gate = checkVerdict('staging', row.text);
      const cli = await execa(CLI, ['gate', file, '--json'], { reject: false, timeout: 60_000 });

      assert.equal(gate.status, row.expected);
      assert.equal(cli.exitCode, row.expected === 'SUCCESS' ? 0 : 1, cli.stderr);
      assert.equal((JSON.parse(cli.stdout) as { status: string }).status, row.expected);
      assert.deepEqual(await readdir(dir), ['15-staging-log.md']);
      assert.equal(existsSync(pwned), false);
    });
  }
});
