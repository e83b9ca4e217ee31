// Two WebTorrent peers in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; nothing is downloaded) exchange a file through
// one tracker:
//   node browser_transfer.mjs TRACKER_URL [--size BYTES]
// The seeder's page makes a random file and seeds it with TRACKER_URL as
// its only tracker; the other page, in a browser of its own, gets only the
// magnet link. The downloaded bytes must hash as the seeded ones did.
// Prints one line per step; exits 0, or 1 with what failed. The pages come
// from a server on 127.0.0.1 this script starts; run it where only loopback
// is up (the interop test does: a network namespace of its own).
import { chromium } from 'playwright-core'
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const tracker = process.argv[2]
const sizeAt = process.argv.indexOf('--size')
const size = sizeAt > 0 ? Number(process.argv[sizeAt + 1]) : 256 * 1024
if (!tracker) {
  console.error('usage: node browser_transfer.mjs ws://HOST:PORT [--size BYTES]')
  process.exit(2)
}
const here = dirname(fileURLToPath(import.meta.url))
const files = {
  '/': ['text/html', readFileSync(join(here, 'browser/page.html'))],
  '/webtorrent.min.js': ['text/javascript',
    readFileSync(join(here, 'node_modules/webtorrent/dist/webtorrent.min.js'))]
}

const browsers = []
let server
async function finish (code, why) {
  if (why) console.error(`FAILED: ${why}`)
  for (const b of browsers) await b.close().catch(() => {})
  if (server) server.close()
  process.exit(code)
}
const deadline = setTimeout(() => finish(1, 'deadline: 90 s passed'), 90000)
function step (what) { console.log(`ok: ${what}`) }

server = createServer((req, res) => {
  const f = files[req.url]
  if (!f) { res.writeHead(404); return res.end() }
  res.writeHead(200, { 'Content-Type': f[0] })
  res.end(f[1])
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`

// What loopback WebRTC in headless Chromium needs: host candidates on
// 127.0.0.1, not mDNS names; no media prompt; the test CA's certificate.
const args = [
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--use-fake-ui-for-media-stream',
  '--ignore-certificate-errors',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--no-first-run'
]
async function peer (name) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args })
  browsers.push(browser)
  const context = await browser.newContext({ ignoreHTTPSErrors: true })
  await context.grantPermissions(['camera', 'microphone'], { origin })
  const page = await context.newPage()
  page.on('console', (m) => { if (m.type() === 'error') console.log(`${name} console: ${m.text()}`) })
  page.on('pageerror', (e) => console.log(`${name} page error: ${e.message}`))
  await page.goto(origin + '/')
  await page.waitForFunction(() => window.peerReady === true)
  step(`${name}: page loaded in its own Chromium`)
  return page
}

try {
  const seeder = await peer('seeder')
  const leecher = await peer('leecher')
  const seeded = await seeder.evaluate(async ({ tracker, size }) => {
    const bytes = new Uint8Array(size)
    for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536))
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
      .map((b) => b.toString(16).padStart(2, '0')).join('')
    window.client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
    const torrent = await new Promise((resolve, reject) => {
      window.client.on('error', reject)
      window.client.seed(new File([bytes], 'cairn-test.bin'), { announce: [tracker] }, resolve)
    })
    return { magnet: torrent.magnetURI, digest }
  }, { tracker, size })
  const trackers = new URL(seeded.magnet).searchParams.getAll('tr')
  if (trackers.length !== 1 || trackers[0] !== tracker) {
    await finish(1, `the magnet link names other trackers: ${trackers.join(', ')}`)
  }
  step(`seeder: seeding ${size} bytes, magnet ${seeded.magnet.slice(0, 60)}...`)

  const got = await leecher.evaluate(async (magnet) => {
    const client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
    const torrent = await new Promise((resolve, reject) => {
      client.on('error', reject)
      client.add(magnet, (t) => t.on('done', () => resolve(t)))
    })
    const file = torrent.files[0]
    const bytes = new Uint8Array(await file.arrayBuffer())
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
      .map((b) => b.toString(16).padStart(2, '0')).join('')
    return { digest, length: bytes.length, peers: torrent.numPeers }
  }, seeded.magnet)
  if (got.length !== size || got.digest !== seeded.digest) {
    await finish(1, `downloaded ${got.length} bytes hashing ${got.digest}, seeded ${seeded.digest}`)
  }
  step(`leecher: downloaded all ${got.length} bytes from ${got.peers} peer(s), SHA-256 matches`)
  clearTimeout(deadline)
  await finish(0)
} catch (err) {
  await finish(1, err.message)
}
