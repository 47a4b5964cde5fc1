'use strict';
// The writable fields and what they accept (VAL-1..15), for POST, PUT and PATCH bodies.
const { JsonNumber, JsonObject } = require('./json.js');
const { parseCreatedAt } = require('./datetime.js');

const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const WRITABLE = ['title', 'description', 'created_at', 'created_by', 'priority'];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const codePoints = (s) => {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
};

function typeName(value) {
  if (value === null) return 'null';
  if (value instanceof JsonNumber) return 'a number';
  if (value instanceof JsonObject) return 'an object';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a string';
}

// A string of `min` to `max` code points, without U+0000 (VAL-7) or an unpaired
// surrogate (REQ-7). Returns the error message, or null.
function checkString(value, min, max) {
  if (typeof value !== 'string') return `must be a string, not ${typeName(value)}`;
  if (value.includes('\u0000')) return 'must not contain U+0000';
  if (LONE_SURROGATE.test(value)) return 'must not contain an unpaired surrogate';
  const length = codePoints(value);
  if (length < min || length > max) {
    return `must be ${min} to ${max} code points long, not ${length}`;
  }
  return null;
}

const RULES = {
  title: (v) => {
    const error = checkString(v, 1, 200);
    return error ? { error } : { value: v };
  },
  description: (v) => {
    const error = checkString(v, 0, 10000);
    return error ? { error } : { value: v };
  },
  created_by: (v) => {
    const error = checkString(v, 1, 100);
    return error ? { error } : { value: v };
  },
  priority: (v, readings) => {
    if (!(v instanceof JsonNumber)) return { error: `must be an integer, not ${typeName(v)}` };
    const n = v.toBigInt();
    if (n === null) return { error: `must be an integer, not ${v.text}` };
    if (readings.has('fraction-refused') && /[.eE]/.test(v.text)) {
      return { error: `must be written as an integer, without a fraction or an exponent, not ${v.text}` };
    }
    if (n < INT32_MIN || n > INT32_MAX) {
      return { error: 'must be an integer from -2147483648 to 2147483647' };
    }
    return { value: Number(n) };
  },
  created_at: (v) => {
    const error = checkString(v, 0, Infinity);
    if (error) return { error };
    const instant = parseCreatedAt(v);
    if (instant === null) {
      return {
        error:
          'must be an RFC 3339 date-time or YYYY-MM-DD HH:MM[:SS[.ffffff]] (read as UTC), ' +
          'within years 1 to 9999 in UTC',
      };
    }
    return { value: instant };
  },
};

const DEFAULTS = { description: '', priority: 0 };
const RESETTABLE = new Set(['description', 'priority']);

// mode: 'create' | 'replace' | 'patch'. Returns { errors } or { values } where values holds
// the fields the body sets (a patch's null already turned into the field's default).
function validateBody(body, mode, readings) {
  if (!(body instanceof JsonObject)) {
    return { errors: [{ field: '$', message: `the body must be a JSON object, not ${typeName(body)}` }] };
  }
  const pathOf = (name) => (readings.has('field-bracket') ? `$['${name.replace(/['\\]/g, '\\$&')}']` : `$.${name}`);
  const errors = [];
  const values = {};
  if (!readings.has('duplicates-last')) {
    for (const name of new Set(body.duplicates)) {
      errors.push({ field: pathOf(name), message: `member '${name}' is given more than once` });
    }
  }
  // Left open by v1: null in a POST or PUT body may mean "the default" (then left out here).
  const nullMeansDefault = mode !== 'patch' && readings.has('null-is-default');
  for (const [name, value] of body.members) {
    if (!WRITABLE.includes(name)) {
      errors.push({ field: pathOf(name), message: `'${name}' is not a writable field` });
      continue;
    }
    if (value === null && (mode === 'patch' || (nullMeansDefault && name !== 'title' && name !== 'created_by'))) {
      if (RESETTABLE.has(name)) {
        values[name] = DEFAULTS[name];
      } else if (!nullMeansDefault) {
        errors.push({ field: pathOf(name), message: `'${name}' cannot be removed (null)` });
      }
      continue;
    }
    const { error, value: accepted } = RULES[name](value, readings);
    if (error) {
      errors.push({ field: pathOf(name), message: `'${name}' ${error}` });
    } else {
      values[name] = accepted;
    }
  }
  if (mode !== 'patch') {
    for (const name of ['title', 'created_by']) {
      if (!body.members.has(name)) {
        errors.push({ field: pathOf(name), message: `'${name}' is required` });
      }
    }
  }
  return errors.length > 0 ? { errors } : { values };
}

// Any string (member names included) holding an unpaired surrogate, at any depth.
function holdsLoneSurrogate(value) {
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) return true;
    } else if (Array.isArray(item)) {
      stack.push(...item);
    } else if (item instanceof JsonObject) {
      for (const [name, member] of item.members) stack.push(name, member);
    }
  }
  return false;
}

module.exports = { validateBody, holdsLoneSurrogate, INT32_MIN, INT32_MAX };
