#!/usr/bin/env node
// Stand-in production service for tests and the demo. It serves GET /health on 127.0.0.1.
//   node host/prod-service.mjs --port PORT --version-file FILE [--pid-file FILE]
// /health returns 200 {"status":"ok","image":...} with the image read from the version file on each
// request, or 503 when PROD_SERVICE_UNHEALTHY=1 or a file named `unhealthy` sits beside the version file.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'version-file': { type: 'string' },
    'pid-file': { type: 'string' },
  },
  strict: true,
});

const port = Number(values.port);
const versionFile = values['version-file'];
const pidFile = values['pid-file'];
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`prod-service: --port ${JSON.stringify(values.port)} is invalid: expected a TCP port from 1 to 65535`);
  process.exit(64);
}
if (!versionFile) {
  console.error('prod-service: missing --version-file: expected the file that contains the running image');
  process.exit(64);
}

/** Reads the running image from the version file. An unreadable file gives an empty image. */
function readImage() {
  try {
    return readFileSync(versionFile, 'utf8').trim();
  } catch {
    return '';
  }
}

function isUnhealthy() {
  return process.env.PROD_SERVICE_UNHEALTHY === '1' || existsSync(path.join(path.dirname(versionFile), 'unhealthy'));
}

const server = createServer((request, response) => {
  if (request.method !== 'GET' || request.url !== '/health') {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const healthy = !isUnhealthy();
  const body = JSON.stringify({ status: healthy ? 'ok' : 'unhealthy', image: readImage() });
  response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(body);
});

function readPidFile() {
  try {
    return Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return 0;
  }
}

function stop() {
  server.close();
  server.closeAllConnections();
  if (pidFile && readPidFile() === process.pid) rmSync(pidFile, { force: true });
  process.exit(0);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.listen(port, '127.0.0.1', () => {
  if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
  console.log(`prod-service: listening on http://127.0.0.1:${port}/health with image ${readImage() || '(none)'}`);
});
