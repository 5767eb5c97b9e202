#!/usr/bin/env bash
# Rebuild assets/plotly-partial.min.js and tools/plotly-bundle/manifest.json from the pinned
# recipe (package.json + package-lock.json: plotly.js and esbuild at exact versions). Install
# scripts are not run: esbuild's binary comes from its platform package in the lockfile.
# Arguments go to build.mjs (--out FILE --manifest FILE to build elsewhere and compare).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
node build.mjs "$@"
