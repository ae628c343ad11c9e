/**
 * licensewire/client: a typed, reconnecting, resuming client for the licensewire
 * WebSocket protocol (docs/protocol.md), for Node ≥ 20 (over `ws`) and browsers.
 * Nothing here imports the server. docs/client.md describes the API.
 */
export {
  LicenseClient,
  type LicenseClientOptions, type ReconnectOptions, type KeepAliveOptions,
  type AppInfo, type LicenseInfo, type AccountInfo, type FileDownloadUrl, type FileMetadata,
  type AuthorizeByLicenseOptions, type AuthorizeByCredentialsOptions, type CreateAccountOptions
} from './client.js'
export type { PanelEvent, FrameEvent, CloseEvent, ReconnectingEvent, RestartedEvent, ClientEvents } from './emitter.js'
export type { DownloadOptions, DownloadResult } from './download.js'
export type { BrowserWebSocket, BrowserWebSocketConstructor } from './transport.js'
export { Status, statusName, CloseCode, EventType, PacketType, type StatusName, type StatusCode } from './constants.js'
export {
  StatusError, ClosedError, TimeoutError, InvalidArgumentError, ChecksumError, DownloadError, LeaseError
} from './errors.js'
export { verifyLease, type VerifyLeaseOptions, type LeaseClaims } from './lease.js'
