import type { AccountRow } from '../repositories/accounts.js'
import type { AppDetailRow, AppRow } from '../repositories/apps.js'
import type { BlacklistEntryRow } from '../repositories/blacklist.js'
import type { FileRow } from '../repositories/files.js'
import type { LicenseRow } from '../repositories/licenses.js'
import type { SessionListRow } from '../repositories/admin-sessions.js'
import type { SigningKeyRow } from '../repositories/signing-keys.js'
import type { VariableRow } from '../repositories/variables.js'
import type { AccountJson, AppDetailJson, AppJson, BlacklistEntryJson, FileJson, LicenseJson, SessionItemJson, SigningKeyJson, VariableJson } from './schemas.js'

// Rows → API JSON.

const iso = (date: Date): string => date.toISOString()
const isoOrNull = (date: Date | null): string | null => date === null ? null : date.toISOString()

export function appJson (row: AppRow): AppJson {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    websocket_api_key: row.websocket_api_key,
    session_limit: row.session_limit,
    blacklist_limit: row.blacklist_limit,
    accounts_limit: row.accounts_limit,
    accounts_require_license: row.accounts_require_license,
    signed_leases: row.signed_leases,
    paused: row.paused,
    file_storage_limit_mib: row.file_storage_limit_mib,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at)
  }
}

export function appDetailJson (row: AppDetailRow): AppDetailJson {
  return { ...appJson(row), authorized_sessions: row.authorized_sessions, online_sessions: row.online_sessions }
}

export function licenseJson (row: LicenseRow): LicenseJson {
  return {
    key: row.key,
    levels: row.levels,
    comment: row.comment,
    duration_seconds: row.duration_seconds,
    state: row.state,
    activated_at: isoOrNull(row.activated_at),
    expires_at: isoOrNull(row.expires_at),
    paused_at: isoOrNull(row.paused_at),
    blacklisted_at: isoOrNull(row.blacklisted_at),
    blacklist_comment: row.blacklist_comment,
    client_id: row.client_id,
    ip_address: row.ip_address,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at)
  }
}

export function blacklistEntryJson (row: BlacklistEntryRow): BlacklistEntryJson {
  return { client_id: row.client_id, comment: row.comment, source: row.source, created_at: iso(row.created_at) }
}

export function sessionJson (row: SessionListRow): SessionItemJson {
  return {
    id: row.id,
    instance_id: row.instance_id,
    client_id: row.client_id,
    ip_address: row.ip_address,
    license: row.license,
    login: row.login,
    initialized_at: iso(row.initialized_at),
    authorized_at: isoOrNull(row.authorized_at),
    suspended_until: isoOrNull(row.suspended_until)
  }
}

export function variableJson (row: VariableRow): VariableJson {
  return {
    name: row.name,
    content: row.content,
    protected: row.protected,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at)
  }
}

export function accountJson (row: AccountRow): AccountJson {
  return {
    id: Number(row.id),
    login: row.login,
    credentials_type: row.credentials_type,
    comment: row.comment,
    requires_license: row.requires_license,
    blacklisted_at: isoOrNull(row.blacklisted_at),
    blacklist_comment: row.blacklist_comment,
    ip_address: row.ip_address,
    last_login_at: isoOrNull(row.last_login_at),
    licenses: row.licenses,
    time_left: row.time_left === null ? null : Number(row.time_left),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at)
  }
}

export function fileJson (row: FileRow): FileJson {
  return {
    name: row.name,
    size: row.size,
    checksum: row.checksum,
    transfer_count: row.transfer_count,
    last_transferred_at: isoOrNull(row.last_transferred_at),
    created_at: iso(row.created_at)
  }
}

export function signingKeyJson (row: SigningKeyRow): SigningKeyJson {
  return { kid: row.kid, created_at: iso(row.created_at), retired_at: isoOrNull(row.retired_at) }
}
