import type { Pool, PoolClient } from 'pg'
import { copyOutBinary } from '../db/binary-copy.js'
import { query } from '../db/query.js'

/** A file as the admin API and packet 9 show it: its name and its current version. */
export interface FileRow {
  name: string
  version_id: number
  size: number
  checksum: string
  transfer_count: number
  last_transferred_at: Date | null
  created_at: Date
}

/** What a download needs to know about the version its URL names. */
export interface DownloadRow {
  name: string
  size: number
  checksum: string
  chunk_size: number
}

const FILE_COLUMNS = `f.name, f.version_id, v.size, v.checksum, f.transfer_count, f.last_transferred_at, v.created_at
  FROM files f JOIN file_versions v ON v.id = f.version_id`

/**
 * One upload, one transaction: chunks are written as they arrive and become visible
 * only when `publish` commits, so a failed or abandoned upload leaves nothing behind.
 * It holds a pool connection from `begin` until `publish` or `abort`.
 */
export class FileUpload {
  private seq = 0
  private done = false

  private constructor (private readonly client: PoolClient, private readonly appId: number, private readonly versionId: number) {}

  static async begin (pool: Pool, appId: number, chunkSize: number): Promise<FileUpload> {
    const client = await pool.connect()
    try {
      await query(client, 'BEGIN')
      const { rows } = await query<{ id: number }>(client,
        'INSERT INTO file_versions (app_id, chunk_size) VALUES ($1, $2) RETURNING id', [appId, chunkSize])
      return new FileUpload(client, appId, rows[0]!.id)
    } catch (err) {
      await query(client, 'ROLLBACK').catch(() => {})
      client.release()
      throw err
    }
  }

  async write (chunk: Buffer): Promise<void> {
    await query(this.client, 'INSERT INTO file_chunks (version_id, seq, data) VALUES ($1, $2, $3)',
      [this.versionId, this.seq++, chunk])
  }

  /** Commits and returns the file; undefined (rolled back) when the app's storage limit does not allow it. */
  async publish (name: string, size: number, checksum: string): Promise<FileRow | undefined> {
    const { rows } = await query<{ ok: boolean }>(this.client,
      'SELECT lw_publish_file($1, $2, $3, $4, $5) AS ok', [this.appId, name, this.versionId, size, checksum])
    if (!rows[0]!.ok) {
      await this.abort()
      return undefined
    }
    const file = await query<FileRow>(this.client, `SELECT ${FILE_COLUMNS} WHERE f.version_id = $1`, [this.versionId])
    await query(this.client, 'COMMIT')
    this.finish()
    return file.rows[0]!
  }

  /** Rolls back unless already finished; safe to call more than once. */
  async abort (): Promise<void> {
    if (this.done) return
    try {
      await query(this.client, 'ROLLBACK')
      this.finish()
    } catch (err) {
      // A connection that cannot roll back is not given back to the pool.
      this.finish(err as Error)
    }
  }

  private finish (err?: Error): void {
    this.done = true
    this.client.release(err)
  }
}

export class FilesRepository {
  constructor (private readonly pool: Pool) {}

  /**
   * The secret `name`: the stored one, or `candidate` when there is none yet. Every
   * instance gets the same, however many start at once.
   */
  async secret (name: string, candidate: Buffer): Promise<Buffer> {
    await query(this.pool, 'INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, candidate])
    // A statement of its own: its snapshot sees the row of an instance that won the race.
    const { rows } = await query<{ value: Buffer }>(this.pool, 'SELECT value FROM server_secrets WHERE name = $1', [name])
    return rows[0]!.value
  }

  beginUpload (appId: number, chunkSize: number): Promise<FileUpload> {
    return FileUpload.begin(this.pool, appId, chunkSize)
  }

  /**
   * Bytes the app may still store in a file called `name` (whose own current bytes do
   * not count, as an upload replaces them); undefined for an unknown app.
   */
  async room (appId: number, name: string): Promise<number | undefined> {
    const { rows } = await query<{ room: string }>(this.pool,
      `SELECT a.file_storage_limit_mib::bigint * 1048576 - coalesce((
                SELECT sum(v.size) FROM files f JOIN file_versions v ON v.id = f.version_id
                 WHERE f.app_id = a.id AND f.name <> $2), 0) AS room
         FROM apps a WHERE a.id = $1`, [appId, name])
    return rows[0] === undefined ? undefined : Number(rows[0].room)
  }

  async find (appId: number, name: string): Promise<FileRow | undefined> {
    const { rows } = await query<FileRow>(this.pool, `SELECT ${FILE_COLUMNS} WHERE f.app_id = $1 AND f.name = $2`, [appId, name])
    return rows[0]
  }

  async list (appId: number): Promise<FileRow[]> {
    const { rows } = await query<FileRow>(this.pool, `SELECT ${FILE_COLUMNS} WHERE f.app_id = $1 ORDER BY f.name`, [appId])
    return rows
  }

  /** Removes the name; its version is retired, so a download in progress still finishes. */
  async remove (appId: number, name: string): Promise<boolean> {
    const { rowCount } = await query(this.pool,
      `WITH gone AS (DELETE FROM files WHERE app_id = $1 AND name = $2 RETURNING version_id)
       UPDATE file_versions SET retired_at = clock_timestamp() WHERE id IN (SELECT version_id FROM gone)`, [appId, name])
    return rowCount === 1
  }

  /** The version if it is still its file's current one: a URL for a replaced or deleted file stops working. */
  async download (versionId: number): Promise<DownloadRow | undefined> {
    const { rows } = await query<DownloadRow>(this.pool,
      `SELECT f.name, v.size, v.checksum, v.chunk_size
         FROM files f JOIN file_versions v ON v.id = f.version_id WHERE f.version_id = $1`, [versionId])
    return rows[0]
  }

  /** One chunk's bytes; undefined when the version is gone. Fetched in binary: the hot path of every download. */
  async chunk (versionId: number, seq: number): Promise<Buffer | undefined> {
    if (!Number.isSafeInteger(versionId) || !Number.isSafeInteger(seq)) throw new TypeError('chunk ids must be integers')
    return copyOutBinary(this.pool,
      `COPY (SELECT data FROM file_chunks WHERE version_id = ${versionId} AND seq = ${seq}) TO STDOUT (FORMAT binary)`)
  }

  /** Keeps a version's bytes for at least `ms` more, even once it is retired. */
  async hold (versionId: number, ms: number): Promise<void> {
    await query(this.pool,
      `UPDATE file_versions SET held_until = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
        WHERE id = $1`, [versionId, ms])
  }

  /** A download delivered the last byte; a version replaced meanwhile counts for nothing. */
  async transferred (versionId: number): Promise<void> {
    await query(this.pool,
      `UPDATE files SET transfer_count = transfer_count + 1, last_transferred_at = clock_timestamp()
        WHERE version_id = $1`, [versionId])
  }

  /** Deletes versions retired more than `graceMs` ago that no download holds; returns how many. */
  async sweep (graceMs: number): Promise<number> {
    const { rowCount } = await query(this.pool,
      `DELETE FROM file_versions
        WHERE retired_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
          AND (held_until IS NULL OR held_until < clock_timestamp())`, [graceMs])
    return rowCount ?? 0
  }
}
