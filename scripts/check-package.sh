#!/usr/bin/env bash
# The package as a user gets it: `bash scripts/check-package.sh` (needs the npm registry).
#
#   1. build from clean and `npm pack`; the tarball holds dist/, migrations/ (function
#      files included), README.md and LICENSE, and nothing of test/, bench/, .ci/,
#      scripts/ or examples/
#   2. install the tarball into a fresh TypeScript project under /tmp, next to
#      typescript, fastify and @types/node at the versions this repository uses
#   3. compile a host that registers the plugin and uses all four decorators with
#      `tsc --strict --module NodeNext --moduleResolution NodeNext` (library checks on),
#      and check that a misspelled decorator is an error there
#   4. run the compiled host on the embedded database (the optional PGlite packages
#      install by default): migrations found inside node_modules, decorators live
#
# Exits non-zero at the first failing step; the scratch project is removed either way.
set -euo pipefail
exec </dev/null
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"

work="$(mktemp -d /tmp/licensewire-package.XXXXXX)"
trap 'rm -rf "$work"' EXIT
step () { echo; echo "== $*"; }
version () { node -p "require('$repo/node_modules/$1/package.json').version"; }

step "build and pack"
rm -rf dist
# `npm pack` runs the `prepare` script, which builds.
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
tar -tzf "$tarball" | sed 's#^package/##' | sort > "$work/files.txt"
echo "$(wc -l < "$work/files.txt") files in $(basename "$tarball")"
for required in LICENSE README.md package.json dist/src/index.js dist/src/index.d.ts \
  dist/src/db/embedded-worker.js dist/src/cli/main.js migrations/001_init.sql migrations/functions/lw_authorize_license.sql console/index.html console/console.js; do
  grep -qx "$required" "$work/files.txt" || { echo "missing from the package: $required" >&2; exit 1; }
done
if grep -E '^(test|bench|\.ci|scripts|examples|dist/examples|src|plugins)/' "$work/files.txt"; then
  echo "the package holds files it should not (above)" >&2
  exit 1
fi

step "install into a fresh project"
host="$work/host"
mkdir -p "$host"
cd "$host"
cat > package.json <<'JSON'
{ "name": "licensewire-host-check", "version": "1.0.0", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --loglevel=error "$tarball" \
  "typescript@$(version typescript)" "fastify@$(version fastify)" "@types/node@$(version @types/node)"

cat > host.ts <<'TS'
import Fastify from 'fastify'
import licensewire, { startEmbeddedPostgres, type LicensewireOptions } from 'licensewire'

const db = await startEmbeddedPostgres('memory')
const app = Fastify()
const options: LicensewireOptions = { connectionString: db.connectionString, poolMax: 1, events: 'local' }
await app.register(licensewire, options)
await app.ready()

const instanceId: string = app.licensewireHub.instanceId
const apps: number = await app.licensewireDb.repos.apps.count()
const metrics: string = await app.licensewireMetrics.registry.metrics()
await app.licensewireEvents.publish({ type: 'app_paused', appId: 1 })
console.log(JSON.stringify({ instanceId, apps, metricsLines: metrics.split('\n').length }))

await app.close()
await db.stop()
TS
sed 's/app\.licensewireHub\.instanceId/app.licensewireHubb.instanceId/' host.ts > misspelled.ts

TSC=(npx --no-install tsc --strict --module NodeNext --moduleResolution NodeNext --target ES2022 --types node)

step "tsc --strict --module NodeNext --moduleResolution NodeNext host.ts"
"${TSC[@]}" --outDir out host.ts
echo "compiled without errors"

step "a misspelled decorator does not compile"
if "${TSC[@]}" --noEmit misspelled.ts > misspelled.log 2>&1; then
  echo "misspelled.ts compiled: the decorators are not checked" >&2
  exit 1
fi
cat misspelled.log
grep -Eq "error TS(2339|2551): Property 'licensewireHubb' does not exist on type 'FastifyInstance" misspelled.log

step "run the compiled host"
node out/host.js

echo
echo "package check passed"
