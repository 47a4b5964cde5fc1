'use strict';
// Which resource a request names, and what each method does to it (CRUD, REQ-9..13).
const { HttpProblem, send, methodNotAllowed } = require('./problems.js');
const { readNoteBody } = require('./body.js');
const { checkPreconditions } = require('./preconditions.js');
const { listNotes } = require('./listing.js');

const NOTE_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'];
const COLLECTION_METHODS = ['GET', 'HEAD', 'POST'];
const READ_METHODS = ['GET', 'HEAD'];

const notFound = (what) => new HttpProblem(404, what);

// Only the plain decimal spelling of a positive integer names a note (REQ-9, REQ-10).
function noteIdOf(segment) {
  if (!/^[1-9][0-9]{0,15}$/.test(segment)) return null;
  const id = Number(segment);
  return Number.isSafeInteger(id) ? id : null;
}

// The path's segments, each percent-decoded on its own [RFC 3986 §6.2.2.2], so `%2F` never
// splits one. A segment that does not decode to UTF-8 text is kept as written. The reading
// `raw-path` decodes nothing.
function segmentsOf(path, readings) {
  return path.split('/').map((segment) => {
    if (readings.has('raw-path')) return segment;
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
}

function splitTarget(target) {
  let rest = target;
  if (!rest.startsWith('/')) {
    // absolute-form (RFC 9112 §3.2.2): keep the path and query.
    try {
      const url = new URL(rest);
      rest = url.pathname + url.search;
    } catch {
      return { path: '', query: '' };
    }
  }
  const q = rest.indexOf('?');
  return q === -1 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

// { kind, note?, asset?, allowed } for the resource a path names, or null (REQ-13).
function resolve(path, ctx) {
  const segments = segmentsOf(path, ctx.readings);
  const withOptions = (methods) => (ctx.readings.has('options-allowed') ? [...methods, 'OPTIONS'] : methods);
  if (segments.length === 2 && segments[1] === 'notes') {
    return { kind: 'collection', allowed: withOptions(COLLECTION_METHODS) };
  }
  if (segments.length === 3 && segments[1] === 'notes') {
    const id = noteIdOf(segments[2]);
    const note = id === null ? undefined : ctx.store.get(id);
    return { kind: 'note', note, allowed: withOptions(NOTE_METHODS) };
  }
  if (Object.hasOwn(ctx.statics, path)) {
    return { kind: 'static', asset: ctx.statics[path], allowed: withOptions(READ_METHODS) };
  }
  return null;
}

function sendNote(res, status, note, extraHeaders = {}) {
  send(res, status, { type: 'application/json', body: note.body, headers: { ETag: note.etag, ...extraHeaders } });
}

async function handleCollection(req, res, rawQuery, ctx) {
  if (req.method === 'GET' || req.method === 'HEAD') return listNotes(req, res, rawQuery, ctx);
  const values = await readNoteBody(req, 'create', ctx.readings);
  const note = ctx.store.create(values);
  return sendNote(res, 201, note, { Location: `/notes/${note.id}` });
}

async function writeNote(req, res, target, ctx) {
  const { store, readings } = ctx;
  const mode = req.method === 'PUT' ? 'replace' : 'patch';
  // The order of 404, the body's errors and 412 is left open; by default 404, then the
  // body, then the preconditions.
  if (target.note === undefined && !readings.has('body-before-404')) throw notFound('No note has this id.');
  if (target.note !== undefined && readings.has('precondition-first')) checkPreconditions(req, target.note, readings);
  const values = await readNoteBody(req, mode, readings);
  // The note may have gone while the body arrived.
  const note = target.note === undefined ? undefined : store.get(target.note.id);
  if (note === undefined) throw notFound('No note has this id.');
  checkPreconditions(req, note, readings);
  return sendNote(res, 200, mode === 'replace' ? store.replace(note, values) : store.patch(note, values));
}

async function handleNote(req, res, target, ctx) {
  const { store, readings } = ctx;
  if (req.method === 'PUT' || req.method === 'PATCH') return writeNote(req, res, target, ctx);
  if (target.note === undefined) {
    if (req.method === 'POST' && readings.has('post-missing-405')) throw methodNotAllowed(req.method, target.allowed);
    throw notFound('No note has this id.');
  }
  if (!NOTE_METHODS.includes(req.method)) throw methodNotAllowed(req.method, target.allowed);
  const note = target.note;
  const verdict = checkPreconditions(req, note, readings);
  if (req.method === 'DELETE') {
    store.delete(note);
    return send(res, 204);
  }
  if (verdict === 'not-modified') return send(res, 304, { headers: { ETag: note.etag } });
  return sendNote(res, 200, note);
}

async function handle(req, res, ctx) {
  const { path, query } = splitTarget(req.url);
  const target = resolve(path, ctx);
  if (target === null) throw notFound(`Nothing is at ${path || 'this path'}.`);
  if (req.method === 'OPTIONS' && target.allowed.includes('OPTIONS')) {
    if (target.kind === 'note' && target.note === undefined) throw notFound('No note has this id.');
    return send(res, 204, { headers: { Allow: target.allowed.join(', ') } });
  }
  if (target.kind === 'note') return handleNote(req, res, target, ctx);
  if (!target.allowed.includes(req.method)) throw methodNotAllowed(req.method, target.allowed);
  if (target.kind === 'collection') return handleCollection(req, res, query, ctx);
  return send(res, 200, { type: target.asset.type, body: target.asset.body });
}

module.exports = { handle, resolve, splitTarget };
