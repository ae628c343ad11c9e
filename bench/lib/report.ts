/** One line of the result table. */
export interface Row {
  scenario: string
  metric: string
  licensewire: string
  baseline: string
  ratio: string
  bar: string
  result: '' | 'PASS' | 'FAIL'
}

export const median = (values: number[]): number => {
  const v = values.filter(x => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

export function num (value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export const ms = (value: number): string => Number.isFinite(value) ? `${num(value, value < 10 ? 2 : 1)} ms` : '–'
export const ratio = (a: number, b: number): string => Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–'
export const kib = (bytes: number): string => `${num(bytes / 1024, 1)} KiB`
export const mib = (bytes: number): string => `${num(bytes / 1048576, 1)} MiB`

export function renderTable (rows: Row[]): string {
  const headers: Row = { scenario: 'scenario', metric: 'metric', licensewire: 'licensewire', baseline: 'baseline', ratio: 'ratio', bar: 'bar', result: '' }
  const keys = Object.keys(headers) as (keyof Row)[]
  const widths = keys.map(k => Math.max(k === 'result' ? 4 : headers[k].length, ...rows.map(r => r[k].length)))
  const right = new Set<keyof Row>(['licensewire', 'baseline', 'ratio'])
  const line = (r: Row): string => keys.map((k, i) =>
    right.has(k) ? r[k].padStart(widths[i]!) : r[k].padEnd(widths[i]!)).join('  ').trimEnd()
  const rule = widths.map(w => '-'.repeat(w)).join('  ')
  const out = [line({ ...headers, result: 'PASS' }).replace(/PASS$/, 'pass'), rule]
  let last = ''
  for (const r of rows) {
    if (last !== '' && r.scenario !== '' && r.scenario !== last) out.push('')
    if (r.scenario !== '') last = r.scenario
    out.push(line(r))
  }
  return out.join('\n')
}
