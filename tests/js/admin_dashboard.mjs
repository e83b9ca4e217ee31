// The admin dashboard in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core):
//   node admin_dashboard.mjs http://HOST:PORT/ TORRENTS SCREENSHOT.png
// Opens the page the admin listener serves, waits (at most 30 s) until its
// live torrent count shows TORRENTS and the top-torrents table has rows,
// saves a screenshot, and prints one JSON line: what the DOM showed. Exits
// 0, or 1 with what failed. The page must load nothing but its own files.
import { chromium } from 'playwright-core'

const [url, want, screenshot] = process.argv.slice(2)
if (!url || !want || !screenshot) {
  console.error('usage: node admin_dashboard.mjs http://HOST:PORT/ TORRENTS SCREENSHOT.png')
  process.exit(2)
}

let browser
async function finish (code, why) {
  if (why) console.error(`FAILED: ${why}`)
  if (browser) await browser.close().catch(() => {})
  process.exit(code)
}
const deadline = setTimeout(() => finish(1, 'deadline: 90 s passed'), 90000)

try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--disable-background-networking', '--disable-component-update',
      '--disable-default-apps', '--disable-sync', '--no-first-run']
  })
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  const origin = new URL(url).origin
  const foreign = []
  const errors = []
  page.on('request', (r) => { if (!r.url().startsWith(origin)) foreign.push(r.url()) })
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
  await page.goto(url)
  try {
    await page.waitForFunction(
      (n) => document.getElementById('torrents').textContent === n &&
             document.querySelectorAll('#top tr td').length >= 4,
      want, { timeout: 30000 })
  } catch (e) {
    const shown = await page.evaluate(() => document.getElementById('torrents').textContent)
    await finish(1, `the dashboard shows ${shown} torrents, not ${want}: ${errors.join('; ')}`)
  }
  // Two refreshes at least, so the charts have drawn a line.
  await page.waitForTimeout(2500)
  await page.screenshot({ path: screenshot, fullPage: true })
  const shown = await page.evaluate(() => ({
    torrents: document.getElementById('torrents').textContent,
    status: document.getElementById('status').textContent,
    top: [...document.querySelectorAll('#top tr')].map(
      (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    legend: document.getElementById('throughput-legend').textContent
  }))
  console.log(JSON.stringify({ ...shown, foreign, errors }))
  clearTimeout(deadline)
  await finish(0)
} catch (e) {
  await finish(1, e.stack || String(e))
}
