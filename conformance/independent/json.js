'use strict';
// A strict RFC 8259 reader. JSON.parse cannot tell `4.0` from `4`, keeps the last of two
// equal member names and takes unpaired surrogate escapes: this reader keeps a number's
// text (VAL-10), reports duplicate names (REQ-6) and never recurses (deep nesting is data).

class JsonNumber {
  constructor(text) {
    this.text = text;
  }

  // The exact integer the text denotes, or null when it has a non-zero fraction.
  toBigInt() {
    const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(this.text);
    const [, sign, whole, fraction = '', exponentText = '0'] = match;
    let digits = (whole + fraction).replace(/^0+(?=\d)/, '');
    let exponent = BigInt(exponentText) - BigInt(fraction.length);
    if (/^0+$/.test(digits)) return 0n;
    if (exponent < 0n) {
      const zeros = BigInt(/0*$/.exec(digits)[0].length);
      const dropped = zeros < -exponent ? zeros : -exponent;
      digits = digits.slice(0, digits.length - Number(dropped));
      exponent += dropped;
    }
    if (exponent < 0n) return null;
    // Past 60 digits a number is out of every range here: a stand-in, not a huge BigInt.
    const value =
      BigInt(digits.length) + exponent > 60n ? 10n ** 61n : BigInt(digits) * 10n ** exponent;
    return sign === '-' ? -value : value;
  }
}

class JsonObject {
  constructor() {
    this.members = new Map();
    this.duplicates = [];
  }
}

class JsonSyntaxError extends Error {}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function parseJson(text) {
  let at = 0;
  const fail = (what) => {
    throw new JsonSyntaxError(`${what} at character ${at}`);
  };
  const skip = () => {
    while (at < text.length && WHITESPACE.has(text[at])) at += 1;
  };
  const readString = () => {
    at += 1; // the opening quote
    let out = '';
    let start = at;
    for (;;) {
      if (at >= text.length) fail('unterminated string');
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        out += text.slice(start, at);
        at += 1;
        return out;
      }
      if (c < 0x20) fail('unescaped control character in a string');
      if (c === 0x5c) {
        out += text.slice(start, at);
        const e = text[at + 1];
        if (e === 'u') {
          const hex = text.slice(at + 2, at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          at += 6;
        } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e];
          at += 2;
        } else {
          fail('bad escape');
        }
        start = at;
      } else {
        at += 1;
      }
    }
  };
  const readScalar = () => {
    const c = text[at];
    if (c === '"') return readString();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (!match || match[0] === '') fail('unexpected character');
    at += match[0].length;
    return new JsonNumber(match[0]);
  };

  // Containers on an explicit stack: [container, pendingKey].
  const stack = [];
  let result;
  let done = false;
  const place = (value) => {
    if (stack.length === 0) {
      result = value;
      done = true;
      return;
    }
    const top = stack[stack.length - 1];
    if (Array.isArray(top.container)) {
      top.container.push(value);
    } else {
      const obj = top.container;
      if (obj.members.has(top.key)) obj.duplicates.push(top.key);
      obj.members.set(top.key, value);
    }
  };

  skip();
  let expectValue = true;
  while (!done) {
    skip();
    if (at >= text.length) fail('unexpected end of input');
    const top = stack[stack.length - 1];
    if (expectValue) {
      const c = text[at];
      if (c === '{' || c === '[') {
        at += 1;
        skip();
        const container = c === '{' ? new JsonObject() : [];
        const closer = c === '{' ? '}' : ']';
        if (text[at] === closer) {
          at += 1;
          place(container);
          expectValue = false;
          continue;
        }
        stack.push({ container, key: null });
        if (c === '{') {
          if (text[at] !== '"') fail('expected a member name');
          stack[stack.length - 1].key = readString();
          skip();
          if (text[at] !== ':') fail("expected ':'");
          at += 1;
        }
        continue;
      }
      place(readScalar());
      expectValue = false;
      continue;
    }
    // After a value inside a container: ',' or the closer.
    const isArray = Array.isArray(top.container);
    const c = text[at];
    if (c === ',') {
      at += 1;
      if (!isArray) {
        skip();
        if (text[at] !== '"') fail('expected a member name');
        top.key = readString();
        skip();
        if (text[at] !== ':') fail("expected ':'");
        at += 1;
      }
      expectValue = true;
    } else if (c === (isArray ? ']' : '}')) {
      at += 1;
      stack.pop();
      place(top.container);
    } else {
      fail("expected ',' or the end of a container");
    }
  }
  skip();
  if (at !== text.length) fail('text after the value');
  return result;
}

module.exports = { parseJson, JsonNumber, JsonObject, JsonSyntaxError };
