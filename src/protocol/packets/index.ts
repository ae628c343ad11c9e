import type { PacketDefinition } from '../packet.js'
import authorizeByLicense from './authorize-by-license.js'
import getCurrentLicense from './get-current-license.js'
import initialize from './initialize.js'
import logout from './logout.js'
import onlineUsersCount from './online-users-count.js'
import setPanelEvents from './set-panel-events.js'

/** Every packet the server answers; the dispatcher knows nothing else about them. */
export const packets: PacketDefinition[] = [
  initialize,
  authorizeByLicense,
  logout,
  onlineUsersCount,
  getCurrentLicense,
  setPanelEvents
]
