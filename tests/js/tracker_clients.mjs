// Two npm bittorrent-tracker Clients against one WebSocket tracker:
//   node tracker_clients.mjs ws://127.0.0.1:PORT
//   NODE_EXTRA_CA_CERTS=ca.pem node tracker_clients.mjs wss://127.0.0.1:PORT
// They start (each sending WebRTC offers made by a real WebRTC stack), must
// find each other through the tracker (an offer relayed one way, its answer
// the other, and a data channel that opens), update, scrape (both torrents'
// counts), and stop; then a scrape shows the swarm empty. Prints one line
// per step and exits 0, or 1 with the step that failed. A hard deadline
// keeps a broken tracker from hanging the test.
import { Client } from 'bittorrent-tracker'
import wrtc from '@roamhq/wrtc'
import { randomBytes } from 'node:crypto'

const url = process.argv[2]
if (!url) {
  console.error('usage: node tracker_clients.mjs ws://HOST:PORT')
  process.exit(2)
}

const deadline = setTimeout(() => fail('deadline: 60 s passed'), 60000)
function fail (why) {
  console.error(`FAILED: ${why}`)
  process.exit(1)
}
function step (what) {
  console.log(`ok: ${what}`)
}

const infoHash = randomBytes(20).toString('hex')
const other = randomBytes(20).toString('hex')
// Clients of one process share a socket per tracker URL, and a tracker
// holds one peer id per torrent on a connection: b names the same tracker
// by its other path, so it has a socket (a browser) of its own.
const urls = { a: url, b: url.replace(/\/?$/, '/announce') }
function client (name) {
  const c = new Client({
    infoHash,
    peerId: Buffer.from(('-CT0001-' + name).padEnd(20, name)).subarray(0, 20),
    announce: [urls[name]],
    port: 6881,
    wrtc,
    rtcConfig: { iceServers: [] }
  })
  c.on('error', (err) => fail(`${name} error: ${err.message}`))
  c.warnings = []
  c.on('warning', (err) => c.warnings.push(err.message))
  return c
}

// Resolves with the first `event` of `c` for which `test` holds; fails
// with `why` after 20 s.
function next (c, event, test = () => true, why = event) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => fail(why), 20000)
    const on = (data) => {
      if (!test(data)) return
      clearTimeout(timer)
      c.removeListener(event, on)
      resolve(data)
    }
    c.on(event, on)
  })
}

// A peer both sides connected to: the data channel opened.
function connected (c, name) {
  return new Promise((resolve) => {
    c.on('peer', (peer) => {
      if (peer.connected) return resolve(peer)
      peer.once('connect', () => resolve(peer))
      peer.on('error', () => {})
    })
  }).then((p) => { step(`${name} connected to a peer over WebRTC`); return p })
}

const a = client('a')
const b = client('b')
const aConnected = connected(a, 'a')
const bConnected = connected(b, 'b')

a.start()
const first = await next(a, 'update', () => true, 'a got no announce reply')
if (first.incomplete < 1) fail(`a's first reply counts ${JSON.stringify(first)}`)
step(`a started: complete ${first.complete}, incomplete ${first.incomplete}`)
b.start()
const second = await next(b, 'update', (u) => u.incomplete >= 2, 'b did not see two peers')
step(`b started and sees a: incomplete ${second.incomplete}`)
await Promise.all([aConnected, bConnected])

b.setInterval(0)
b.update()
await next(b, 'update', (u) => u.incomplete + u.complete >= 2, 'b got no reply to its update')
step('b updated')

// Both files' events come in one turn: listen before asking.
const scraped = {}
const bothScraped = next(a, 'scrape', (s) => {
  scraped[s.infoHash] = s
  return Object.keys(scraped).length === 2
}, 'a got no scrape reply for both torrents')
a.scrape({ infoHash: [infoHash, other] })
await bothScraped
if (scraped[infoHash].incomplete !== 2 || scraped[other].incomplete !== 0) {
  fail(`scrape counts ${JSON.stringify(scraped)}`)
}
step('a scraped both torrents: 2 peers in one, none in the other')

// Up to here no request may have been refused.
const early = [...a.warnings, ...b.warnings]
if (early.length) fail(`warnings: ${early.join('; ')}`)
b.stop()
await new Promise((resolve) => setTimeout(resolve, 500))
const afterStop = next(a, 'scrape', () => true, 'a got no scrape after b stopped')
a.scrape()
const after = await afterStop
if (after.incomplete !== 1) fail(`after b stopped: ${JSON.stringify(after)}`)
step('b stopped: a scrape counts 1')

// An answer a was still making to one of b's offers when b stopped is
// refused (b left, its offers with it): the only refusal allowed now.
const late = [...a.warnings, ...b.warnings].filter((w) => !w.startsWith('no such offer'))
if (late.length) fail(`warnings: ${late.join('; ')}`)
a.destroy()
b.destroy()
clearTimeout(deadline)
step('done')
setTimeout(() => process.exit(0), 200)
