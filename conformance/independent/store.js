'use strict';
// Notes in memory: create, replace, patch, delete, and the keyset listing (LIST-10..16).
// Every operation runs to its end without awaiting, so concurrent requests are serialized
// by the event loop (CRUD-3, CRUD-16, COND-9).
const crypto = require('node:crypto');
const { formatInstant } = require('./datetime.js');

// UTF-16 code units reordered so that comparing them compares code points (LIST-10):
// surrogates (D800-DFFF) move above E000-FFFF.
function compareCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      x += x >= 0xd800 ? (x >= 0xe000 ? -0x800 : 0x2000) : 0;
      y += y >= 0xd800 ? (y >= 0xe000 ? -0x800 : 0x2000) : 0;
      return x - y;
    }
  }
  return a.length - b.length;
}

const compareNumbers = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// Case-insensitive matching (LIST-8): each code point on its own (no context, so no
// final-sigma rule) to its lower case when that is one code point. Every letter with a
// one-to-one case mapping meets its partner; one that maps to several (İ) stays itself.
const foldCache = new Map();
function foldCodePoint(c) {
  let folded = foldCache.get(c);
  if (folded === undefined) {
    const lower = c.toLowerCase();
    folded = [...lower].length === 1 ? lower : c;
    foldCache.set(c, folded);
  }
  return folded;
}
const foldEach = (s) => {
  let out = '';
  for (const c of s) out += foldCodePoint(c);
  return out;
};
// The reading `q-fold-whole`: whole strings lower-cased, one-to-many mappings included.
const foldWhole = (s) => s.toLowerCase();

const SORT_KEYS = {
  id: { key: (n) => n.id, compare: compareNumbers, encode: (v) => v, decode: (v) => (Number.isSafeInteger(v) ? v : undefined) },
  priority: { key: (n) => n.priority, compare: compareNumbers, encode: (v) => v, decode: (v) => (Number.isSafeInteger(v) ? v : undefined) },
  created_at: { key: (n) => n.createdAt, compare: compareNumbers, encode: String, decode: bigIntOf },
  updated_at: { key: (n) => n.updatedAt, compare: compareNumbers, encode: String, decode: bigIntOf },
  title: { key: (n) => n.title, compare: compareCodePoints, encode: (v) => v, decode: (v) => (typeof v === 'string' ? v : undefined) },
};
function bigIntOf(v) {
  return typeof v === 'string' && /^-?\d{1,20}$/.test(v) ? BigInt(v) : undefined;
}
const SORTS = Object.keys(SORT_KEYS).flatMap((name) => [name, `-${name}`]);

function render(note, trimFraction) {
  return {
    id: note.id,
    title: note.title,
    description: note.description,
    created_at: formatInstant(note.createdAt, trimFraction),
    created_by: note.createdBy,
    priority: note.priority,
    updated_at: formatInstant(note.updatedAt, trimFraction),
  };
}

class NoteStore {
  constructor(clock, readings) {
    this.clock = clock;
    this.readings = readings;
    this.fold = readings.has('q-fold-whole') ? foldWhole : foldEach;
    this.notes = new Map();
    this.lastId = 0;
    this.cursorKey = crypto.randomBytes(32);
  }

  get(id) {
    return this.notes.get(id);
  }

  create(values) {
    const now = this.clock();
    this.lastId += 1;
    const note = {
      id: this.lastId,
      title: values.title,
      description: values.description ?? '',
      createdAt: values.created_at ?? now,
      createdBy: values.created_by,
      priority: values.priority ?? 0,
      updatedAt: now,
      version: 1,
    };
    this.#seal(note);
    this.notes.set(note.id, note);
    return note;
  }

  // PUT: every writable field from the body, defaults for description and priority,
  // created_at kept when left out (CRUD-7, CRUD-8).
  replace(note, values) {
    return this.#change(note, {
      title: values.title,
      description: values.description ?? '',
      createdAt: values.created_at ?? note.createdAt,
      createdBy: values.created_by,
      priority: values.priority ?? 0,
    });
  }

  patch(note, values) {
    return this.#change(note, {
      title: values.title ?? note.title,
      description: values.description ?? note.description,
      createdAt: values.created_at ?? note.createdAt,
      createdBy: values.created_by ?? note.createdBy,
      priority: values.priority ?? note.priority,
    });
  }

  delete(note) {
    this.notes.delete(note.id);
  }

  // A change only when some field differs (CRUD-14, CRUD-15): else nothing moves.
  #change(note, fields) {
    const same =
      fields.title === note.title &&
      fields.description === note.description &&
      fields.createdAt === note.createdAt &&
      fields.createdBy === note.createdBy &&
      fields.priority === note.priority;
    if (same) return note;
    Object.assign(note, fields, { updatedAt: this.clock(), version: note.version + 1 });
    this.#seal(note);
    return note;
  }

  // The body and ETag are computed once per state; the ETag hashes the body, which holds
  // updated_at, so two consecutive states never share a tag (COND-3).
  #seal(note) {
    note.body = JSON.stringify(render(note, this.readings.has('fraction-trimmed')));
    note.etag = this.readings.has('etag-counter')
      ? `"${note.id}.${note.version}"`
      : `"${crypto.createHash('sha256').update(note.body).digest('base64url').slice(0, 27)}"`;
    note.foldedTitle = this.fold(note.title);
    note.foldedDescription = this.fold(note.description);
  }

  // query: { limit, sort, created_by, priority (BigInt), q, cursor (decoded or null) }.
  list(query) {
    const descending = query.sort.startsWith('-');
    const field = descending ? query.sort.slice(1) : query.sort;
    const { key, compare } = SORT_KEYS[field];
    const foldedQ = query.q === undefined ? undefined : this.fold(query.q);
    const order = (a, b) => {
      const byKey = compare(key(a), key(b)) * (descending ? -1 : 1);
      return byKey !== 0 ? byKey : a.id - b.id;
    };
    const matches = [];
    for (const note of this.notes.values()) {
      if (query.created_by !== undefined && note.createdBy !== query.created_by) continue;
      if (query.priority !== undefined && BigInt(note.priority) !== query.priority) continue;
      if (foldedQ !== undefined && !note.foldedTitle.includes(foldedQ) && !note.foldedDescription.includes(foldedQ)) {
        continue;
      }
      if (query.cursor) {
        const afterCursor = compare(key(note), query.cursor.key) * (descending ? -1 : 1);
        if (afterCursor < 0 || (afterCursor === 0 && note.id <= query.cursor.id)) continue;
      }
      matches.push(note);
    }
    matches.sort(order);
    const page = matches.slice(0, query.limit);
    const last = page[page.length - 1];
    const next =
      matches.length > query.limit
        ? this.#issueCursor(query, { key: SORT_KEYS[field].encode(key(last)), id: last.id })
        : null;
    return { page, next };
  }

  // A cursor is the position after the last note of a page, bound to the sort and the
  // filters it was issued for, and signed: anything else is 422 (LIST-22).
  #issueCursor(query, position) {
    if (this.readings.has('cursor-unbound')) {
      return Buffer.from(JSON.stringify({ k: position.key, i: position.id })).toString('base64url');
    }
    const payload = Buffer.from(
      JSON.stringify({ s: query.sort, f: filterSignature(query), k: position.key, i: position.id }),
    ).toString('base64url');
    return `${payload}.${this.#sign(payload)}`;
  }

  #sign(payload) {
    return crypto.createHmac('sha256', this.cursorKey).update(payload).digest('base64url').slice(0, 22);
  }

  // The position a cursor holds for this query, or null when it is not one this server
  // issued for the same sort and filters.
  readCursor(cursor, query) {
    if (this.readings.has('cursor-unbound')) return this.#readUnboundCursor(cursor, query);
    const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/.exec(cursor);
    if (!match) return null;
    const expected = Buffer.from(this.#sign(match[1]));
    const given = Buffer.from(match[2]);
    if (!crypto.timingSafeEqual(expected, given)) return null;
    let payload;
    try {
      payload = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (payload.s !== query.sort || payload.f !== filterSignature(query)) return null;
    const field = query.sort.replace(/^-/, '');
    const key = SORT_KEYS[field].decode(field === 'id' ? payload.i : payload.k);
    if (key === undefined || !Number.isSafeInteger(payload.i)) return null;
    return { key, id: payload.i };
  }

  // The reading `cursor-unbound`: any cursor that decodes to a key of the sort's type and
  // an id is a position, wherever it came from (LIST-22 allows 200 from some position).
  #readUnboundCursor(cursor, query) {
    let payload;
    try {
      payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (payload === null || typeof payload !== 'object' || !Number.isSafeInteger(payload.i)) return null;
    const field = query.sort.replace(/^-/, '');
    const key = SORT_KEYS[field].decode(field === 'id' ? payload.i : payload.k);
    return key === undefined ? null : { key, id: payload.i };
  }
}

function filterSignature(query) {
  return JSON.stringify([query.created_by ?? null, query.priority?.toString() ?? null, query.q ?? null]);
}

module.exports = { NoteStore, SORTS, render };
