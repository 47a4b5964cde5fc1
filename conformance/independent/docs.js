'use strict';
// /docs: a page that reads the live /openapi.json (DOC-14) and lets a user send each
// operation from a form. Its script and style are served here too (DOC-13: offline).

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>notes API (independent implementation)</title>
<link rel="stylesheet" href="/docs/docs.css">
</head>
<body>
<h1>notes API</h1>
<p>Every operation of <a href="/openapi.json">the OpenAPI document</a>. Fill in a form and send it.</p>
<main id="operations">Loading /openapi.json...</main>
<script src="/docs/docs.js"></script>
</body>
</html>
`;

const style = `body { font-family: sans-serif; max-width: 60em; margin: 2em auto; }
section { border: 1px solid #ccc; margin: 1em 0; padding: 0.5em 1em; }
h2 { font-size: 1.1em; font-family: monospace; }
textarea { width: 100%; height: 6em; font-family: monospace; }
pre { background: #f4f4f4; padding: 0.5em; white-space: pre-wrap; }
label { display: block; margin: 0.25em 0; }
`;

const script = `'use strict';
async function main() {
  const root = document.getElementById('operations');
  const spec = await (await fetch('/openapi.json')).json();
  root.textContent = '';
  for (const [path, item] of Object.entries(spec.paths)) {
    const shared = item.parameters || [];
    for (const method of ['get', 'head', 'post', 'put', 'patch', 'delete']) {
      if (item[method]) root.appendChild(operation(path, method, item[method], shared));
    }
  }
}
function operation(path, method, op, shared) {
  const section = document.createElement('section');
  const title = document.createElement('h2');
  title.textContent = method.toUpperCase() + ' ' + path + ': ' + (op.summary || '');
  section.appendChild(title);
  const inputs = {};
  for (const p of shared.concat(op.parameters || [])) {
    const label = document.createElement('label');
    label.textContent = p.name + ' (' + p.in + ') ';
    const input = document.createElement('input');
    label.appendChild(input);
    section.appendChild(label);
    inputs[p.name] = { where: p.in, input };
  }
  let body = null;
  if (op.requestBody) {
    body = document.createElement('textarea');
    body.value = '{"title": "a note", "created_by": "me"}';
    section.appendChild(body);
  }
  const send = document.createElement('button');
  send.textContent = 'Send';
  const out = document.createElement('pre');
  send.onclick = async () => {
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    for (const [name, { where, input }] of Object.entries(inputs)) {
      if (input.value === '') continue;
      if (where === 'path') url = url.replace('{' + name + '}', encodeURIComponent(input.value));
      else if (where === 'query') query.append(name, input.value);
      else if (where === 'header') headers[name] = input.value;
    }
    if (String(query)) url += '?' + query;
    const init = { method: method.toUpperCase(), headers };
    if (body) {
      init.body = body.value;
      headers['Content-Type'] = method === 'patch' ? 'application/merge-patch+json' : 'application/json';
    }
    const response = await fetch(url, init);
    const lines = [response.status + ' ' + response.statusText];
    response.headers.forEach((value, name) => lines.push(name + ': ' + value));
    out.textContent = lines.join('\\n') + '\\n\\n' + (await response.text());
  };
  section.appendChild(send);
  section.appendChild(out);
  return section;
}
main().catch((error) => {
  document.getElementById('operations').textContent = 'Could not load /openapi.json: ' + error;
});
`;

const DOCS_ASSETS = {
  '/docs': { type: 'text/html; charset=utf-8', body: page },
  '/docs/docs.css': { type: 'text/css; charset=utf-8', body: style },
  '/docs/docs.js': { type: 'text/javascript; charset=utf-8', body: script },
};

module.exports = { DOCS_ASSETS };
