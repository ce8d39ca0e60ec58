import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { poll } from '../activities/host-launcher.js';
import { hostTarget } from '../activities/host-transport.js';
import { assertOneHookPerDeployId, COUNTING_HOOK } from './support/host-checks.js';
import { createHostFixture, uniqueDeployId } from './support/host-fixture.js';

const sleepHook = ['sleep', '60'];

test('launchHook returns while hook runs', async () => {
  const fixture = await createHostFixture({ hook: sleepHook });
  try {
    const started = Date.now();
    const record = await fixture.run(fixture.activities.launchHook, fixture.request(uniqueDeployId('fast')));
    const elapsedMs = Date.now() - started;

    assert.ok(elapsedMs < 5000, `launch took ${elapsedMs} ms, expected under 5000 ms`);
    assert.equal(record.launchedNow, true);
    assert.equal(record.host, 'local');
    assert.ok(record.pid > 0, `expected a pid, got ${record.pid}`);
    const state = await poll(hostTarget('local', fixture.config.hosts.local!), record.deployId);
    assert.equal(state.state, 'RUNNING');
  } finally {
    await fixture.cleanup();
  }
});

test('launchHook twice starts one hook', async () => {
  const fixture = await createHostFixture({ hook: COUNTING_HOOK });
  try {
    await assertOneHookPerDeployId(fixture);
  } finally {
    await fixture.cleanup();
  }
});

test('launchHook lock serializes deploys', async () => {
  const fixture = await createHostFixture({
    hook: ['bash', '-c', 'echo "start $DEPLOY_ID" >>"$1"; sleep 0.5; echo "end $DEPLOY_ID" >>"$1"', 'hook', 'TRACE'],
  });
  try {
    const traceFile = path.join(fixture.dir, 'trace');
    fixture.config.projects.orchestrator!.deploy.hook[4] = traceFile;
    const requests = [fixture.request(uniqueDeployId('lock')), fixture.request(uniqueDeployId('lock'))];
    const launches = await Promise.all(requests.map((request) => fixture.run(fixture.activities.launchHook, request)));
    await Promise.all(
      requests.map((request, index) =>
        fixture.run(fixture.activities.awaitHookExit, { ...request, launch: launches[index]! }),
      ),
    );
    const events = (await readFile(traceFile, 'utf8')).trim().split('\n');

    assert.equal(events.length, 4);
    assert.equal(events[1], events[0]!.replace('start', 'end'));
    assert.equal(events[3], events[2]!.replace('start', 'end'));
  } finally {
    await fixture.cleanup();
  }
});

test('runHook reports exit codes exactly', async () => {
  for (const exitCode of [0, 1, 2, 255]) {
    const fixture = await createHostFixture({ hook: ['bash', '-c', `exit ${exitCode}`] });
    try {
      const outcome = await fixture.run(fixture.activities.runHook, fixture.request(uniqueDeployId('code')));

      assert.equal(outcome.result, 'exited', `exit ${exitCode}`);
      assert.equal(outcome.exitCode, exitCode);
    } finally {
      await fixture.cleanup();
    }
  }
});

test('awaitHookExit after killed processes', async () => {
  const cases = [
    { name: 'wrapper killed', victim: (wrapperPid: number) => -wrapperPid, result: 'vanished', exitCode: null },
    { name: 'hook killed', victim: innermostDescendant, result: 'exited', exitCode: 137 },
  ];
  for (const { name, victim, result, exitCode } of cases) {
    const fixture = await createHostFixture({ hook: sleepHook });
    try {
      const request = fixture.request(uniqueDeployId('killed'));
      const launch = await fixture.run(fixture.activities.launchHook, request);
      await waitForHookProcess(launch.pid);
      process.kill(victim(launch.pid), 'SIGKILL');
      const outcome = await fixture.run(fixture.activities.awaitHookExit, { ...request, launch });

      assert.equal(outcome.result, result, name);
      assert.equal(outcome.exitCode, exitCode, name);
    } finally {
      await fixture.cleanup();
    }
  }
});

test('runHook past hook timeout exits 124', async () => {
  const fixture = await createHostFixture({ hook: ['sleep', '30'], hookTimeoutSeconds: 1 });
  try {
    const outcome = await fixture.run(fixture.activities.runHook, fixture.request(uniqueDeployId('timeout')));

    assert.equal(outcome.result, 'exited');
    assert.equal(outcome.exitCode, 124);
  } finally {
    await fixture.cleanup();
  }
});

test('runHook cancelled kills hook', async () => {
  const fixture = await createHostFixture({ hook: sleepHook });
  try {
    const request = fixture.request(uniqueDeployId('cancel'));
    const running = fixture.run(fixture.activities.runHook, request);
    const target = hostTarget('local', fixture.config.hosts.local!);
    await waitForState(target, request.deployId, 'RUNNING');
    fixture.environment.cancel();

    await assert.rejects(running, (error) => error instanceof CancelledFailure);
    const state = await poll(target, request.deployId);
    assert.equal(state.state, 'DONE');
  } finally {
    await fixture.cleanup();
  }
});

test('hostile env values reach hook byte-exact', async () => {
  const hostile = {
    SUBSTITUTION: '$(touch PWNED)',
    BACKTICKS: '`touch PWNED`',
    SEMICOLON: '; touch PWNED;',
    QUOTES: `it's "quoted" \\'`,
    SPACES: '  two  spaces  ',
    NEWLINES: 'line one\nline two\n\n',
    GLOB: '*',
  };
  const names = [...Object.keys(hostile), 'SOURCE_IMAGE', 'WORK_ITEM_ID', 'DEPLOY_ID', 'PROJECT_ID', 'APPROVER'];
  const script = 'out=$1; shift; for name in "$@"; do printf "%s=%s\\0" "$name" "${!name}"; done >"$out"';
  const fixture = await createHostFixture({ hook: ['bash', '-c', script, 'hook', 'OUT_FILE', ...names], env: {} });
  try {
    const outFile = path.join(fixture.dir, 'env.out');
    const poisoned = Object.fromEntries(
      Object.entries(hostile).map(([key, value]) => [key, value.replaceAll('PWNED', path.join(fixture.dir, 'pwned'))]),
    );
    const deploy = fixture.config.projects.orchestrator!.deploy;
    deploy.hook[4] = outFile;
    deploy.env = poisoned;
    const request = fixture.request(uniqueDeployId('hostile'));
    const outcome = await fixture.run(fixture.activities.runHook, request);
    const received = Object.fromEntries(
      (await readFile(outFile, 'utf8'))
        .split('\0')
        .filter((entry) => entry !== '')
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );

    assert.equal(outcome.exitCode, 0);
    for (const [key, value] of Object.entries(poisoned)) assert.equal(received[key], value, key);
    assert.equal(received.SOURCE_IMAGE, request.imageReference);
    assert.equal(received.WORK_ITEM_ID, request.workItemId);
    assert.equal(received.DEPLOY_ID, request.deployId);
    assert.equal(received.PROJECT_ID, request.projectId);
    assert.equal(received.APPROVER, request.approver);
    assert.equal(existsSync(path.join(fixture.dir, 'pwned')), false);
  } finally {
    await fixture.cleanup();
  }
});

test('launchHook rejects invalid deploy id', async () => {
  const fixture = await createHostFixture({ hook: sleepHook });
  try {
    const request = { ...fixture.request('unused'), deployId: '../escape' };

    await assert.rejects(fixture.run(fixture.activities.launchHook, request), {
      type: 'InvalidInput',
      nonRetryable: true,
    });
    assert.equal(existsSync(path.join(fixture.dir, 'escape')), false);
  } finally {
    await fixture.cleanup();
  }
});

/** Returns the deepest process under pid, following the first child: the hook below timeout and flock. */
function innermostDescendant(pid: number): number {
  let current = pid;
  for (;;) {
    const children = readChildren(current);
    if (children[0] === undefined) return current;
    current = children[0];
  }
}

function readChildren(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function readProcessName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function waitForHookProcess(wrapperPid: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const leaf = innermostDescendant(wrapperPid);
    if (leaf !== wrapperPid && readProcessName(leaf) === 'sleep') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no sleep process under the hook wrapper ${wrapperPid} within 5 s`);
}

async function waitForState(target: ReturnType<typeof hostTarget>, deployId: string, state: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if ((await poll(target, deployId)).state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`deploy ${deployId} did not reach ${state} within 5 s`);
}
