// licensewire admin console: one ES module, no build step, no dependencies.
// Every URL is relative to this page ({prefix}/console/), so the console works
// wherever the plugin is mounted. The admin token lives in sessionStorage and only
// ever travels in the Authorization header.

const API = new URL('../admin/v1/', document.baseURI)
const TOKEN_KEY = 'licensewire.token'
const $ = selector => document.querySelector(selector)

// --- DOM helpers (text only: nothing from the server is ever parsed as HTML) -------

function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'
function svg (tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value))
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  return el
}

const when = iso => iso === null ? '—' : new Date(iso).toLocaleString()

let toastTimer
function toast (message, kind = 'ok') {
  const el = $('#toast')
  el.textContent = message
  el.className = kind
  clearTimeout(toastTimer)
  toastTimer = setTimeout(() => { el.textContent = ''; el.className = '' }, 4000)
}

// --- API ------------------------------------------------------------------------

class ApiError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

function token () {
  return sessionStorage.getItem(TOKEN_KEY)
}

async function api (method, path, body, tokenOverride) {
  const headers = { authorization: `Bearer ${tokenOverride ?? token() ?? ''}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(new URL(path, API), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  if (res.status === 401 && tokenOverride === undefined) {
    signOut('Your token is no longer accepted. Sign in again.')
    throw new ApiError(401, 'signed out')
  }
  const text = await res.text()
  let data
  try {
    data = text === '' ? undefined : JSON.parse(text)
  } catch {
    // Not JSON (a proxy's error page, say): the status tells what happened.
  }
  if (!res.ok) throw new ApiError(res.status, data?.message ?? `HTTP ${res.status}`)
  return data
}

// Every action reports its own failure; 401 has signed out already.
async function attempt (fn, success) {
  try {
    await fn()
    if (success) toast(success)
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return
    toast(err.message, 'error')
  }
}

const appPath = (appId, rest = '') => `apps/${appId}${rest}`
const licensePath = (appId, key, rest = '') => appPath(appId, `/licenses/${encodeURIComponent(key)}${rest}`)

// --- views ----------------------------------------------------------------------

const views = ['signin-view', 'apps-view', 'app-view']
function show (id) {
  for (const view of views) $(`#${view}`).hidden = view !== id
  $('#sign-out').hidden = id === 'signin-view'
}

let live // the open session stream of the app view, if any

function signOut (message) {
  sessionStorage.removeItem(TOKEN_KEY)
  live?.abort()
  live = undefined
  show('signin-view')
  const error = $('#signin-error')
  error.hidden = message === undefined
  error.textContent = message ?? ''
  $('#token').value = ''
  $('#token').focus()
}

async function route () {
  live?.abort()
  live = undefined
  if (token() === null) {
    signOut()
    return
  }
  const match = /^#\/apps\/(\d+)$/.exec(location.hash)
  try {
    if (match !== null) await showApp(Number(match[1]))
    else await showApps()
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) toast(err.message, 'error')
  }
}

// --- sign-in --------------------------------------------------------------------

$('#signin-form').addEventListener('submit', async event => {
  event.preventDefault()
  const value = new FormData(event.target).get('token').trim()
  const error = $('#signin-error')
  error.hidden = true
  try {
    await api('GET', 'apps', undefined, value)
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401
      ? 'That token was not accepted. Check it and try again.'
      : `Could not reach the server: ${err.message}`
    error.hidden = false
    $('#token').select()
    return
  }
  sessionStorage.setItem(TOKEN_KEY, value)
  $('#token').value = ''
  if (location.hash === '' || location.hash === '#') location.hash = '#/apps'
  else await route()
})

$('#sign-out').addEventListener('click', () => {
  signOut()
  history.replaceState(null, '', location.pathname)
})

// --- apps -----------------------------------------------------------------------

async function showApps () {
  const { items } = await api('GET', 'apps')
  // The list has no live counts; each app's detail has them.
  const details = await Promise.all(items.map(app => api('GET', appPath(app.id)).catch(() => app)))
  show('apps-view')
  document.title = 'Apps · licensewire console'
  const body = $('#apps-table tbody')
  body.replaceChildren(...details.map(appRow))
  $('#apps-empty').hidden = items.length > 0
  resetAppForm()
}

function appRow (app) {
  const sessions = app.authorized_sessions === undefined ? `? / ${app.session_limit}` : `${app.authorized_sessions} / ${app.session_limit}`
  return h('tr', { 'data-app-id': app.id },
    h('td', {}, h('a', { href: `#/apps/${app.id}`, class: 'app-name' }, app.name)),
    h('td', {}, h('code', { class: 'key' }, app.websocket_api_key)),
    h('td', { class: 'num' }, sessions),
    h('td', {}, app.paused ? h('span', { class: 'badge warn' }, 'paused') : h('span', { class: 'badge ok' }, 'running')),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => editApp(app) }, 'Edit'),
      h('button', {
        type: 'button',
        class: 'secondary',
        onclick: () => attempt(async () => {
          await api('PATCH', appPath(app.id), { paused: !app.paused })
          await showApps()
        }, app.paused ? `${app.name} resumed` : `${app.name} paused`)
      }, app.paused ? 'Unpause' : 'Pause'),
      h('button', {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          if (!confirm(`Give ${app.name} a new API key? Clients must use the new key to initialize.`)) return
          attempt(async () => { await api('POST', appPath(app.id, '/rotate-key')); await showApps() }, 'Key rotated')
        }
      }, 'Rotate key'),
      h('button', {
        type: 'button',
        class: 'danger',
        onclick: () => {
          if (!confirm(`Delete ${app.name} with all its licenses, accounts and files? This cannot be undone.`)) return
          attempt(async () => { await api('DELETE', appPath(app.id)); await showApps() }, `${app.name} deleted`)
        }
      }, 'Delete')))
}

function resetAppForm () {
  const form = $('#app-form')
  form.reset()
  form.elements.id.value = ''
  $('#app-form-title').textContent = 'Create an app'
  $('#app-form-submit').textContent = 'Create app'
  $('#app-form-cancel').hidden = true
}

function editApp (app) {
  const form = $('#app-form')
  form.elements.id.value = app.id
  form.elements.name.value = app.name
  form.elements.version.value = app.version
  form.elements.session_limit.value = app.session_limit
  form.elements.accounts_limit.value = app.accounts_limit
  $('#app-form-title').textContent = `Edit ${app.name}`
  $('#app-form-submit').textContent = 'Save'
  $('#app-form-cancel').hidden = false
  form.elements.name.focus()
}

$('#app-form-cancel').addEventListener('click', resetAppForm)
$('#app-form').addEventListener('submit', event => {
  event.preventDefault()
  const f = event.target.elements
  const body = { name: f.name.value.trim() }
  if (f.version.value !== '') body.version = f.version.value.trim()
  if (f.session_limit.value !== '') body.session_limit = Number(f.session_limit.value)
  if (f.accounts_limit.value !== '') body.accounts_limit = Number(f.accounts_limit.value)
  const id = f.id.value
  attempt(async () => {
    if (id === '') await api('POST', 'apps', body)
    else await api('PATCH', appPath(id), body)
    await showApps()
  }, id === '' ? `${body.name} created` : `${body.name} saved`)
})

// --- one app --------------------------------------------------------------------

let current // { id, app, cursor, filter }

async function showApp (appId) {
  const app = await api('GET', appPath(appId))
  current = { id: appId, app, cursor: null, filter: { q: '', state: '' } }
  show('app-view')
  document.title = `${app.name} · licensewire console`
  $('#app-title').textContent = app.name
  renderStats(app)
  $('#license-filter').reset()
  $('#license-create').reset()
  $('#created-keys').hidden = true
  $('#sessions-table tbody').replaceChildren()
  $('#account-filter').reset()
  $('#upload-progress-label').hidden = true
  current.accounts = { q: '', cursor: null }
  await Promise.all([loadLicenses(false), loadBlacklist(), loadChart(), loadVariables(), loadAccounts(false), loadFiles()])
  followSessions(appId)
}

function renderStats (app) {
  const stat = (label, value) => [h('dt', {}, label), h('dd', {}, value)]
  $('#app-stats').replaceChildren(
    ...stat('API key', h('code', { class: 'key' }, app.websocket_api_key)),
    ...stat('Version', app.version),
    ...stat('Authorized sessions', h('span', { id: 'stat-authorized' }, `${app.authorized_sessions} / ${app.session_limit}`)),
    ...stat('State', app.paused ? 'paused' : 'running'))
}

// Licenses: keyset paging, filtered by key prefix and state.

async function loadLicenses (more) {
  const { id, filter } = current
  const params = new URLSearchParams({ limit: '50' })
  if (filter.q !== '') params.set('q', filter.q)
  if (filter.state !== '') params.set('state', filter.state)
  if (more && current.cursor !== null) params.set('cursor', current.cursor)
  const page = await api('GET', appPath(id, `/licenses?${params}`))
  const body = $('#licenses-table tbody')
  const rows = page.items.map(licenseRow)
  if (more) body.append(...rows)
  else body.replaceChildren(...rows)
  current.cursor = page.next_cursor
  $('#licenses-more').hidden = page.next_cursor === null
  $('#licenses-empty').hidden = body.children.length > 0
}

const ACTIONS = {
  pause: 'Pause',
  unpause: 'Unpause',
  blacklist: 'Blacklist',
  unblacklist: 'Unblacklist',
  'reset-client': 'Reset client',
  extend: 'Extend',
  reinitialize: 'Reinitialize',
  delete: 'Delete'
}

function licenseRow (license) {
  const select = h('select', { 'aria-label': `Action for ${license.key}`, class: 'license-action' },
    h('option', { value: '' }, 'Action…'),
    ...Object.entries(ACTIONS).map(([value, label]) => h('option', { value }, label)))
  const row = h('tr', { 'data-key': license.key },
    h('td', {}, h('code', { class: 'key' }, license.key)),
    h('td', {}, h('span', { class: `badge state-${license.state}` }, license.state)),
    h('td', {}, license.expires_at === null ? `${Math.round(license.duration_seconds / 86400 * 10) / 10} d once activated` : when(license.expires_at)),
    h('td', {}, license.client_id ?? '—'),
    h('td', {}, h('code', {}, JSON.stringify(license.levels))),
    h('td', { class: 'actions' },
      select,
      h('button', { type: 'button', class: 'secondary', onclick: () => licenseAction(license, select.value, row) }, 'Apply'),
      h('button', { type: 'button', class: 'link', onclick: () => copy(license.key) }, 'Copy')))
  return row
}

async function licenseAction (license, action, row) {
  if (action === '') {
    toast('Choose an action first', 'error')
    return
  }
  const path = licensePath(current.id, license.key)
  let method = 'POST'
  let url = `${path}/${action}`
  let body
  if (action === 'delete') {
    if (!confirm(`Delete license ${license.key}? Sessions holding it lose their authorization.`)) return
    method = 'DELETE'
    url = path
  } else if (action === 'extend') {
    const duration = prompt(`Extend ${license.key} by (e.g. 30d, 1y, 12h):`, '30d')
    if (duration === null || duration.trim() === '') return
    body = { duration: duration.trim() }
  } else if (action === 'blacklist') {
    const comment = prompt(`Blacklist ${license.key}. Comment (optional):`, '')
    if (comment === null) return
    body = comment.trim() === '' ? {} : { comment: comment.trim() }
  } else if (action === 'reinitialize') {
    if (!confirm(`Reinitialize ${license.key}? It goes back to never activated.`)) return
  }
  await attempt(async () => {
    const updated = await api(method, url, body)
    if (updated === undefined) row.remove()
    else row.replaceWith(licenseRow(updated))
    $('#licenses-empty').hidden = $('#licenses-table tbody').children.length > 0
  }, `${ACTIONS[action]}: done`)
}

async function copy (text) {
  try {
    await navigator.clipboard.writeText(text)
    toast('Copied')
  } catch {
    toast('Copying is not allowed here; select the text instead', 'error')
  }
}

$('#license-filter').addEventListener('submit', event => {
  event.preventDefault()
  const f = event.target.elements
  current.filter = { q: f.q.value.trim(), state: f.state.value }
  attempt(() => loadLicenses(false))
})
$('#licenses-more').addEventListener('click', () => attempt(() => loadLicenses(true)))

$('#license-create').addEventListener('submit', event => {
  event.preventDefault()
  const f = event.target.elements
  const body = { count: Number(f.count.value), duration: f.duration.value.trim() }
  if (f.levels.value.trim() !== '') {
    try {
      body.levels = JSON.parse(f.levels.value)
    } catch {
      toast('Levels must be a JSON object, e.g. {"tier":"pro"}', 'error')
      return
    }
  }
  if (f.comment.value.trim() !== '') body.comment = f.comment.value.trim()
  attempt(async () => {
    const { items } = await api('POST', appPath(current.id, '/licenses'), body)
    $('#created-keys-text').value = items.map(l => l.key).join('\n')
    $('#created-keys').hidden = false
    await loadLicenses(false)
  }, `${body.count} license${body.count === 1 ? '' : 's'} created`)
})
$('#copy-keys').addEventListener('click', () => copy($('#created-keys-text').value))

// Client-id blacklist.

async function loadBlacklist () {
  const { items } = await api('GET', appPath(current.id, '/blacklist'))
  $('#blacklist-table tbody').replaceChildren(...items.map(entry => h('tr', { 'data-client-id': entry.client_id },
    h('td', {}, h('code', {}, entry.client_id)),
    h('td', {}, entry.comment ?? '—'),
    h('td', {}, entry.source),
    h('td', {}, when(entry.created_at)),
    h('td', {}, h('button', {
      type: 'button',
      class: 'secondary',
      onclick: () => attempt(async () => {
        await api('DELETE', appPath(current.id, `/blacklist/${encodeURIComponent(entry.client_id)}`))
        await loadBlacklist()
      }, 'Blacklisting lifted')
    }, 'Remove')))))
}

$('#blacklist-form').addEventListener('submit', event => {
  event.preventDefault()
  const f = event.target.elements
  const body = { client_id: f.client_id.value.trim() }
  if (f.comment.value.trim() !== '') body.comment = f.comment.value.trim()
  attempt(async () => {
    await api('POST', appPath(current.id, '/blacklist'), body)
    event.target.reset()
    await loadBlacklist()
  }, `${body.client_id} blacklisted`)
})

// Variables.

async function loadVariables () {
  const { items } = await api('GET', appPath(current.id, '/variables'))
  $('#variables-table tbody').replaceChildren(...items.map(v => {
    const path = appPath(current.id, `/variables/${encodeURIComponent(v.name)}`)
    return h('tr', { 'data-variable': v.name },
      h('td', {}, h('code', {}, v.name)),
      h('td', {}, h('code', { class: 'key' }, v.content.length > 120 ? `${v.content.slice(0, 120)}…` : v.content)),
      h('td', {}, v.protected ? 'yes' : 'no'),
      h('td', {}, when(v.updated_at)),
      h('td', { class: 'actions' },
        h('button', {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            const content = prompt(`New content of ${v.name}:`, v.content)
            if (content === null) return
            attempt(async () => { await api('PATCH', path, { content }); await loadVariables() }, `${v.name} saved`)
          }
        }, 'Edit'),
        h('button', {
          type: 'button',
          class: 'secondary',
          onclick: () => attempt(async () => { await api('PATCH', path, { protected: !v.protected }); await loadVariables() },
            `${v.name} is ${v.protected ? 'no longer' : 'now'} protected`)
        }, v.protected ? 'Unprotect' : 'Protect'),
        h('button', {
          type: 'button',
          class: 'danger',
          onclick: () => {
            if (!confirm(`Delete variable ${v.name}?`)) return
            attempt(async () => { await api('DELETE', path); await loadVariables() }, `${v.name} deleted`)
          }
        }, 'Delete')))
  }))
}

$('#variable-form').addEventListener('submit', event => {
  event.preventDefault()
  const f = event.target.elements
  const body = { name: f.name.value.trim(), content: f.content.value, protected: f.protected.checked }
  attempt(async () => {
    await api('POST', appPath(current.id, '/variables'), body)
    event.target.reset()
    await loadVariables()
  }, `${body.name} added`)
})

// Accounts: search by login prefix, keyset paging.

async function loadAccounts (more) {
  const params = new URLSearchParams({ limit: '50' })
  if (current.accounts.q !== '') params.set('q', current.accounts.q)
  if (more && current.accounts.cursor !== null) params.set('cursor', current.accounts.cursor)
  const page = await api('GET', appPath(current.id, `/accounts?${params}`))
  const rows = page.items.map(accountRow)
  if (more) $('#accounts-table tbody').append(...rows)
  else $('#accounts-table tbody').replaceChildren(...rows)
  current.accounts.cursor = page.next_cursor
  $('#accounts-more').hidden = page.next_cursor === null
}

function accountRow (account) {
  const path = appPath(current.id, `/accounts/${account.id}`)
  const row = h('tr', { 'data-account-id': account.id },
    h('td', {}, account.login),
    h('td', {}, account.licenses.length === 0 ? '—' : account.licenses.map(k => h('span', { class: 'linked' },
      h('code', { class: 'key' }, k),
      h('button', {
        type: 'button',
        class: 'link',
        'aria-label': `Unlink ${k} from ${account.login}`,
        onclick: () => {
          if (!confirm(`Unlink ${k} from ${account.login}? The license stays activated.`)) return
          attempt(async () => {
            row.replaceWith(accountRow(await api('DELETE', `${path}/licenses/${encodeURIComponent(k)}`)))
          }, `${k} unlinked`)
        }
      }, '×')))),
    h('td', {}, account.blacklisted_at !== null ? h('span', { class: 'badge state-blacklisted' }, 'blacklisted') : h('span', { class: 'badge ok' }, 'ok')),
    h('td', {}, when(account.last_login_at)),
    h('td', { class: 'actions' },
      account.blacklisted_at === null
        ? h('button', {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            const comment = prompt(`Blacklist ${account.login}. Comment (optional):`, '')
            if (comment === null) return
            attempt(async () => {
              row.replaceWith(accountRow(await api('POST', `${path}/blacklist`, comment.trim() === '' ? {} : { comment: comment.trim() })))
            }, `${account.login} blacklisted`)
          }
        }, 'Blacklist')
        : h('button', {
          type: 'button',
          class: 'secondary',
          onclick: () => attempt(async () => { row.replaceWith(accountRow(await api('POST', `${path}/unblacklist`))) }, `${account.login} unblacklisted`)
        }, 'Unblacklist'),
      h('button', {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          const key = prompt(`Link a license to ${account.login} (it is activated by the link). Key:`, '')
          if (key === null || key.trim() === '') return
          attempt(async () => {
            row.replaceWith(accountRow(await api('POST', `${path}/licenses`, { key: key.trim() })))
            await loadLicenses(false)
          }, `${key.trim()} linked`)
        }
      }, 'Link license'),
      h('button', {
        type: 'button',
        class: 'danger',
        onclick: () => {
          if (!confirm(`Delete account ${account.login}? Its licenses are unlinked, not deleted.`)) return
          attempt(async () => { await api('DELETE', path); row.remove() }, `${account.login} deleted`)
        }
      }, 'Delete')))
  return row
}

$('#account-filter').addEventListener('submit', event => {
  event.preventDefault()
  current.accounts = { q: event.target.elements.q.value.trim(), cursor: null }
  attempt(() => loadAccounts(false))
})
$('#accounts-more').addEventListener('click', () => attempt(() => loadAccounts(true)))

$('#account-form').addEventListener('submit', event => {
  event.preventDefault()
  const f = event.target.elements
  const body = { login: f.login.value.trim(), password: f.password.value }
  if (f.license.value.trim() !== '') body.licenses = [f.license.value.trim()]
  attempt(async () => {
    await api('POST', appPath(current.id, '/accounts'), body)
    event.target.reset()
    await Promise.all([loadAccounts(false), body.licenses === undefined ? undefined : loadLicenses(false)])
  }, `${body.login} created`)
})

// Files: upload with a progress bar (XMLHttpRequest reports upload progress; fetch does not).

const size = bytes => bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`

async function loadFiles () {
  const { items } = await api('GET', appPath(current.id, '/files'))
  $('#files-table tbody').replaceChildren(...items.map(file => h('tr', { 'data-file': file.name },
    h('td', {}, file.name),
    h('td', { class: 'num' }, size(file.size)),
    h('td', {}, h('code', { title: file.checksum }, `${file.checksum.slice(0, 12)}…`)),
    h('td', { class: 'num' }, file.transfer_count),
    h('td', {}, when(file.created_at)),
    h('td', {}, h('button', {
      type: 'button',
      class: 'danger',
      onclick: () => {
        if (!confirm(`Delete file ${file.name}?`)) return
        attempt(async () => { await api('DELETE', appPath(current.id, `/files/${encodeURIComponent(file.name)}`)); await loadFiles() }, `${file.name} deleted`)
      }
    }, 'Delete')))))
}

function upload (path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', new URL(path, API))
    xhr.setRequestHeader('authorization', `Bearer ${token()}`)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.addEventListener('progress', e => { if (e.lengthComputable) onProgress(e.loaded / e.total) })
    xhr.addEventListener('load', () => {
      if (xhr.status === 401) {
        signOut('Your token is no longer accepted. Sign in again.')
        reject(new ApiError(401, 'signed out'))
        return
      }
      let data
      try { data = JSON.parse(xhr.responseText) } catch { data = undefined }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data)
      else reject(new ApiError(xhr.status, data?.message ?? `HTTP ${xhr.status}`))
    })
    xhr.addEventListener('error', () => reject(new Error('the upload failed')))
    xhr.send(file)
  })
}

$('#file-form').addEventListener('submit', event => {
  event.preventDefault()
  const f = event.target.elements
  const name = f.name.value.trim()
  const file = f.file.files[0]
  if (file === undefined) return
  const bar = $('#upload-progress')
  bar.value = 0
  $('#upload-progress-label').hidden = false
  attempt(async () => {
    try {
      await upload(appPath(current.id, `/files/${encodeURIComponent(name)}`), file, share => { bar.value = Math.round(share * 100) })
      bar.value = 100
    } finally {
      $('#upload-progress-label').hidden = true
    }
    event.target.reset()
    await loadFiles()
  }, `${name} uploaded`)
})

// Chart: the server's sampled series of authorized sessions.

async function loadChart () {
  const { items, interval_s: interval } = await api('GET', appPath(current.id, '/sessions/history'))
  const width = 600
  const height = 140
  const pad = 24
  const end = Date.now()
  const start = end - 3600_000
  const max = Math.max(1, current.app.session_limit === 0 ? 1 : 0, ...items.map(p => p.authorized))
  const x = t => pad + (t - start) / (end - start) * (width - pad * 2)
  const y = v => height - pad - v / max * (height - pad * 2)
  const chart = $('#chart')
  if (items.length === 0) {
    chart.replaceChildren(h('p', { class: 'muted' }, `No samples yet: one is taken every ${interval} s.`))
    return
  }
  const points = items.map(p => `${x(Date.parse(p.at)).toFixed(1)},${y(p.authorized).toFixed(1)}`).join(' ')
  const last = items[items.length - 1]
  chart.setAttribute('aria-label', `Authorized sessions over the last hour: now ${last.authorized}, peak ${Math.max(...items.map(p => p.authorized))}`)
  chart.replaceChildren(svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', 'aria-hidden': 'true' },
    svg('line', { x1: pad, y1: y(0), x2: width - pad, y2: y(0), class: 'axis' }),
    svg('line', { x1: pad, y1: y(max), x2: width - pad, y2: y(max), class: 'grid' }),
    svg('text', { x: 2, y: y(max) + 4, class: 'label' }, max),
    svg('text', { x: 2, y: y(0) + 4, class: 'label' }, 0),
    svg('text', { x: pad, y: height - 4, class: 'label' }, '−60 min'),
    svg('text', { x: width - pad, y: height - 4, class: 'label end' }, 'now'),
    svg('polyline', { points, class: 'line' }),
    ...items.map(p => svg('circle', { cx: x(Date.parse(p.at)).toFixed(1), cy: y(p.authorized).toFixed(1), r: 2.5, class: 'dot' },
      svg('title', {}, `${new Date(p.at).toLocaleTimeString()}: ${p.authorized}`)))))
}

// Live sessions: Server-Sent Events read with fetch() so the token stays in a header.

const sessions = new Map()

function followSessions (appId) {
  const controller = new AbortController()
  live = controller
  sessions.clear()
  const state = $('#live-state')
  const run = async attemptNo => {
    state.textContent = 'connecting…'
    state.className = 'badge'
    try {
      const res = await fetch(new URL(`${appPath(appId, '/sessions/stream')}`, API), {
        headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
        signal: controller.signal
      })
      if (res.status === 401) { signOut('Your token is no longer accepted. Sign in again.'); return }
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`)
      state.textContent = 'live'
      state.className = 'badge ok'
      attemptNo = 0
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      while (true) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let cut
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          handleEvent(buffer.slice(0, cut))
          buffer = buffer.slice(cut + 2)
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return
      console.warn('live sessions stream:', err.message)
    }
    if (controller.signal.aborted) return
    state.textContent = 'reconnecting…'
    state.className = 'badge warn'
    setTimeout(() => { if (!controller.signal.aborted) run(attemptNo + 1) }, Math.min(1000 * 2 ** attemptNo, 10_000))
  }
  run(0)
}

function handleEvent (block) {
  let event = 'message'
  let data = ''
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data += line.slice(6)
  }
  if (data === '') return
  const payload = JSON.parse(data)
  if (event === 'snapshot') {
    sessions.clear()
    for (const s of payload.items) sessions.set(s.id, s)
  } else if (event === 'session') {
    sessions.set(payload.id, payload)
  } else if (event === 'session_end') {
    sessions.delete(payload.id)
  } else {
    return
  }
  renderSessions()
}

function renderSessions () {
  const rows = [...sessions.values()].map(s => h('tr', { 'data-session-id': s.id },
    h('td', {}, h('code', {}, s.client_id)),
    h('td', {}, s.ip_address ?? '—'),
    h('td', {}, s.license !== null ? h('code', {}, s.license) : s.login ?? (s.authorized_at === null ? 'not authorized' : '—')),
    h('td', {}, s.suspended_until !== null ? `${when(s.initialized_at)} (suspended)` : when(s.initialized_at)),
    h('td', {}, h('button', {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        if (!confirm(`Disconnect ${s.client_id}?`)) return
        attempt(() => api('DELETE', appPath(current.id, `/sessions/${s.id}`)), 'Disconnect sent')
      }
    }, 'Disconnect'))))
  $('#sessions-table tbody').replaceChildren(...rows)
  $('#sessions-empty').hidden = rows.length > 0
  const authorized = [...sessions.values()].filter(s => s.authorized_at !== null).length
  const stat = $('#stat-authorized')
  if (stat !== null && current !== undefined) stat.textContent = `${authorized} / ${current.app.session_limit}`
}

window.addEventListener('hashchange', route)
route()
