'use strict';
// Where the contract leaves room, this server takes one reading by default. Each entry is
// another reading the contract equally allows, switched on with `--reading NAME`
// (repeatable), `--reading all`, or READINGS=a,b: a kit that fails one of them asks for
// more than v1 says.

const READINGS = {
  'null-is-default': 'VAL (left open): null in a POST or PUT body is the field\'s default (created_at: kept on PUT), and the document says so',
  'fraction-refused': 'VAL-10: a priority written with a fraction or an exponent (4.0, 1e2) is 422, and the document says so in words',
  'duplicates-last': 'REQ-6 (recommended): a member name given twice takes the last value',
  'surrogate-400': 'REQ-7 (recommended): an unpaired surrogate escape is 400, not 422',
  'bom-400': 'REQ (left open): a UTF-8 byte order mark before the JSON is 400',
  'content-type-400': 'REQ (left open): a Content-Type that is not a media type is 400, not 415',
  'body-before-404': 'CRUD (left open): a PUT or PATCH of a missing note with a wrong body gets the body\'s error, not 404',
  'precondition-first': 'COND (left open): a failed If-Match is 412 even when the body is also wrong',
  'no-rfc-preconditions': 'COND (silent): If-Match on GET and HEAD, and If-None-Match on PUT, PATCH and DELETE, are ignored',
  'empty-if-match-absent': 'COND (silent): an If-Match field with an empty value is taken as absent',
  'etag-counter': 'COND-2, COND-3: the ETag is the note\'s id and a change counter, not a hash',
  'fraction-trimmed': 'RES-7: a time\'s fraction is written with 1 to 6 digits, trailing zeros dropped',
  'problem-type-uri': 'ERR-2: a problem\'s type is a URI reference of this server, not about:blank',
  'field-bracket': 'ERR-6 (recommended): a body member\'s field is written $[\'name\']',
  'relative-next': 'LIST-14 (recommended): next and the Link target are relative references (/notes?...)',
  'link-unquoted': 'LIST-18 (recommended): the Link field is written <URL>; rel=next',
  'params-last': 'LIST-23 (recommended): a known parameter given twice takes the last value',
  'limit-lenient': 'LIST (left open): limit and priority read +5, 1e3 and other JavaScript number spellings as numbers',
  'plus-literal': 'LIST (silent): a + in the query is a plus sign (RFC 3986), not a space (HTML forms)',
  'cursor-unbound': 'LIST-22: a cursor is a readable position, unsigned and bound to nothing: a changed one is read from where it points',
  'q-fold-whole': 'LIST-8 (left open): q compares the whole strings lower-cased, multi-character mappings (İ) included',
  'raw-path': 'REQ-9 (silent): path segments are not percent-decoded, so /notes/%31 names no note',
  'post-missing-405': 'REQ-11: POST on /notes/{id} of a missing note is 405, not 404',
  'options-allowed': 'REQ-11: OPTIONS is supported: 204 with Allow',
};

function readingsFrom(argv, env) {
  const chosen = new Set((env.READINGS ?? '').split(',').filter(Boolean));
  argv.forEach((arg, at) => {
    if (arg === '--reading' && at + 1 < argv.length) chosen.add(argv[at + 1]);
  });
  // `all`: every other reading at once (they touch different answers, so they combine).
  if (chosen.delete('all')) Object.keys(READINGS).forEach((name) => chosen.add(name));
  for (const name of chosen) {
    if (!Object.hasOwn(READINGS, name)) {
      throw new Error(`unknown reading ${name}; known: ${Object.keys(READINGS).join(', ')}`);
    }
  }
  return chosen;
}

module.exports = { READINGS, readingsFrom };
