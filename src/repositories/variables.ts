import type { Pool } from 'pg'
import { query } from '../db/query.js'

/** An app variable as the management API shows it. */
export interface VariableRow {
  name: string
  content: string
  protected: boolean
  created_at: Date
  updated_at: Date
}

/** What packet 11 needs of a variable. */
export interface VariableValue {
  content: string
  protected: boolean
}

export interface NewVariable {
  name: string
  content: string
  protected?: boolean
}

const COLUMNS = 'name, content, protected, created_at, updated_at'

/** App variables (packet 11), set through the management API. */
export class VariablesRepository {
  constructor (private readonly pool: Pool) {}

  /** One primary-key read per packet 11, so an admin change is seen by the next read. */
  async value (appId: number, name: string): Promise<VariableValue | undefined> {
    const { rows } = await query<VariableValue>(this.pool, 
      'SELECT content, protected FROM variables WHERE app_id = $1 AND name = $2', [appId, name])
    return rows[0]
  }

  async list (appId: number): Promise<VariableRow[]> {
    const { rows } = await query<VariableRow>(this.pool, 
      `SELECT ${COLUMNS} FROM variables WHERE app_id = $1 ORDER BY name`, [appId])
    return rows
  }

  async get (appId: number, name: string): Promise<VariableRow | undefined> {
    const { rows } = await query<VariableRow>(this.pool, 
      `SELECT ${COLUMNS} FROM variables WHERE app_id = $1 AND name = $2`, [appId, name])
    return rows[0]
  }

  /** undefined when the app has a variable of that name already. */
  async create (appId: number, variable: NewVariable): Promise<VariableRow | undefined> {
    const { rows } = await query<VariableRow>(this.pool, 
      `INSERT INTO variables (app_id, name, content, protected) VALUES ($1, $2, $3, $4)
       ON CONFLICT (app_id, name) DO NOTHING
       RETURNING ${COLUMNS}`, [appId, variable.name, variable.content, variable.protected ?? false])
    return rows[0]
  }

  /** Absent fields keep their value. */
  async update (appId: number, name: string, patch: { content?: string, protected?: boolean }): Promise<VariableRow | undefined> {
    const { rows } = await query<VariableRow>(this.pool, 
      `UPDATE variables SET content = coalesce($3, content), protected = coalesce($4, protected), updated_at = now()
        WHERE app_id = $1 AND name = $2
       RETURNING ${COLUMNS}`, [appId, name, patch.content ?? null, patch.protected ?? null])
    return rows[0]
  }

  async delete (appId: number, name: string): Promise<boolean> {
    const { rowCount } = await query(this.pool, 'DELETE FROM variables WHERE app_id = $1 AND name = $2', [appId, name])
    return rowCount === 1
  }
}
