/** Option definitions and argument helpers shared by every `deployer` command. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultConfigPath, loadConfig, type Config } from '../../shared/config.js';

/** Every option that any command accepts; each command's help lists the ones it reads. */
export const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  project: { type: 'string' },
  'work-item': { type: 'string' },
  branch: { type: 'string' },
  image: { type: 'string' },
  'requested-by': { type: 'string' },
  pr: { type: 'string' },
  strict: { type: 'boolean', default: false },
  'approval-timeout-hours': { type: 'string' },
  redeploy: { type: 'boolean', default: false },
  approver: { type: 'string' },
  comment: { type: 'string' },
  reason: { type: 'string' },
  kind: { type: 'string' },
  'interval-seconds': { type: 'string' },
  'timeout-minutes': { type: 'string' },
  limit: { type: 'string' },
} satisfies ParseArgsConfig['options'];

/** Parsed option values of one command line. */
export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Raised for a command line that cannot run; the CLI prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Loads the config from --config, DEPLOYER_CONFIG or ./deployer.config.json. */
export function configOf(values: Values): Config {
  return loadConfig(values.config ?? defaultConfigPath());
}

/** Returns a string option, or throws a UsageError that names it when it is missing or empty. */
export function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing --${name}; see --help`);
  return value;
}

/** Parses a numeric option; `fallback` applies when the option is absent. */
export function numberOption(values: Values, name: keyof Values, fallback: number): number;
export function numberOption(values: Values, name: keyof Values): number | undefined;
export function numberOption(values: Values, name: keyof Values, fallback?: number): number | undefined {
  const value = values[name];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new UsageError(`--${name}: ${JSON.stringify(value)} is invalid: expected a positive number`);
  }
  return parsed;
}

/** Returns the workflow id named by --project and --work-item. */
export function workItemOf(values: Values): { projectId: string; workItemId: string } {
  return { projectId: required(values, 'project'), workItemId: required(values, 'work-item') };
}
