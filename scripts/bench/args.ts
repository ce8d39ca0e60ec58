/** Command-line options of `npm run bench`. */
import { parseArgs } from 'node:util';

export const PARTS = ['overhead', 'latency', 'history', 'parked', 'replay'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  deploys: number;
  batchSize: number;
  latencySamples: number;
  parked: number;
  parts: Part[];
  /** Write docs/benchmarks.json and the table in docs/benchmarks.md; false prints only. */
  write: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --deploys N          deploys (and as many bare workflows) in the overhead part (default 200)
  --batch N            workflows started at once in one overhead batch (default 10)
  --latency-samples N  approved self-deploys on the real path for the latency part (default 20)
  --parked N           deploys parked awaiting approval in the memory part (default 1000)
  --only LIST          comma-separated parts to run: ${PARTS.join(', ')} (default all)
  --no-write           print the figures without writing docs/benchmarks.json and docs/benchmarks.md`;

/** Parses the benchmark options; raises with the usage text on an invalid value. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      deploys: { type: 'string', default: '200' },
      batch: { type: 'string', default: '10' },
      'latency-samples': { type: 'string', default: '20' },
      parked: { type: 'string', default: '1000' },
      only: { type: 'string', default: PARTS.join(',') },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const parts = values.only.split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(',')} is invalid: expected parts from ${PARTS.join(', ')}\n${USAGE}`);
  return {
    deploys: positiveInteger('--deploys', values.deploys),
    batchSize: positiveInteger('--batch', values.batch),
    latencySamples: positiveInteger('--latency-samples', values['latency-samples']),
    parked: positiveInteger('--parked', values.parked),
    parts: parts as Part[],
    write: !values['no-write'],
  };
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} ${JSON.stringify(text)} is invalid: expected a positive integer\n${USAGE}`);
  return value;
}
