import type { PacketDefinition } from '../packet.js'
import authorizeByCredentials from './authorize-by-credentials.js'
import authorizeByLicense from './authorize-by-license.js'
import createAccount from './create-account.js'
import getCurrentAccount from './get-current-account.js'
import getCurrentLicense from './get-current-license.js'
import initialize from './initialize.js'
import linkLicense from './link-license.js'
import logout from './logout.js'
import onlineUsersCount from './online-users-count.js'
import setPanelEvents from './set-panel-events.js'

/** Every packet the server answers; the dispatcher knows nothing else about them. */
export const packets: PacketDefinition[] = [
  initialize,
  createAccount,
  authorizeByLicense,
  authorizeByCredentials,
  linkLicense,
  logout,
  onlineUsersCount,
  getCurrentLicense,
  getCurrentAccount,
  setPanelEvents
]
