import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { remoteCommand, sshArgv } from '../activities/host-transport.js';

const hostile = [
  '$(touch pwned)',
  '`touch pwned`',
  '; touch pwned',
  '&& touch pwned',
  '| touch pwned',
  "'",
  "'\\''",
  '"',
  '\\',
  'two  spaces ',
  'line one\nline two\n',
  '*',
  '~',
  '!!',
  '-n',
  '',
  '${HOME}',
  '>pwned',
  'ünïcødé ✓',
  '\t\r',
];

test('remoteCommand round-trips through bash', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-quote-'));
  try {
    const command = remoteCommand(['printf', '%s\\0', ...hostile]);
    const { stdout } = await execa('bash', ['-c', command], { cwd: dir, timeout: 10_000, stripFinalNewline: false });
    const received = stdout.split('\0').slice(0, -1);

    for (const [index, value] of hostile.entries()) assert.equal(received[index], value, JSON.stringify(value));
    assert.equal(received.length, hostile.length);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sshArgv ends options before command', () => {
  const argv = sshArgv(
    {
      transport: 'ssh',
      host: '127.0.0.1',
      port: 2222,
      user: 'deploy',
      identityFile: '/keys/id_ed25519',
      knownHostsFile: '/keys/known_hosts',
      strictHostKeyChecking: true,
      connectTimeoutSeconds: 5,
      stateDir: '/var/lib/deployer',
      launcherPath: '/opt/deployer/launcher.sh',
    },
    ['bash', '/opt/deployer/launcher.sh', 'poll', '--deploy-id', "it's"],
  );

  assert.equal(argv[0], 'ssh');
  const command = `'bash' '/opt/deployer/launcher.sh' 'poll' '--deploy-id' 'it'\\''s'`;
  assert.deepEqual(argv.slice(-3), ['deploy@127.0.0.1', '--', command]);
  assert.ok(argv.includes('BatchMode=yes'));
  assert.ok(argv.includes('StrictHostKeyChecking=yes'));
  assert.ok(argv.includes('UserKnownHostsFile=/keys/known_hosts'));
  assert.ok(argv.includes('ConnectTimeout=5'));
});
