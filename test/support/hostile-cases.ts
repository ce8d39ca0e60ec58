/** Tables of hostile config files, staging output and verdict files, with the outcome each row expects. */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createStagingActivities } from '../../activities/staging.js';
import type { StagingCheckResult } from '../../activities/types.js';
import type { Config } from '../../shared/config.js';
import { checkVerdict } from '../../verdict/gate.js';
import { renderVerdict } from '../../verdict/render.js';
import { stagingBody, stagingFields } from '../../workflows/verdicts.js';
import { PROJECT_ID } from './sandbox.js';

type RawConfig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Returns an edit of the config text that changes the parsed JSON with `change`. */
function editJson(change: (config: RawConfig) => void): (text: string) => string {
  return (text) => {
    const config = JSON.parse(text) as RawConfig;
    change(config);
    return JSON.stringify(config);
  };
}

/** Config files that loadConfig must reject, each with the key (or fact) its error must name. */
export const CONFIG_CASES: Array<{ name: string; edit: (text: string) => string; key: string }> = [
  { name: 'truncated JSON', edit: (text) => text.slice(0, 40), key: 'JSON' },
  { name: 'empty file', edit: () => '', key: 'JSON' },
  { name: 'array instead of object', edit: () => '[]', key: 'expected object' },
  { name: 'unknown top-level key', edit: editJson((c) => (c.extra = true)), key: 'extra' },
  { name: 'unknown project key', edit: editJson((c) => (c.projects[PROJECT_ID].shell = 'sh')), key: 'shell' },
  { name: 'forge URL without scheme', edit: editJson((c) => (c.forge.baseUrl = 'gitea.local')), key: 'forge.baseUrl' },
  { name: 'forge file URL', edit: editJson((c) => (c.forge.baseUrl = 'file:///etc/passwd')), key: 'forge.baseUrl' },
  { name: 'javascript UI URL', edit: editJson((c) => (c.temporal.uiUrl = 'javascript:alert(1)')), key: 'temporal.uiUrl' },
  {
    name: 'deploy host not defined',
    edit: editJson((c) => (c.projects[PROJECT_ID].deploy.host = 'elsewhere')),
    key: `projects.${PROJECT_ID}.deploy.host`,
  },
  { name: 'host without stateDir', edit: editJson((c) => delete c.hosts.production.stateDir), key: 'hosts.production.stateDir' },
  { name: 'empty stateDir', edit: editJson((c) => (c.stateDir = '')), key: 'stateDir' },
  { name: 'numeric stateDir', edit: editJson((c) => (c.stateDir = 7)), key: 'stateDir' },
  { name: 'empty task queue', edit: editJson((c) => (c.temporal.taskQueue = '')), key: 'temporal.taskQueue' },
  { name: 'empty hook argv', edit: editJson((c) => (c.projects[PROJECT_ID].deploy.hook = [])), key: `projects.${PROJECT_ID}.deploy.hook` },
  {
    name: 'hook as shell string',
    edit: editJson((c) => (c.projects[PROJECT_ID].deploy.hook = 'deploy.sh; reboot')),
    key: `projects.${PROJECT_ID}.deploy.hook`,
  },
  {
    name: 'hook env key with dash',
    edit: editJson((c) => (c.projects[PROJECT_ID].deploy.env = { 'BAD-KEY': '1' })),
    key: `projects.${PROJECT_ID}.deploy.env`,
  },
  { name: 'project id with dots', edit: editJson((c) => (c.projects['../evil'] = c.projects[PROJECT_ID])), key: 'projects' },
  {
    name: 'negative poll interval',
    edit: editJson((c) => (c.projects[PROJECT_ID].deploy.pollIntervalSeconds = -1)),
    key: `projects.${PROJECT_ID}.deploy.pollIntervalSeconds`,
  },
  {
    name: 'approver with semicolon',
    edit: editJson((c) => (c.projects[PROJECT_ID].approvers = ['alice;reboot'])),
    key: `projects.${PROJECT_ID}.approvers.0`,
  },
];

/** Staging check scripts with hostile output; the verdict must follow the exit code alone. */
export const STAGING_OUTPUT_CASES: Array<{
  name: string;
  script: string;
  exitCode: number;
  deadlineMs: number;
  /** Minimum bytes of output the check must have read. */
  outputBytes: number;
  waivers?: string[];
  verdictLines?: string[];
}> = [
  {
    name: 'one 10 MB line',
    script: `head -c 10000000 /dev/zero | tr '\\0' x; printf '\\nVERDICT: PASS\\n'; exit 1`,
    exitCode: 1,
    deadlineMs: 30_000,
    outputBytes: 10_000_000,
    verdictLines: ['VERDICT: PASS'],
  },
  {
    name: 'NUL bytes',
    script: `printf 'VERDICT: PA\\0SS\\0\\nINFRA-WAIVED: a\\0b\\n'; exit 0`,
    exitCode: 0,
    deadlineMs: 15_000,
    outputBytes: 10,
    waivers: ['INFRA-WAIVED: ab'],
    verdictLines: ['VERDICT: PASS'],
  },
  {
    name: 'invalid UTF-8',
    script: `printf 'INFRA-WAIVED: caf\\xe9 \\xff\\xfe\\nVERDICT: \\xc3\\n'; exit 2`,
    exitCode: 2,
    deadlineMs: 15_000,
    outputBytes: 10,
    waivers: ['INFRA-WAIVED: caf\uFFFD \uFFFD\uFFFD'],
    verdictLines: ['VERDICT: \uFFFD'],
  },
  {
    name: 'CRLF endings',
    script: `printf 'INFRA-WAIVED: C9a sandbox\\r\\nVERDICT: PASS\\r\\n'; exit 0`,
    exitCode: 0,
    deadlineMs: 15_000,
    outputBytes: 10,
    waivers: ['INFRA-WAIVED: C9a sandbox'],
    verdictLines: ['VERDICT: PASS'],
  },
  {
    name: 'PASS and FAIL, exit 3',
    script: `printf 'VERDICT: PASS\\nVERDICT: FAIL\\n'; exit 3`,
    exitCode: 3,
    deadlineMs: 15_000,
    outputBytes: 10,
    verdictLines: ['VERDICT: PASS', 'VERDICT: FAIL'],
  },
  {
    name: 'FAIL lines, exit 0',
    script: `printf 'VERDICT: FAIL\\nVERDICT: FAIL (2 real checks)\\n'; exit 0`,
    exitCode: 0,
    deadlineMs: 15_000,
    outputBytes: 10,
    verdictLines: ['VERDICT: FAIL', 'VERDICT: FAIL (2 real checks)'],
  },
  {
    name: 'killed by a signal',
    script: `printf 'VERDICT: PASS\\n'; kill -KILL $$`,
    exitCode: 1,
    deadlineMs: 15_000,
    outputBytes: 10,
  },
  {
    // The check exits at once and its child sleeps 30 s. Finishing within 15 s shows that the activity
    // cut the pipes after its 2 s grace period instead of waiting for the child.
    name: 'background child keeps stdout',
    script: `sleep 30 & printf '%s' "$!" >"$BACKGROUND_PID_FILE"; printf 'VERDICT: PASS\\n'; exit 0`,
    exitCode: 0,
    deadlineMs: 15_000,
    outputBytes: 10,
    verdictLines: ['VERDICT: PASS'],
  },
];

/** Runs `script` as the project's staging check through the real activity, then stops any background child it left. */
export async function runStagingScript({
  config,
  dir,
  name,
  script,
}: {
  config: Config;
  dir: string;
  name: string;
  script: string;
}): Promise<StagingCheckResult> {
  const file = path.join(dir, `staging-${name.replaceAll(' ', '-')}.sh`);
  const pidFile = `${file}.background-pid`;
  await writeFile(file, script);
  const project = config.projects[PROJECT_ID]!;
  const staging = { ...project.staging, command: ['env', `BACKGROUND_PID_FILE=${pidFile}`, 'bash', file] };
  const stagingConfig = { ...config, projects: { [PROJECT_ID]: { ...project, staging } } };
  const environment = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') });
  const { runStagingCheck } = createStagingActivities({ config: stagingConfig });
  try {
    return await environment.run(runStagingCheck, { projectId: PROJECT_ID, workItemId: 'ORCH-1', strict: false });
  } finally {
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
    if (pid > 0) process.kill(pid, 'SIGKILL');
    await rm(pidFile, { force: true });
  }
}

/**
 * Renders the staging verdict file the way the workflow does (status from the exit code, output lines
 * copied into the frontmatter and body) and returns what the gate reads back from it.
 */
export function renderedStagingStatus(check: StagingCheckResult): string {
  const status = check.exitCode === 0 ? 'SUCCESS' : 'FAILED';
  const fields = stagingFields({ status, timestamp: '2026-12-04T15:18:40.000Z', baseUrl: 'http://localhost:8501', check, workflowId: 'w' });
  return checkVerdict('staging', renderVerdict('staging', fields, stagingBody(status, check))).status;
}

const FRONTMATTER = ['staging_status: SUCCESS', "timestamp: '2026-12-04T15:18:40.000Z'", 'base_url: http://localhost:8501'];

/** Builds a staging verdict file from frontmatter lines and a body. */
function verdictFile(lines: string[], body = '\n# Staging Gate Log\n'): string {
  return ['---', ...lines, '---', body].join('\n');
}

function replaceLine(index: number, line: string): string[] {
  return FRONTMATTER.map((current, position) => (position === index ? line : current));
}

/** Verdict files on disk and the status the gate must return for each: SUCCESS, FAILED or INVALID (fails closed). */
export const VERDICT_CASES: Array<{ name: string; text: string; expected: 'SUCCESS' | 'FAILED' | 'INVALID' }> = [
  { name: 'complete file', text: verdictFile(FRONTMATTER), expected: 'SUCCESS' },
  { name: 'FAILED status', text: verdictFile(replaceLine(0, 'staging_status: FAILED')), expected: 'FAILED' },
  { name: 'torn without closing', text: `---\n${FRONTMATTER.join('\n')}\n`, expected: 'INVALID' },
  { name: 'torn mid-value', text: '---\nstaging_status: SUCC', expected: 'INVALID' },
  { name: 'empty file', text: '', expected: 'INVALID' },
  // Editors on Windows write a byte order mark; it is encoding, not content, so the gate strips it.
  { name: 'byte order mark', text: `\uFEFF${verdictFile(FRONTMATTER)}`, expected: 'SUCCESS' },
  // A checkout with core.autocrlf turns LF into CRLF; the fields are the same, so the gate accepts it.
  { name: 'CRLF endings', text: verdictFile(FRONTMATTER).replaceAll('\n', '\r\n'), expected: 'SUCCESS' },
  { name: 'lowercase status', text: verdictFile(replaceLine(0, 'staging_status: success')), expected: 'INVALID' },
  { name: 'capitalized key', text: verdictFile(replaceLine(0, 'Staging_Status: SUCCESS')), expected: 'INVALID' },
  { name: 'status with space', text: verdictFile(replaceLine(0, "staging_status: 'SUCCESS '")), expected: 'INVALID' },
  { name: 'status PARTIAL', text: verdictFile(replaceLine(0, 'staging_status: PARTIAL')), expected: 'INVALID' },
  { name: 'status list', text: verdictFile(replaceLine(0, 'staging_status: [SUCCESS]')), expected: 'INVALID' },
  {
    name: 'duplicated status key',
    text: verdictFile(['staging_status: FAILED', ...FRONTMATTER]),
    expected: 'INVALID',
  },
  // YAML reads an unquoted timestamp as a date and time; a valid one is accepted.
  { name: 'unquoted timestamp', text: verdictFile(replaceLine(1, 'timestamp: 2026-12-04T15:18:40Z')), expected: 'SUCCESS' },
  { name: 'unquoted February 30', text: verdictFile(replaceLine(1, 'timestamp: 2026-02-30T10:00:00Z')), expected: 'INVALID' },
  { name: 'quoted February 30', text: verdictFile(replaceLine(1, "timestamp: '2026-02-30T10:00:00Z'")), expected: 'INVALID' },
  { name: 'unquoted hour 25', text: verdictFile(replaceLine(1, 'timestamp: 2026-12-04T25:00:00Z')), expected: 'INVALID' },
  { name: 'date without time', text: verdictFile(replaceLine(1, 'timestamp: 2026-12-04')), expected: 'INVALID' },
  { name: 'timestamp words', text: verdictFile(replaceLine(1, 'timestamp: yesterday')), expected: 'INVALID' },
  { name: 'missing base_url', text: verdictFile(FRONTMATTER.slice(0, 2)), expected: 'INVALID' },
  {
    name: 'js function tag',
    text: verdictFile(replaceLine(0, "staging_status: !!js/function 'function () { return \"SUCCESS\" }'")),
    expected: 'INVALID',
  },
  {
    name: 'alias expansion bomb',
    text: verdictFile([
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
      'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
      'g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]',
      'staging_status: *g',
      ...FRONTMATTER.slice(1),
    ]),
    expected: 'INVALID',
  },
  {
    name: 'alias bomb in extra key',
    text: verdictFile([
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      ...FRONTMATTER,
    ]),
    expected: 'INVALID',
  },
  {
    name: 'SUCCESS only in body',
    text: verdictFile(replaceLine(0, 'staging_status: FAILED'), '\nstaging_status: SUCCESS\n'),
    expected: 'FAILED',
  },
];
