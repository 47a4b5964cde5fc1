'use strict';
// Answers: JSON bodies, and RFC 9457 problems (ERR-1..3), also for requests Node's parser
// refused before any handler ran.
const http = require('node:http');

class HttpProblem extends Error {
  constructor(status, detail, { errors, headers } = {}) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.errors = errors;
    this.headers = headers ?? {};
  }
}

// ERR-2: `type` is about:blank, so `title` is the status's reason phrase [RFC 9457 §4.2.1];
// the reading `problem-type-uri` names a type of this server's instead.
function problemBody(status, detail, errors, readings) {
  const type = readings.has('problem-type-uri') ? `/problems/${status}` : 'about:blank';
  const body = { type, title: http.STATUS_CODES[status] ?? 'Error', status, detail };
  if (errors) body.errors = errors;
  return JSON.stringify(body);
}

function send(res, status, { type, body, headers = {} } = {}) {
  const out = { ...headers };
  if (body === undefined) {
    res.writeHead(status, out);
    res.end();
    return;
  }
  const bytes = Buffer.from(body, 'utf8');
  out['Content-Type'] = type;
  out['Content-Length'] = bytes.length;
  res.writeHead(status, out);
  res.end(bytes); // to HEAD, Node sends the headers alone
}

function sendProblem(res, problem, readings) {
  send(res, problem.status, {
    type: 'application/problem+json',
    body: problemBody(problem.status, problem.detail, problem.errors, readings),
    headers: problem.headers,
  });
}

function writeRawProblem(socket, status, detail, readings, extraHeaders = '') {
  const body = Buffer.from(problemBody(status, detail, undefined, readings));
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${body.length}\r\n${extraHeaders}Connection: close\r\n\r\n${body}`,
  );
}

const methodNotAllowed = (method, allowed) =>
  new HttpProblem(405, `${method} is not allowed here; allowed: ${allowed.join(', ')}.`, {
    headers: { Allow: allowed.join(', ') },
  });

module.exports = { HttpProblem, send, sendProblem, writeRawProblem, methodNotAllowed };
