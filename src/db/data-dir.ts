import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'

/** Something is wrong with the embedded database's directory; `fix` says what to do. */
export class DataDirError extends Error {
  constructor (message: string, readonly fix: string) {
    super(message)
  }
}

export const LOCK_FILE = 'licensewire.lock'

/**
 * Creates the directory and its missing parents one level at a time. Not
 * `mkdir(…, { recursive: true })`: on Node 20 that loops forever on some paths
 * (`/proc/nope`), in the main thread, where not even SIGTERM gets through.
 */
export async function prepareDataDir (dir: string): Promise<void> {
  const missing: string[] = []
  let path = resolve(dir)
  for (;;) {
    const found = await stat(path).catch((err: NodeJS.ErrnoException) => err)
    if (!(found instanceof Error)) {
      if (!found.isDirectory()) {
        throw new DataDirError(path === resolve(dir) ? 'is a file, not a directory' : `${path} is a file, not a directory`,
          'point it at a directory (it is created if missing), or leave it unset for ./data/pglite')
      }
      break
    }
    if (found.code !== 'ENOENT') throw cannot(found)
    missing.unshift(path)
    if (dirname(path) === path) break
    path = dirname(path)
  }
  for (const each of missing) {
    try {
      await mkdir(each)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw cannot(err as NodeJS.ErrnoException)
    }
  }
}

function cannot (err: NodeJS.ErrnoException): DataDirError {
  return new DataDirError(`cannot create or use it (${err.code ?? err.message})`,
    'point it at a directory this user can write, or leave it unset for ./data/pglite')
}

/** A process holds the directory while this exists; release() ends it. */
export interface DataDirLock {
  path: string
  release: () => void
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to another user, and it may well hold the directory.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * An exclusive lock on the data directory: a file created with O_EXCL holding our
 * pid. Two processes on one PGlite directory corrupt it, and PGlite itself does not
 * notice. A lock whose process is gone (killed, or a container's previous run that
 * had our very pid) is stale and taken over.
 */
export function lockDataDir (dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number
    try {
      fd = openSync(path, 'wx', 0o644)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw cannot(err as NodeJS.ErrnoException)
      let pid: number
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
      } catch (readErr) {
        // Released between our open and this read: try again.
        if ((readErr as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw cannot(readErr as NodeJS.ErrnoException)
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirError(`is in use by process ${pid} (lock file ${path})`,
          `stop that process first; the embedded database serves one process only (set DATABASE_URL to run several). If process ${pid} is not licensewire, delete the lock file`)
      }
      try {
        unlinkSync(path)
      } catch (unlinkErr) {
        if ((unlinkErr as NodeJS.ErrnoException).code !== 'ENOENT') throw cannot(unlinkErr as NodeJS.ErrnoException)
      }
      continue
    }
    writeSync(fd, `${process.pid}\n`)
    closeSync(fd)
    let held = true
    const release = (): void => {
      if (!held) return
      held = false
      process.off('exit', release)
      try {
        // Only our own: a lock taken over after ours went stale is not ours to remove.
        if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path)
      } catch {
        // Already gone (removed by hand, say): nothing left to release.
      }
    }
    // Any exit, also process.exit() in a signal handler, frees the directory.
    process.on('exit', release)
    return { path, release }
  }
  throw new DataDirError(`could not take its lock file ${path}`, 'make sure no other process is starting on it at the same time')
}
