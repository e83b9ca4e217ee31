// The npm bittorrent-tracker server, WebSocket only, for the benchmark's
// side-by-side runs:  node reference_tracker.mjs [PORT]
// Prints "listening ws 127.0.0.1:PORT" once it serves; stops on SIGTERM.
import { Server } from 'bittorrent-tracker'

const server = new Server({ http: false, udp: false, ws: true, stats: false })
server.on('error', (err) => {
  console.error(`error: ${err.message}`)
  process.exit(1)
})
server.on('warning', () => {})
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ws 127.0.0.1:${server.ws.address().port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
