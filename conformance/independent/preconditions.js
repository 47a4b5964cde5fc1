'use strict';
// If-Match and If-None-Match on a note that exists (COND-5..8) [RFC 9110 §13.1, §13.2.2].
const { HttpProblem } = require('./problems.js');

// '*' or a list of entity-tags [RFC 9110 §8.8.3]. Elements that are not entity-tags are
// skipped, so they match nothing.
function parseTags(value) {
  if (value.trim() === '*') return '*';
  const tags = [];
  for (const match of value.matchAll(/(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g)) {
    tags.push({ weak: Boolean(match[1]), opaque: match[2] });
  }
  return tags;
}

const opaqueOf = (etag) => etag.slice(1, -1);

// RFC 9110 §13.2.2: If-Match first (strong comparison), then If-None-Match (weak
// comparison): 304 for GET and HEAD, 412 for the others. The contract names only If-Match
// on writes and If-None-Match on reads; the reading `no-rfc-preconditions` keeps to those.
function checkPreconditions(req, note, readings) {
  const reading = req.method === 'GET' || req.method === 'HEAD';
  const rfcOnly = readings.has('no-rfc-preconditions');
  let ifMatch = rfcOnly && reading ? undefined : req.headers['if-match'];
  if (readings.has('empty-if-match-absent') && ifMatch?.trim() === '') ifMatch = undefined;
  if (ifMatch !== undefined) {
    const tags = parseTags(ifMatch);
    const matches = tags === '*' || tags.some((t) => !t.weak && t.opaque === opaqueOf(note.etag));
    if (!matches) throw new HttpProblem(412, 'If-Match does not match the note\'s current ETag.');
  }
  const ifNoneMatch = rfcOnly && !reading ? undefined : req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = parseTags(ifNoneMatch);
    if (tags === '*' || tags.some((t) => t.opaque === opaqueOf(note.etag))) {
      if (reading) return 'not-modified';
      throw new HttpProblem(412, 'If-None-Match matches the note\'s current ETag.');
    }
  }
  return 'proceed';
}

module.exports = { checkPreconditions };
