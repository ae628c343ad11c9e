/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`, or any
 * `node --cpu-prof`): top functions by self time, top by inclusive time, and self
 * time per package / area.
 *
 *   npx tsx bench/profile.ts <file.cpuprofile> [--top=25] [--match=substring] [--callers=substring]
 *
 * --match limits the inclusive table to functions whose name or file contains it;
 * --callers shows the call paths (innermost first) that lead to matching functions.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/** Where a frame's code lives: a package, licensewire's own code, node internals, or V8. */
export function area (url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1]!
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]!.replace(/^internal$/, 'internal')
  if (/\/(dist\/)?(src|plugins)\//.test(url)) return 'licensewire'
  if (/\/bench\//.test(url)) return 'bench'
  return url
}

function frameKey (f: CallFrame): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName
  if (f.url === '') return name
  const short = f.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/(dist\/)?(src|plugins)\//, '$2/')
  return `${name}  ${short}:${f.lineNumber + 1}`
}

export interface ProfileSummary {
  /** Call paths into functions matching `callers`, innermost first, by self time. */
  callers: { path: string, ms: number }[]
  totalMs: number
  busyMs: number
  self: { key: string, area: string, ms: number }[]
  inclusive: { key: string, ms: number }[]
  areas: { area: string, ms: number }[]
}

export function summarise (profile: CpuProfile, callersOf?: string, depth = 6): ProfileSummary {
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const node of profile.nodes) {
    byId.set(node.id, node)
    for (const child of node.children ?? []) parent.set(child, node.id)
  }
  const self = new Map<string, { area: string, us: number }>()
  const inclusive = new Map<string, number>()
  const areas = new Map<string, number>()
  const callers = new Map<string, number>()
  let total = 0
  let idle = 0
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0
    const node = byId.get(id)!
    const key = frameKey(node.callFrame)
    const where = area(node.callFrame.url, node.callFrame.functionName)
    total += us
    if (node.callFrame.functionName === '(idle)') idle += us
    const entry = self.get(key) ?? { area: where, us: 0 }
    entry.us += us
    self.set(key, entry)
    areas.set(where, (areas.get(where) ?? 0) + us)
    if (callersOf !== undefined && key.includes(callersOf)) {
      const path: string[] = []
      for (let at = parent.get(id); at !== undefined && path.length < depth; at = parent.get(at)) {
        path.push(frameKey(byId.get(at)!.callFrame).replace(/\s+/g, ' '))
      }
      const p = path.join(' <- ')
      callers.set(p, (callers.get(p) ?? 0) + us)
    }
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = frameKey(byId.get(at)!.callFrame)
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + us)
    }
  })
  return {
    callers: [...callers].map(([path, us]) => ({ path, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
    totalMs: total / 1000,
    busyMs: (total - idle) / 1000,
    self: [...self].map(([key, v]) => ({ key, area: v.area, ms: v.us / 1000 })).sort((a, b) => b.ms - a.ms),
    inclusive: [...inclusive].map(([key, us]) => ({ key, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
    areas: [...areas].map(([where, us]) => ({ area: where, ms: us / 1000 })).sort((a, b) => b.ms - a.ms)
  }
}

function main (): void {
  const args = process.argv.slice(2)
  const file = args.find(a => !a.startsWith('--'))
  if (file === undefined) {
    console.error('usage: npx tsx bench/profile.ts <file.cpuprofile> [--top=25] [--match=substring]')
    process.exit(64)
  }
  const top = Number(args.find(a => a.startsWith('--top='))?.slice(6) ?? 25)
  const match = args.find(a => a.startsWith('--match='))?.slice(8)
  const callersOf = args.find(a => a.startsWith('--callers='))?.slice(10)
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, callersOf)
  const pct = (ms: number): string => `${((100 * ms) / s.busyMs).toFixed(1).padStart(5)} %`
  const ms = (v: number): string => v.toFixed(0).padStart(8)
  console.log(`${basename(file)}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy (not idle); % are of busy time\n`)
  console.log('self time by area')
  for (const a of s.areas.slice(0, 15)) console.log(`${ms(a.ms)} ms ${pct(a.ms)}  ${a.area}`)
  console.log(`\ntop ${top} functions by self time`)
  for (const f of s.self.slice(0, top)) console.log(`${ms(f.ms)} ms ${pct(f.ms)}  ${f.key}`)
  const inclusive = s.inclusive.filter(f => match === undefined || f.key.includes(match))
  console.log(`\ntop ${top} functions by inclusive time${match === undefined ? '' : ` matching "${match}"`}`)
  for (const f of inclusive.slice(0, top)) console.log(`${ms(f.ms)} ms ${pct(f.ms)}  ${f.key}`)
  if (callersOf !== undefined) {
    console.log(`\ncall paths into "${callersOf}" (innermost caller first)`)
    for (const c of s.callers.slice(0, top)) console.log(`${ms(c.ms)} ms ${pct(c.ms)}  ${c.path}`)
  }
}

if (process.argv[1] !== undefined && /profile\.ts$/.test(process.argv[1])) main()
