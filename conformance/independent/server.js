#!/usr/bin/env node
'use strict';
// An independent implementation of the notes contract, v1 (docs/contract.md), written
// from that text alone to check that the conformance kit holds a server to the contract
// and to nothing else. Zero dependencies, notes in memory. README.md says how it reads
// the contract where the text leaves room, and which other readings `--reading` switches on.
//
//   node server.js [--host 127.0.0.1] [--port 8080] [--reading NAME ...]
//   (or HOST, PORT, READINGS=a,b in the environment)
//
// Prints `listening on http://HOST:PORT` once it accepts connections (port 0: a free one).

const http = require('node:http');
const { makeClock } = require('./datetime.js');
const { NoteStore } = require('./store.js');
const { buildOpenapi } = require('./openapi.js');
const { DOCS_ASSETS } = require('./docs.js');
const { HttpProblem, sendProblem, writeRawProblem } = require('./problems.js');
const { handle, resolve, splitTarget } = require('./routes.js');
const { readingsFrom } = require('./readings.js');

// Methods Node's parser refuses (`FOO /notes`) and CONNECT never reach the handler: they
// get the 405 or 404 any refused method gets there, and the connection closes.
function answerRawRequest(socket, method, requestTarget, ctx) {
  if (method === undefined) {
    writeRawProblem(socket, 400, 'The request is not valid HTTP/1.1.', ctx.readings);
    return;
  }
  const target = resolve(splitTarget(requestTarget).path, ctx);
  if (target === null || (target.kind === 'note' && target.note === undefined)) {
    writeRawProblem(socket, 404, 'Nothing is at this path.', ctx.readings);
    return;
  }
  const allowed = target.allowed.join(', ');
  writeRawProblem(socket, 405, `${method} is not allowed here; allowed: ${allowed}.`, ctx.readings, `Allow: ${allowed}\r\n`);
}

function createServer(readings = new Set()) {
  const ctx = {
    readings,
    store: new NoteStore(makeClock(), readings),
    statics: {
      '/openapi.json': { type: 'application/json', body: JSON.stringify(buildOpenapi(readings)) },
      '/health': { type: 'application/json', body: JSON.stringify({ status: 'ok' }) },
      ...DOCS_ASSETS,
    },
  };
  const server = http.createServer((req, res) => {
    handle(req, res, ctx).catch((error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpProblem) {
        sendProblem(res, error, readings);
      } else {
        // ERR-7: never the error's text or stack in the answer.
        console.error(error);
        sendProblem(res, new HttpProblem(500, 'The server failed to answer this request.'), readings);
      }
    });
  });
  server.on('clientError', (error, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    if (error.code === 'HPE_INVALID_METHOD') {
      const packet = error.rawPacket?.toString('latin1') ?? '';
      const line = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.[01]\r?\n/.exec(packet);
      answerRawRequest(socket, line?.[1], line?.[2], ctx);
      return;
    }
    const status = { HPE_HEADER_OVERFLOW: 431, ERR_HTTP_REQUEST_TIMEOUT: 408 }[error.code] ?? 400;
    writeRawProblem(socket, status, 'The request could not be read as HTTP/1.1.', readings);
  });
  server.on('connect', (req, socket) => answerRawRequest(socket, 'CONNECT', req.url, ctx));
  return server;
}

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at !== -1 && at + 1 < process.argv.length) return process.argv[at + 1];
  return process.env[name.toUpperCase()] ?? fallback;
}

function main() {
  const host = option('host', '127.0.0.1');
  const port = Number(option('port', '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`server.js: --port must be an integer from 0 to 65535, not ${option('port')}`);
    process.exit(2);
  }
  let readings;
  try {
    readings = readingsFrom(process.argv, process.env);
  } catch (error) {
    console.error(`server.js: ${error.message}`);
    process.exit(2);
  }
  const server = createServer(readings);
  server.listen(port, host, () => {
    const address = server.address();
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const how = readings.size === 0 ? '' : ` (readings: ${[...readings].join(', ')})`;
    console.log(`listening on http://${shown}:${address.port}${how}`);
  });
  // Notes live in memory: nothing to flush, so a signal ends the process at once.
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

if (require.main === module) main();

module.exports = { createServer };
