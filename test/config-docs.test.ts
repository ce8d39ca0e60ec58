/** The configuration reference in docs/configuration.md lists exactly the keys of the config schema. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import type { z } from 'zod';
import { configSchema } from '../shared/config.js';

/** Zod's internal definition, read only for the kinds of schema that the config uses. */
interface Definition {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}

const definitionOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Definition } })._zod.def;

/** Lists every key path of a schema; a record's key is `*`, and union members contribute all their keys. */
function keyPaths(schema: z.ZodType, prefix: string): string[] {
  const def = definitionOf(schema);
  if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable') return keyPaths(def.innerType!, prefix);
  if (def.type === 'record') return keyPaths(def.valueType!, `${prefix}.*`);
  if (def.type === 'union') return [...new Set(def.options!.flatMap((option) => keyPaths(option, prefix)))];
  if (def.type !== 'object') return [];
  return Object.entries(def.shape!).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...keyPaths(value, path)];
  });
}

async function documentedKeys(): Promise<string[]> {
  const text = await readFile(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  const rows = [...text.matchAll(/^\| `([A-Za-z<>.]+)` \|/gm)].map((match) => match[1]!);
  return rows.filter((key) => /^[a-z]/.test(key) && !/^[A-Z_]+$/.test(key)).map((key) => key.replace(/<[a-z]+>/g, '*'));
}

test('config reference matches schema', async () => {
  const schemaKeys = keyPaths(configSchema, '');
  const leaves = schemaKeys.filter((key) => !schemaKeys.some((other) => other.startsWith(`${key}.`)));
  const documented = await documentedKeys();

  assert.deepEqual(
    leaves.filter((key) => !documented.includes(key)),
    [],
    'keys of the schema missing from docs/configuration.md',
  );
  assert.deepEqual(
    documented.filter((key) => !schemaKeys.includes(key)),
    [],
    'keys in docs/configuration.md that the schema does not have',
  );
});
