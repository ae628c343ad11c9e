import type { PacketDefinition } from '../packet.js'
import authorizeByCredentials from './authorize-by-credentials.js'
import authorizeByLicense from './authorize-by-license.js'
import blacklist from './blacklist.js'
import createAccount from './create-account.js'
import createFileDownloadUrl from './create-file-download-url.js'
import deleteSessionValue from './delete-session-value.js'
import getCurrentAccount from './get-current-account.js'
import getCurrentLicense from './get-current-license.js'
import getFileMetadata from './get-file-metadata.js'
import getSessionValue from './get-session-value.js'
import getVariable from './get-variable.js'
import initialize from './initialize.js'
import linkLicense from './link-license.js'
import logout from './logout.js'
import onlineUsersCount from './online-users-count.js'
import setPanelEvents from './set-panel-events.js'
import setSessionValue from './set-session-value.js'
import stopFileTransfer from './stop-file-transfer.js'

/** Every packet the server answers; the dispatcher knows nothing else about them. */
export const packets: PacketDefinition[] = [
  initialize,
  createAccount,
  authorizeByLicense,
  authorizeByCredentials,
  linkLicense,
  logout,
  blacklist,
  createFileDownloadUrl,
  stopFileTransfer,
  getFileMetadata,
  onlineUsersCount,
  getVariable,
  setSessionValue,
  getSessionValue,
  deleteSessionValue,
  getCurrentLicense,
  getCurrentAccount,
  setPanelEvents
]
