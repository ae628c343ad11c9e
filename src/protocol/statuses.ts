/**
 * Response statuses (docs/protocol.md §6). One table for the server and the client SDK:
 * it lives with the SDK, which may import nothing of the server.
 */
export { Status, type StatusCode } from '../client/constants.js'
