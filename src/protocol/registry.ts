import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { PacketDefinition } from './packet.js'

export interface RegisteredPacket {
  definition: PacketDefinition
  check: TypeCheck<TSchema>
}

/** Packet type → definition with its schema compiled once. */
export function createRegistry (packets: PacketDefinition[]): Map<number, RegisteredPacket> {
  const registry = new Map<number, RegisteredPacket>()
  for (const definition of packets) {
    if (registry.has(definition.type)) throw new Error(`packet type ${definition.type} registered twice`)
    registry.set(definition.type, { definition, check: TypeCompiler.Compile(definition.schema) })
  }
  return registry
}
