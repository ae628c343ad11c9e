import pg from 'pg'
import type { CustomTypesConfig, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg'

const INT8 = pg.types.builtins.INT8

// int8 (ids, counts) as numbers: every value we read fits in 2^53. Given with each
// query rather than set with pg.types.setTypeParser, which would change how the
// host's own queries parse int8 too, and which a pool the host passes in may not have.
// Every other type parses as the pg in use says.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format as 'text')
} as CustomTypesConfig

/**
 * pool.query (or a checked-out client's, inside a transaction) with licensewire's type
 * parsing; every repository query goes through here.
 */
export function query<R extends QueryResultRow = QueryResultRow> (db: Pool | PoolClient, text: string, values?: unknown[]): Promise<QueryResult<R>> {
  return db.query<R>({ text, values, types })
}
