'use strict';
// A POST, PUT or PATCH body, from bytes to the values it sets (REQ-1..8, VAL).
const { HttpProblem } = require('./problems.js');
const { parseJson, JsonSyntaxError } = require('./json.js');
const { validateBody, holdsLoneSurrogate } = require('./validate.js');

const BODY_LIMIT = 1024 * 1024; // REQ-8
const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);
// The BOM is left open: dropped by default (TextDecoder's own behaviour), 400 under `bom-400`.
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF8_KEEPING_BOM = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// REQ-1: application/json, any application/*+json, or no Content-Type at all. An empty
// value is read as absent, and one that is not a media type is 415 (both left open).
function mediaTypeVerdict(contentType, readings) {
  if (contentType === undefined || contentType.trim() === '') return 'json';
  const essence = contentType.split(';')[0].trim().toLowerCase();
  if (!MEDIA_TYPE.test(essence)) return readings.has('content-type-400') ? 'malformed' : 'other';
  return essence === 'application/json' || /^application\/[^/+][^/]*\+json$/.test(essence) ? 'json' : 'other';
}

function readBytes(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let length = 0;
    req.on('data', (chunk) => {
      length += chunk.length;
      // Past the limit, keep reading (so the client sees the 413, not a reset) but keep nothing.
      if (length <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve({ bytes: Buffer.concat(chunks), length }));
    req.on('error', reject);
  });
}

async function readNoteBody(req, mode, readings) {
  const { bytes, length } = await readBytes(req);
  const verdict = mediaTypeVerdict(req.headers['content-type'], readings);
  if (verdict === 'malformed') throw new HttpProblem(400, 'The Content-Type is not a media type.');
  if (verdict === 'other') {
    throw new HttpProblem(415, 'The body must be JSON: application/json or another application/*+json.');
  }
  // v1 leaves a Content-Encoding open: decoded, or 415. This server decodes none.
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    throw new HttpProblem(415, `Content-Encoding ${encoding} is not supported: send the body as it is.`);
  }
  if (length > BODY_LIMIT) {
    throw new HttpProblem(413, `The body is ${length} bytes; the limit is ${BODY_LIMIT} (1 MiB).`);
  }
  let text;
  try {
    text = (readings.has('bom-400') ? UTF8_KEEPING_BOM : UTF8).decode(bytes);
  } catch {
    throw new HttpProblem(400, 'The body is not well-formed UTF-8.');
  }
  let value;
  try {
    value = parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new HttpProblem(400, `The body is not JSON: ${error.message}.`);
    throw error;
  }
  if (readings.has('surrogate-400') && holdsLoneSurrogate(value)) {
    throw new HttpProblem(400, 'The body holds an unpaired surrogate escape.');
  }
  const { errors, values } = validateBody(value, mode, readings);
  if (errors) throw new HttpProblem(422, `The body has ${errors.length} problem(s); see errors.`, { errors });
  return values;
}

module.exports = { readNoteBody };
