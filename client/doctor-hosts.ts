/** Reachability checks of the deploy hosts for `deployer doctor`. */
import { access, constants } from 'node:fs/promises';
import { execa } from 'execa';
import { bundledLauncherPath, sshArgv } from '../activities/host-transport.js';
import type { Config, HostConfig } from '../shared/config.js';
import type { CheckResult } from './doctor.js';

/** Maximum ssh ConnectTimeout of the check in seconds; a larger value in the host config is lowered to it. */
const SSH_CONNECT_TIMEOUT_SECONDS = 5;
const SSH_RUN_TIMEOUT_MS = 15_000;
const SSH_ERROR_EXIT_CODE = 255;

/** Checks every configured host: ssh hosts with one BatchMode login, local hosts on this machine. */
export async function checkHosts(config: Config): Promise<CheckResult[]> {
  return Promise.all(Object.entries(config.hosts).map(([name, host]) => checkHost(name, host)));
}

async function checkHost(name: string, host: HostConfig): Promise<CheckResult> {
  if (host.transport === 'local') {
    const launcher = host.launcherPath ?? bundledLauncherPath;
    try {
      await access(launcher, constants.R_OK);
      return { name: `host ${name} (local)`, ok: true, detail: `launcher ${launcher} is readable` };
    } catch {
      return { name: `host ${name} (local)`, ok: false, detail: `launcher ${launcher} is missing`, fix: `check hosts.${name}.launcherPath` };
    }
  }
  return checkSshHost(name, host);
}

/** Logs in with BatchMode (no password prompt) and tests that the launcher is readable there. */
async function checkSshHost(name: string, host: Extract<HostConfig, { transport: 'ssh' }>): Promise<CheckResult> {
  const label = `host ${name} (ssh ${host.user}@${host.host}:${host.port})`;
  const connectTimeoutSeconds = Math.min(host.connectTimeoutSeconds, SSH_CONNECT_TIMEOUT_SECONDS);
  const [file, ...args] = sshArgv({ ...host, connectTimeoutSeconds }, ['test', '-r', host.launcherPath]);
  const result = await execa(file!, args, { reject: false, stdin: 'ignore', timeout: SSH_RUN_TIMEOUT_MS, encoding: 'utf8' });
  if (result.timedOut) {
    return { name: label, ok: false, detail: `ssh timed out after ${SSH_RUN_TIMEOUT_MS} ms`, fix: `check hosts.${name}.host and port, and the firewall` };
  }
  if (result.exitCode === 0) return { name: label, ok: true, detail: `logged in; launcher ${host.launcherPath} is readable` };
  if (result.exitCode === SSH_ERROR_EXIT_CODE || result.exitCode === undefined) {
    const message = result.stderr.trim().split('\n').at(-1) || result.shortMessage || 'no message';
    return { name: label, ok: false, detail: `ssh failed: ${message}`, fix: sshFix(name, host, message) };
  }
  return {
    name: label,
    ok: false,
    detail: `logged in, but launcher ${host.launcherPath} is not readable there`,
    fix: `install host/launcher.sh at ${host.launcherPath} on ${host.host}, or correct hosts.${name}.launcherPath`,
  };
}

function sshFix(name: string, host: Extract<HostConfig, { transport: 'ssh' }>, message: string): string {
  if (/host key verification failed|no .* host key is known/i.test(message)) {
    return `add the host key to ${host.knownHostsFile}, e.g. ssh-keyscan -p ${host.port} ${host.host} >> ${host.knownHostsFile}, after checking its fingerprint`;
  }
  if (/permission denied/i.test(message)) {
    return `add the public key of ${host.identityFile} to ~${host.user}/.ssh/authorized_keys on ${host.host}`;
  }
  return `check hosts.${name}.host, port and user, and that sshd runs there`;
}
