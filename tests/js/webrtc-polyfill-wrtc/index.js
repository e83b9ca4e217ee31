// webrtc-polyfill's exports, from @roamhq/wrtc.
import { createRequire } from 'node:module'
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc')
export const {
  RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, RTCDataChannel,
  RTCIceTransport, RTCSctpTransport, RTCDtlsTransport, MediaStream, MediaStreamTrack
} = wrtc
export default wrtc
