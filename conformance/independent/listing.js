'use strict';
// GET /notes: the query (LIST-3..8, LIST-19..23), the page, `next` and `Link` (LIST-12..18).
const { HttpProblem, send } = require('./problems.js');
const { SORTS } = require('./store.js');

const SAFE_HOST = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/;
// Left open: other spellings of numbers. Plain decimal digits by default (leading zeros
// read as decimal); `limit-lenient` also reads a sign and an exponent.
const PLAIN_LIMIT = /^[0-9]+$/;
const PLAIN_PRIORITY = /^-?[0-9]+$/;
const LENIENT_NUMBER = /^[+-]?[0-9]+(?:[eE]\+?[0-9]+)?$/;

// Query pairs: `+` is a space (HTML forms, WHATWG URLSearchParams) by default; under
// `plus-literal` only percent-escapes are decoded [RFC 3986 §2.1].
function queryPairs(rawQuery, readings) {
  if (!readings.has('plus-literal')) return [...new URLSearchParams(rawQuery)];
  const decode = (text) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      return at === -1 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
    });
}

// An integer query value as a BigInt, or null.
function integerOf(text, plain, readings) {
  if (plain.test(text)) return BigInt(text);
  if (readings.has('limit-lenient') && LENIENT_NUMBER.test(text)) {
    const [mantissa, exponent = '0'] = text.replace('+', '').split(/[eE]/);
    if (Number(exponent) > 40) return 10n ** 41n; // past every bound here
    return BigInt(mantissa) * 10n ** BigInt(exponent);
  }
  return null;
}

function parseListQuery(rawQuery, ctx) {
  const { readings, store } = ctx;
  const pairs = queryPairs(rawQuery, readings);
  const errors = [];
  const query = { limit: 100, sort: 'id' };
  const single = (name) => {
    const values = pairs.filter(([key]) => key === name).map(([, value]) => value);
    if (values.length > 1 && !readings.has('params-last')) {
      errors.push({ field: name, message: `'${name}' is given ${values.length} times; give it once` });
      return undefined;
    }
    return values[values.length - 1];
  };
  const limit = single('limit');
  if (limit !== undefined) {
    const n = integerOf(limit, PLAIN_LIMIT, readings);
    if (n === null || n < 1n || n > 1000n) {
      errors.push({ field: 'limit', message: `'limit' must be an integer from 1 to 1000, not '${limit}'` });
    } else {
      query.limit = Number(n);
    }
  }
  const sort = single('sort');
  if (sort !== undefined) {
    if (SORTS.includes(sort)) query.sort = sort;
    else errors.push({ field: 'sort', message: `'sort' must be one of ${SORTS.join(', ')}` });
  }
  const priority = single('priority');
  if (priority !== undefined) {
    const n = integerOf(priority, PLAIN_PRIORITY, readings);
    if (n === null) errors.push({ field: 'priority', message: `'priority' must be an integer, not '${priority}'` });
    else query.priority = n;
  }
  for (const name of ['created_by', 'q']) {
    const value = single(name);
    if (value !== undefined) query[name] = value;
  }
  const cursor = single('cursor');
  if (cursor !== undefined && errors.length === 0) {
    query.cursor = store.readCursor(cursor, query);
    if (query.cursor === null) {
      errors.push({ field: 'cursor', message: '\'cursor\' is not a position this server issued for this sort and these filters' });
    }
  }
  if (errors.length > 0) throw new HttpProblem(422, 'The query has problems; see errors.', { errors });
  return query;
}

// LIST-13, LIST-14: the same filters, sort and limit, and the cursor; absolute on the host
// the request was sent to (relative under `relative-next`, or when Host is unusable).
function nextUrl(req, query, cursor, readings) {
  const params = new URLSearchParams();
  params.set('limit', String(query.limit));
  params.set('sort', query.sort);
  if (query.created_by !== undefined) params.set('created_by', query.created_by);
  if (query.priority !== undefined) params.set('priority', query.priority.toString());
  if (query.q !== undefined) params.set('q', query.q);
  params.set('cursor', cursor);
  const host = req.headers.host;
  const absolute = !readings.has('relative-next') && host !== undefined && SAFE_HOST.test(host);
  // URLSearchParams writes a space as `+`; %20 reads the same under either reading of `+`.
  return `${absolute ? `http://${host}` : ''}/notes?${params.toString().replace(/\+/g, '%20')}`;
}

function listNotes(req, res, rawQuery, ctx) {
  const query = parseListQuery(rawQuery, ctx);
  const { page, next: cursor } = ctx.store.list(query);
  const next = cursor === null ? null : nextUrl(req, query, cursor, ctx.readings);
  const body = `{"notes":[${page.map((note) => note.body).join(',')}],"next":${JSON.stringify(next)}}`;
  const rel = ctx.readings.has('link-unquoted') ? 'rel=next' : 'rel="next"';
  const headers = next === null ? {} : { Link: `<${next}>; ${rel}` };
  send(res, 200, { type: 'application/json', body, headers });
}

module.exports = { listNotes };
