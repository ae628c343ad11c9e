// `npm start`'s prestart: compiles only when a source is newer than the build, so a
// start after the first does not wait for tsc. The build's own mark is
// dist/src/server.js, which every build writes.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const SOURCES = ['src', 'plugins', 'examples', 'tsconfig.json', 'tsconfig.build.json', 'package.json']
const BUILT = 'dist/src/server.js'

function newest (path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map(name => newest(join(path, name))))
}

let built = -1
try {
  built = statSync(BUILT).mtimeMs
} catch {
  // No build yet.
}
const changed = SOURCES.filter(path => newest(path) > built)
if (changed.length === 0) {
  console.log(`${BUILT} is newer than every source: not building`)
} else {
  console.log(built < 0 ? 'no build yet: building' : `newer than the build: ${changed.join(', ')}; building`)
  const { status } = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' })
  process.exit(status ?? 1)
}
