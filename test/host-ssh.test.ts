/** The host activities over a real OpenSSH server on 127.0.0.1, with the repository's launcher as the remote side. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { kill, poll } from '../activities/host-launcher.js';
import type { HostTarget } from '../activities/host-transport.js';
import { branchSchema } from '../shared/ids.js';
import { assertOneHookPerDeployId, COUNTING_HOOK } from './support/host-checks.js';
import { createHostFixture, uniqueDeployId, type HostFixture } from './support/host-fixture.js';
import { sessionMembers } from './support/processes.js';
import { startSshd, type Sshd } from './support/sshd.js';

let sshd: Sshd;

before(async () => {
  sshd = await startSshd();
});

after(async () => {
  await sshd.close();
});

/** Creates a host fixture over ssh, runs `body` and always cleans up. */
async function withSshFixture(
  options: { hook: string[]; env?: Record<string, string>; hookTimeoutSeconds?: number },
  body: (fixture: HostFixture) => Promise<void>,
): Promise<void> {
  const fixture = await createHostFixture({ ...options, sshd });
  try {
    await body(fixture);
  } finally {
    await fixture.cleanup();
  }
}

const hostileValues = [
  '$(touch PWNED)',
  '`touch PWNED`',
  '; touch PWNED;',
  '&& touch PWNED',
  '| touch PWNED',
  '>PWNED',
  `it's "quoted" \\' '\\''`,
  '  two  spaces  ',
  'line one\nline two\n\n',
  '*',
  '~',
  '${HOME}',
  '--',
  '-n',
  '\t\r',
  'ünïcødé ✓',
];
/** The values that a shell would interpret. `--` and `-n` are left out because tags and branch names may contain them. */
/** Characters that a POSIX shell would interpret outside quotes. */
const SHELL_METACHARACTERS = /[\s;&|`$<>(){}[\]*?!~#'"\\]/;
const shellValues = hostileValues.filter((value) => SHELL_METACHARACTERS.test(value));

test('hostile env and args byte-exact over ssh', async () => {
  const script = [
    'out=$1; shift',
    'for name in $NAMES; do printf "env %s=%s\\0" "$name" "${!name}"; done >"$out"',
    'for arg in "$@"; do printf "arg %s\\0" "$arg"; done >>"$out"',
  ].join('\n');
  await withSshFixture({ hook: ['bash', '-c', script, 'hook', 'OUT_FILE'] }, async (fixture) => {
    const outFile = path.join(fixture.dir, 'hook.out');
    const poisoned = hostileValues.map((value) => value.replaceAll('PWNED', path.join(fixture.dir, 'pwned')));
    const env = Object.fromEntries(poisoned.map((value, index) => [`HOSTILE_${index}`, value]));
    const deploy = fixture.config.projects.orchestrator!.deploy;
    deploy.hook = ['bash', '-c', script, 'hook', outFile, ...poisoned.filter((value) => value !== '')];
    deploy.env = { ...env, EMPTY: '', NAMES: [...Object.keys(env), 'EMPTY', 'SOURCE_IMAGE'].join(' ') };
    const request = fixture.request(uniqueDeployId('hostile'));

    const outcome = await fixture.run(fixture.activities.runHook, request);
    const entries = (await readFile(outFile, 'utf8')).split('\0').filter((entry) => entry !== '');
    const received = new Map(
      entries.filter((entry) => entry.startsWith('env ')).map((entry) => {
        const [name, ...rest] = entry.slice(4).split('=');
        return [name, rest.join('=')];
      }),
    );
    const args = entries.filter((entry) => entry.startsWith('arg ')).map((entry) => entry.slice(4));

    assert.equal(outcome.exitCode, 0, outcome.logTail.join('\n'));
    for (const [name, value] of Object.entries(env)) assert.equal(received.get(name), value, name);
    assert.equal(received.get('EMPTY'), '');
    assert.equal(received.get('SOURCE_IMAGE'), request.imageReference);
    assert.deepEqual(args, poisoned);
    assert.equal(existsSync(path.join(fixture.dir, 'pwned')), false);
  });
});

test('hostile request fields rejected before ssh', async () => {
  await withSshFixture({ hook: ['true'] }, async (fixture) => {
    const pwned = path.join(fixture.dir, 'pwned');
    const fields = ['imageReference', 'workItemId', 'approver', 'projectId', 'deployId'] as const;
    for (const field of fields) {
      for (const hostile of shellValues) {
        const value = `orchestrator:1.0${hostile.replaceAll('PWNED', pwned)}`;
        const request = { ...fixture.request(uniqueDeployId('rejected')), [field]: value };

        await assert.rejects(
          fixture.run(fixture.activities.launchHook, request),
          { type: 'InvalidInput', nonRetryable: true },
          `${field} ${JSON.stringify(value)}`,
        );
      }
    }
    assert.equal(existsSync(pwned), false);
    assert.deepEqual(existsSync(fixture.stateDir) ? readdirSync(fixture.stateDir) : [], []);
  });
});

test('branch schema rejects hostile names', () => {
  for (const hostile of shellValues) {
    const branch = `feature/ORCH-65${hostile}`;

    assert.equal(branchSchema.safeParse(branch).success, false, JSON.stringify(branch));
  }
});

test('launch over ssh returns while hook runs', async () => {
  await withSshFixture({ hook: ['sleep', '60'] }, async (fixture) => {
    const started = Date.now();
    const record = await fixture.run(fixture.activities.launchHook, fixture.request(uniqueDeployId('fast')));
    const elapsedMs = Date.now() - started;

    assert.ok(elapsedMs < 5000, `launch took ${elapsedMs} ms, expected under 5000 ms`);
    assert.equal(record.launchedNow, true);
    assert.equal(record.host, 'ssh');
    assert.equal((await poll(fixture.target, record.deployId)).state, 'RUNNING');
    assert.equal(await kill(fixture.target, record.deployId), true);
    assert.equal((await poll(fixture.target, record.deployId)).state, 'DONE');
  });
});

test('runHook over ssh reports exit codes', async () => {
  for (const exitCode of [0, 1, 2, 255]) {
    await withSshFixture({ hook: ['bash', '-c', `exit ${exitCode}`] }, async (fixture) => {
      const outcome = await fixture.run(fixture.activities.runHook, fixture.request(uniqueDeployId('code')));

      assert.equal(outcome.result, 'exited', `exit ${exitCode}: ${outcome.detail}`);
      assert.equal(outcome.exitCode, exitCode);
    });
  }
});

test('wrapper killed by SIGKILL is vanished', async () => {
  await withSshFixture({ hook: ['sleep', '60'] }, async (fixture) => {
    const request = fixture.request(uniqueDeployId('sigkill'));
    const launch = await fixture.run(fixture.activities.launchHook, request);
    process.kill(-launch.pid, 'SIGKILL');
    const outcome = await fixture.run(fixture.activities.awaitHookExit, { ...request, launch });

    assert.equal(outcome.result, 'vanished');
    assert.equal(outcome.exitCode, null);
  });
});

test('hook past its timeout exits 124', async () => {
  await withSshFixture({ hook: ['sleep', '30'], hookTimeoutSeconds: 1 }, async (fixture) => {
    const outcome = await fixture.run(fixture.activities.runHook, fixture.request(uniqueDeployId('timeout')));

    assert.equal(outcome.result, 'exited');
    assert.equal(outcome.exitCode, 124);
  });
});

test('poll past deadline reports timed-out', async () => {
  await withSshFixture({ hook: ['sleep', '60'], hookTimeoutSeconds: 1 }, async (fixture) => {
    const request = fixture.request(uniqueDeployId('deadline'));
    const launch = await fixture.run(fixture.activities.launchHook, request);
    const longAgo = { ...launch, launchedAt: '2000-01-01T00:00:00.000Z' };
    const outcome = await fixture.run(fixture.activities.awaitHookExit, { ...request, launch: longAgo });

    assert.equal(outcome.result, 'timed-out');
    assert.equal(outcome.exitCode, null);
  });
});

test('poll survives sshd restart', async () => {
  const release = 'while [ ! -e "$1" ]; do sleep 0.1; done';
  await withSshFixture({ hook: ['bash', '-c', release, 'hook', 'RELEASE_FILE'] }, async (fixture) => {
    const releaseFile = path.join(fixture.dir, 'release');
    fixture.config.projects.orchestrator!.deploy.hook[4] = releaseFile;
    const request = fixture.request(uniqueDeployId('restart'));
    const launch = await fixture.run(fixture.activities.launchHook, request);
    const states: string[] = [];
    fixture.environment.on('heartbeat', (details: { state: string }) => states.push(details.state));

    const waiting = fixture.run(fixture.activities.awaitHookExit, { ...request, launch });
    await until(() => states.includes('RUNNING'), 'a RUNNING poll');
    await sshd.stop();
    try {
      await until(() => states.filter((state) => state === 'UNKNOWN').length >= 2, 'two UNKNOWN polls');
      await writeFile(releaseFile, '');
    } finally {
      await sshd.start();
    }
    const outcome = await waiting;

    assert.equal(outcome.result, 'exited');
    assert.equal(outcome.exitCode, 0);
    const warnings = fixture.logs.filter((entry) => entry.message === 'deploy hook poll failed, polling again');
    assert.ok(warnings.length >= 2, `expected two poll warnings, got ${warnings.length}`);
    assert.match(String(warnings[0]?.meta?.error), /Connection refused/);
  });
});

test('same deploy id twice over ssh', async () => {
  await withSshFixture({ hook: COUNTING_HOOK }, assertOneHookPerDeployId);
});

test('runHook cancelled over ssh kills session', async () => {
  await withSshFixture({ hook: ['bash', '-c', 'sleep 60 & sleep 60; wait'] }, async (fixture) => {
    const request = fixture.request(uniqueDeployId('cancel'));
    const running = fixture.run(fixture.activities.runHook, request);
    await waitForState(fixture.target, request.deployId, 'RUNNING');
    const pid = Number((await readFile(path.join(fixture.stateDir, request.deployId, 'pid'), 'utf8')).split(' ')[0]);
    assert.ok(sessionMembers(pid).length >= 3, `expected the wrapper and two sleeps in session ${pid}`);
    fixture.environment.cancel();

    await assert.rejects(running, (error) => error instanceof CancelledFailure);
    assert.equal((await poll(fixture.target, request.deployId)).state, 'DONE');
    assert.deepEqual(sessionMembers(pid), []);
  });
});

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForState(target: HostTarget, deployId: string, state: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await poll(target, deployId)).state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`deploy ${deployId} did not reach ${state} within 10 s`);
}
