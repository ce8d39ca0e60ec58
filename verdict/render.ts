import matter from 'gray-matter';
import { VERDICT_FILES, checkVerdict, type VerdictFileKind } from './gate.js';

/**
 * Renders a verdict file with gray-matter. js-yaml quotes the timestamp string, so YAML keeps it a
 * string. The result is checked by the same gate that readers use before it is returned.
 */
export function renderVerdict(kind: VerdictFileKind, fields: Record<string, unknown>, body: string): string {
  // gray-matter hands its options to js-yaml; an unlimited line width keeps each waiver on one line.
  const options = { lineWidth: -1 } as Parameters<typeof matter.stringify>[2];
  const text = matter.stringify(body.endsWith('\n') ? body : `${body}\n`, fields, options);
  const gate = checkVerdict(kind, text);
  if (!gate.ok) {
    throw new Error(`rendered ${VERDICT_FILES[kind].fileName} fails its own gate: ${gate.problems.join('; ')}`);
  }
  return text;
}
