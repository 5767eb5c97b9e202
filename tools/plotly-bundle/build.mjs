// Builds the dashboard's plotly.js: only the trace types the dashboard draws, from the npm
// plotly.js package's own modules (plotly.js/lib/core plus one module a trace type), bundled and
// minified by the pinned esbuild, the way plotly.js builds its partial bundles (its
// esbuild-config.js and CUSTOM_BUNDLE.md). Writes the bundle into the served assets and the
// recipe, with the bundle's sha256, into manifest.json beside this file.
//
//   node build.mjs [--out FILE] [--manifest FILE]    (build.sh runs `npm ci` first)
//
// Change TRACES when the dashboard draws a new trace type (tests/unit/test_plotly_bundle.py
// compares it with the figures the pages build), run build.sh and commit the three files.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const ASSET = 'assets/plotly-partial.min.js';
// scatter is part of plotly.js/lib/core already; listed because the dashboard draws it
// (plotly.js recommends naming it: CUSTOM_BUNDLE.md).
const TRACES = ['bar', 'choropleth', 'scatter'];
const MODULES = ['plotly.js/lib/core', ...TRACES.map((t) => `plotly.js/lib/${t}`)];

function arg(name, fallback) {
    const i = process.argv.indexOf(name);
    return i > 0 ? path.resolve(process.argv[i + 1]) : fallback;
}

const out = arg('--out', path.join(REPO, ASSET));
const manifestPath = arg('--manifest', path.join(HERE, 'manifest.json'));
const plotlyVersion = JSON.parse(readFileSync(path.join(HERE, 'node_modules/plotly.js/package.json'))).version;

const entry = [
    "'use strict';",
    `var Plotly = require('${MODULES[0]}');`,
    `Plotly.register([${MODULES.slice(1).map((m) => `require('${m}')`).join(', ')}]);`,
    'module.exports = Plotly;',
].join('\n');

// plotly.js's own esbuild options, less what only other trace types need: the GLSL and
// environment plugins (WebGL traces), the inline-CSS plugin (only the MapLibre "map" subplot
// imports CSS: registry.js requires it for trace types of that subplot, none here, so .css
// loads as an empty module) and the stream alias (image probing of WebGL traces).
const options = {
    stdin: { contents: entry, resolveDir: HERE, sourcefile: 'dashboard-plotly.js' },
    bundle: true,
    minify: true,
    format: 'iife',
    globalName: 'Plotly',
    target: 'es2016',
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    loader: { '.css': 'empty' },
    legalComments: 'eof',
    banner: {
        js: `/**\n* plotly.js v${plotlyVersion}, partial bundle: ${TRACES.join(', ')}` +
            '\n* Built by tools/plotly-bundle/build.mjs (recipe: tools/plotly-bundle/manifest.json)' +
            '\n* Copyright 2012-2026, Plotly, Inc. All rights reserved. Licensed under the MIT license\n*/',
    },
    footer: { js: 'window.Plotly = Plotly;' },
    write: false,
    logLevel: 'warning',
};

const result = await esbuild.build(options);
const code = result.outputFiles[0].contents;
writeFileSync(out, code);
const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const { stdin, write, logLevel, ...recipe } = options;
const manifest = {
    asset: ASSET,
    plotly_js: plotlyVersion,
    bundler: `esbuild ${esbuild.version}`,
    traces: TRACES,
    modules: MODULES,
    entry,
    options: recipe,
    package_lock_sha256: sha256(readFileSync(path.join(HERE, 'package-lock.json'))),
    bytes: code.length,
    sha256: sha256(code),
    rebuild: 'tools/plotly-bundle/build.sh',
};
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
console.log(`${path.relative(REPO, out)}: ${code.length} bytes, sha256 ${manifest.sha256}`);
