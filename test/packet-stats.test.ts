import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { PacketStats } from '../src/packet-stats.js'
import { createMetrics } from '../src/metrics.js'
import type { Pool } from 'pg'

test('packet stats count outcomes and build a cumulative latency histogram', () => {
  const stats = new PacketStats()
  stats.record('initialize', 1, 0.0004)
  stats.record('initialize', 1, 0.003)
  stats.record('initialize', 600, 2)
  stats.record('logout', 3, 0.0001)
  assert.deepEqual(stats.packets('p', 'h').values, [
    { labels: { type: 'initialize', status: '1' }, value: 2 },
    { labels: { type: 'initialize', status: '600' }, value: 1 },
    { labels: { type: 'logout', status: '3' }, value: 1 }
  ])
  const values = stats.handlerSeconds('h', 'x').values.filter(v => v.labels.type === 'initialize')
  const bucket = (le: number | string) => values.find(v => v.metricName === 'h_bucket' && v.labels.le === le)?.value
  assert.equal(bucket(0.0005), 1)
  assert.equal(bucket(0.0025), 1)
  assert.equal(bucket(0.005), 2)
  assert.equal(bucket(1), 2)
  assert.equal(bucket('+Inf'), 3)
  assert.equal(values.find(v => v.metricName === 'h_count')?.value, 3)
  assert.ok(Math.abs(values.find(v => v.metricName === 'h_sum')!.value - 2.0034) < 1e-9)
})

test('they come out in the Prometheus text of the registry', async () => {
  const pool = { totalCount: 2, idleCount: 1, waitingCount: 0 } as unknown as Pool
  const metrics = createMetrics(pool)
  metrics.packet('get_current_license', 1, 0.002)
  const text = await metrics.registry.metrics()
  assert.ok(metrics.registry instanceof Registry)
  assert.match(text, /^# TYPE licensewire_packets_total counter$/m)
  assert.match(text, /^licensewire_packets_total\{type="get_current_license",status="1"\} 1$/m)
  assert.match(text, /^# TYPE licensewire_handler_seconds histogram$/m)
  assert.match(text, /^licensewire_handler_seconds_bucket\{le="0\.001",type="get_current_license"\} 0$/m)
  assert.match(text, /^licensewire_handler_seconds_bucket\{le="0\.0025",type="get_current_license"\} 1$/m)
  assert.match(text, /^licensewire_handler_seconds_bucket\{le="\+Inf",type="get_current_license"\} 1$/m)
  assert.match(text, /^licensewire_handler_seconds_count\{type="get_current_license"\} 1$/m)
  assert.match(text, /^licensewire_pool_clients\{state="idle"\} 1$/m)
})
