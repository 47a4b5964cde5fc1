'use strict';
// The service's OpenAPI 3.1 document (DOC-1..10): what this server accepts, stated so
// that a tool generating requests from it finds the server doing exactly what it says.
const { SORTS } = require('./store.js');

const problemRef = { $ref: '#/components/schemas/Problem' };
const problem = (description) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});
const validationProblem = {
  description: 'The request is refused: `errors` lists every problem, each naming its field.',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ValidationProblem' } } },
};
const etagHeader = {
  description: 'The note\'s current strong entity-tag.',
  schema: { type: 'string' },
};
const noteResponse = (description) => ({
  description,
  headers: { ETag: etagHeader },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Note' } } },
});
const notModified = {
  description: 'If-None-Match matched: no body.',
  headers: { ETag: etagHeader },
};
const noteId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The note\'s id, written in plain decimal.',
  schema: { type: 'integer', minimum: 1 },
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: '`*` or a list of strong entity-tags: the write happens only when one is the note\'s current ETag (strong comparison), else 412.',
  schema: { type: 'string' },
};
const ifNoneMatch = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: '`*` or a list of entity-tags: when one matches the current ETag (weak comparison), the answer is 304.',
  schema: { type: 'string' },
};
const bodyErrors = {
  400: problem('The body is not well-formed UTF-8 JSON.'),
  413: problem('The body is longer than 1 MiB (1,048,576 bytes).'),
  415: problem('The body\'s media type is not JSON (`application/json` or `application/*+json`).'),
  422: validationProblem,
};

// No NUL anywhere in a string field (VAL-7).
const NO_NUL = '^[^\\u0000]*$';
// The tutorial's form, exactly (DOC-6: every VAL rule JSON Schema can express, and a
// pattern can say which dates exist): years 0001-9999, days by month, 29 February of
// Gregorian leap years only, hours 00-23. No lookahead, so any regex engine compiles it.
const YEAR = '(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)';
const MONTH_DAY =
  '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))';
const LEAP_YEAR = '(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)';
const CLOCK = '(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?';
const TUTORIAL_FORM = `^(?:${YEAR}-${MONTH_DAY}|${LEAP_YEAR}-02-29) ${CLOCK}$`;
// RFC 3339 allows second 60 (a leap second); this server refuses it, and says so here
// too, since format validators differ on it.
const NO_LEAP_SECOND = '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9]';
const CREATED_AT_WORDS =
  'An RFC 3339 date-time with any offset (stored converted to UTC), or `YYYY-MM-DD HH:MM`, ' +
  '`YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS.ffffff` (1 to 6 fraction digits), read as UTC. ' +
  'Refused (422) although the patterns alone would allow them: a date or time that does not exist ' +
  '(`2017-02-30`, hour 24, minute or second 60; leap seconds are refused too), an offset past 23:59, ' +
  'and any instant outside years 1 to 9999 once converted to UTC ' +
  '(`0001-01-01T00:30:00+01:00` and `10000-01-01T00:00:00Z` are refused, ' +
  '`0001-01-01T00:00:00Z` and `9999-12-31T23:59:59.999999Z` accepted). ' +
  'Fraction digits past the sixth are dropped.';
const STRING_WORDS = 'Lengths count Unicode code points. U+0000 and unpaired surrogates are refused.';

// nullable: PATCH (null resets description and priority), or POST and PUT under the
// reading `null-is-default` (null in description, priority and created_at means the default).
function fields({ nullable, createdAtNullable, readings }) {
  const priorityWords = readings.has('fraction-refused')
    ? 'An integer written without a fraction or an exponent: `4.0` and `1e2` are refused (422).'
    : '`4.0` is taken as 4.';
  return {
    title: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL, description: STRING_WORDS },
    description: {
      type: nullable ? ['string', 'null'] : 'string',
      maxLength: 10000,
      pattern: NO_NUL,
      description: `${STRING_WORDS} Default \`""\`; \`null\` ${nullable ? 'resets it to the default' : 'is refused'}.`,
    },
    created_at: {
      ...(createdAtNullable ? { type: ['string', 'null'] } : { type: 'string' }),
      anyOf: [
        { type: 'string', format: 'date-time', pattern: NO_LEAP_SECOND },
        { type: 'string', pattern: TUTORIAL_FORM },
        ...(createdAtNullable ? [{ type: 'null' }] : []),
      ],
      description: createdAtNullable ? `${CREATED_AT_WORDS} \`null\` is the default (kept on PUT).` : CREATED_AT_WORDS,
    },
    created_by: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_NUL, description: STRING_WORDS },
    priority: {
      type: nullable ? ['integer', 'null'] : 'integer',
      minimum: -2147483648,
      maximum: 2147483647,
      description: `${priorityWords} Default 0; \`null\` ${nullable ? 'resets it to the default' : 'is refused'}.`,
    },
  };
}

function writeBody(description, readings) {
  const nullable = readings.has('null-is-default');
  return {
    type: 'object',
    description,
    properties: fields({ nullable, createdAtNullable: nullable, readings }),
    required: ['title', 'created_by'],
    additionalProperties: false,
  };
}

function buildOpenapi(readings) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'notes (an independent implementation)',
      version: '1.0.0',
      description:
        'The notes REST contract, v1 (docs/contract.md of the notes repository), ' +
        'implemented apart from the notes project to check its conformance kit. ' +
        'Notes are kept in memory.',
    },
    paths: {
      '/notes': {
        get: {
          operationId: 'listNotes',
          summary: 'A page of notes',
          parameters: [
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, description: 'Page size. Given twice: 422.' },
            { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The previous page\'s `next` holds it; only a cursor this server issued, for the same sort and filters, is valid.' },
            { name: 'sort', in: 'query', required: false, schema: { type: 'string', enum: SORTS, default: 'id' }, description: 'Sort key, `-` for descending; ties by id ascending.' },
            { name: 'created_by', in: 'query', required: false, schema: { type: 'string' }, description: 'Exact, case-sensitive match.' },
            { name: 'priority', in: 'query', required: false, schema: { type: 'integer' }, description: 'Exact match. Written in plain decimal digits with an optional `-`.' },
            { name: 'q', in: 'query', required: false, schema: { type: 'string' }, description: 'Case-insensitive substring of title or description.' },
          ],
          responses: {
            200: {
              description: 'A page. `next` is the URL of the following page, or null.',
              headers: {
                Link: { description: '`<next>; rel="next"` when there is a next page.', schema: { type: 'string' } },
              },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Page' } } },
            },
            422: validationProblem,
          },
        },
        post: {
          operationId: 'createNote',
          summary: 'Create a note',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/NoteCreate' } } },
          },
          responses: {
            201: {
              description: 'Created.',
              headers: {
                Location: { description: 'The new note\'s path, `/notes/{id}`.', schema: { type: 'string' } },
                ETag: etagHeader,
              },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Note' } } },
              links: {
                GetNote: { operationId: 'getNote', parameters: { id: '$response.body#/id' } },
                ReplaceNote: { operationId: 'replaceNote', parameters: { id: '$response.body#/id' } },
                PatchNote: { operationId: 'patchNote', parameters: { id: '$response.body#/id' } },
                DeleteNote: { operationId: 'deleteNote', parameters: { id: '$response.body#/id' } },
              },
            },
            ...bodyErrors,
          },
        },
      },
      '/notes/{id}': {
        parameters: [noteId],
        get: {
          operationId: 'getNote',
          summary: 'A note',
          parameters: [ifNoneMatch],
          responses: { 200: noteResponse('The note.'), 304: notModified, 404: problem('No note has this id.') },
        },
        head: {
          operationId: 'headNote',
          summary: 'A note\'s headers',
          parameters: [ifNoneMatch],
          responses: {
            200: { description: 'As GET, without a body.', headers: { ETag: etagHeader } },
            304: notModified,
            // DOC-7: every 4xx as problem+json; to HEAD, the headers of one, without the body.
            404: problem('No note has this id (the problem\'s headers, no body).'),
          },
        },
        put: {
          operationId: 'replaceNote',
          summary: 'Replace a note (never creates)',
          parameters: [ifMatch],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/NoteReplace' } } },
          },
          responses: {
            200: noteResponse('The note as stored.'),
            404: problem('No note has this id.'),
            412: problem('If-Match did not match the note\'s current ETag.'),
            ...bodyErrors,
          },
        },
        patch: {
          operationId: 'patchNote',
          summary: 'Change some fields (JSON Merge Patch)',
          parameters: [ifMatch],
          requestBody: {
            required: true,
            content: {
              'application/merge-patch+json': { schema: { $ref: '#/components/schemas/NotePatch' } },
              'application/json': { schema: { $ref: '#/components/schemas/NotePatch' } },
            },
          },
          responses: {
            200: noteResponse('The note as stored.'),
            404: problem('No note has this id.'),
            412: problem('If-Match did not match the note\'s current ETag.'),
            ...bodyErrors,
          },
        },
        delete: {
          operationId: 'deleteNote',
          summary: 'Delete a note',
          parameters: [ifMatch],
          responses: {
            204: { description: 'Deleted.' },
            404: problem('No note has this id.'),
            412: problem('If-Match did not match the note\'s current ETag.'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          responses: { 200: { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/docs': {
        get: {
          operationId: 'getDocs',
          summary: 'Interactive documentation',
          responses: { 200: { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
      '/health': {
        get: {
          operationId: 'getHealth',
          summary: 'Health',
          responses: {
            200: { description: 'The service can reach its storage.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
            503: problem('The storage cannot be reached.'),
          },
        },
      },
    },
    components: {
      schemas: {
        Note: {
          type: 'object',
          properties: {
            id: { type: 'integer', minimum: 1 },
            title: { type: 'string' },
            description: { type: 'string' },
            created_at: { type: 'string', format: 'date-time' },
            created_by: { type: 'string' },
            priority: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
            updated_at: { type: 'string', format: 'date-time' },
          },
          required: ['id', 'title', 'description', 'created_at', 'created_by', 'priority', 'updated_at'],
          additionalProperties: false,
        },
        Page: {
          type: 'object',
          properties: {
            notes: { type: 'array', items: { $ref: '#/components/schemas/Note' } },
            next: { type: ['string', 'null'] },
          },
          required: ['notes', 'next'],
        },
        NoteCreate: writeBody('A new note: unknown members are refused. Left out, description is "", priority 0 and created_at the time of creation.', readings),
        NoteReplace: writeBody('The note\'s new state: description and priority left out take their defaults, created_at left out is kept.', readings),
        NotePatch: {
          type: 'object',
          description: 'A JSON Merge Patch: members given set their fields; null resets description and priority and is refused for the others.',
          properties: fields({ nullable: true, createdAtNullable: false, readings }),
          additionalProperties: false,
        },
        Health: {
          type: 'object',
          properties: { status: { type: 'string', const: 'ok' } },
          required: ['status'],
        },
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string', format: 'uri-reference' },
            title: { type: 'string', minLength: 1 },
            status: { type: 'integer' },
            detail: { type: 'string', minLength: 1 },
          },
          required: ['type', 'title', 'status', 'detail'],
        },
        ValidationProblem: {
          allOf: [
            problemRef,
            {
              type: 'object',
              properties: {
                errors: {
                  type: 'array',
                  minItems: 1,
                  items: {
                    type: 'object',
                    properties: { field: { type: 'string' }, message: { type: 'string', minLength: 1 } },
                    required: ['field', 'message'],
                  },
                },
              },
              required: ['errors'],
            },
          ],
        },
      },
    },
  };
}

module.exports = { buildOpenapi };
