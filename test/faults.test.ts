/** The fault injection switch: off unless a test turns it on, and one SIGKILL per marker folder. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { faultSettings } from '../activities/faults.js';

const CHILD = fileURLToPath(new URL('./support/fault-point-child.ts', import.meta.url));
const ON = { DEPLOYER_FAULT_INJECTION: '1', DEPLOYER_KILL_AT: 'hook-launched', DEPLOYER_FAULT_MARKER_DIR: '/tmp/markers' };

let markerDir: string;

before(async () => {
  markerDir = await mkdtemp(path.join(os.tmpdir(), 'deployer-faults-'));
});

after(async () => {
  await rm(markerDir, { recursive: true, force: true });
});

const settingsCases: Array<{ name: string; env: NodeJS.ProcessEnv; on: boolean }> = [
  { name: 'all three set', env: ON, on: true },
  { name: 'switch unset', env: { ...ON, DEPLOYER_FAULT_INJECTION: undefined }, on: false },
  { name: 'switch not 1', env: { ...ON, DEPLOYER_FAULT_INJECTION: 'true' }, on: false },
  { name: 'production environment', env: { ...ON, NODE_ENV: 'production' }, on: false },
  { name: 'point missing', env: { ...ON, DEPLOYER_KILL_AT: undefined }, on: false },
  { name: 'point with slash', env: { ...ON, DEPLOYER_KILL_AT: '../hook' }, on: false },
  { name: 'relative marker folder', env: { ...ON, DEPLOYER_FAULT_MARKER_DIR: 'markers' }, on: false },
];

for (const { name, env, on } of settingsCases) {
  test(`fault settings: ${name}`, () => {
    assert.equal(faultSettings(env) !== null, on);
  });
}

function runChild(point: string, env: Record<string, string>) {
  return execa(process.execPath, ['--import', 'tsx', CHILD, point], {
    reject: false,
    timeout: 60_000,
    env: { DEPLOYER_FAULT_INJECTION: '1', DEPLOYER_KILL_AT: 'hook-launched', DEPLOYER_FAULT_MARKER_DIR: markerDir, ...env },
  });
}

test('fault point kills once per marker', async () => {
  const first = await runChild('hook-launched', {});
  assert.equal(first.signal, 'SIGKILL');
  assert.equal(first.stdout, '');
  assert.ok(existsSync(path.join(markerDir, 'hook-launched')), 'marker file missing after the kill');

  const second = await runChild('hook-launched', {});
  assert.equal(second.signal, undefined);
  assert.equal(second.stdout, 'survived');
});

const survivorCases: Array<{ name: string; point: string; env: Record<string, string> }> = [
  { name: 'other point', point: 'hook-polling', env: {} },
  { name: 'production environment', point: 'hook-exit-seen', env: { DEPLOYER_KILL_AT: 'hook-exit-seen', NODE_ENV: 'production' } },
];

for (const { name, point, env } of survivorCases) {
  test(`fault point inert: ${name}`, async () => {
    const child = await runChild(point, env);
    assert.equal(child.signal, undefined);
    assert.equal(child.stdout, 'survived');
    assert.equal(existsSync(path.join(markerDir, point)), false);
  });
}
