#!/usr/bin/python3
"""transmission-cli seeds through the tracker to a libtorrent downloader
(http:// and udp:// trackers).

transmission-cli quirks (3.00):
- It is known not to connect out to loopback peers it learns from a
  tracker, so it is the seeder here and the libtorrent downloader, which
  learns transmission's 127.0.0.1 address from the tracker, connects in
  (accepting incoming loopback connections works).
- Its choker unchokes on ~10 s rounds, so the 3 MiB transfer takes ~12 s.
- Discovery other than the tracker is switched off in settings.json in a
  temp --config-dir: dht-enabled, lpd-enabled, pex-enabled false;
  port-forwarding-enabled false plus -M (no UPnP/NAT-PMP); blocklist off.
  Without the temp config dir it would read ~/.config/transmission-cli.
- -p sets the peer port; bind-address-ipv4 127.0.0.1 keeps it on loopback,
  and bind-address-ipv6 ::1.
- Given the complete file in -w, it verifies it and seeds until killed; it
  only announces after that check, so the test waits until the tracker
  lists a seeder before adding the downloader (whose first announce would
  otherwise find nobody, and whose next one is an interval away).
- -ep (encryption preferred, not required) so libtorrent can connect either
  way.

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_transmission.py [-v]
     CAIRN_INTEROP_TRACKER=opentracker /usr/bin/python3 test_transmission.py
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as ic  # noqa: E402

TRANSMISSION = "transmission-cli"


class TransmissionTest(ic.InteropCase):
    def transmission_seeds(self, scheme):
        exe = ic.need_program(TRANSMISSION)
        seed_dir = self.prepare()
        url = self.tracker.http_url if scheme == "http" else self.tracker.udp_url
        tfile = self.torrent_file(url)

        conf = self.dir("transmission-config")
        port = ic.free_tcp_udp_port()
        settings = {
            "dht-enabled": False,
            "lpd-enabled": False,
            "pex-enabled": False,
            "port-forwarding-enabled": False,
            "blocklist-enabled": False,
            "peer-port": port,
            "peer-port-random-on-start": False,
            "bind-address-ipv4": "127.0.0.1",
            "bind-address-ipv6": "::1",
            "rpc-enabled": False,
            "download-dir": seed_dir,
            "incomplete-dir-enabled": False,
            "ratio-limit-enabled": False,
            "idle-seeding-limit-enabled": False,
            "speed-limit-up-enabled": False,
            "speed-limit-down-enabled": False,
            "message-level": 2,
        }
        with open(os.path.join(conf, "settings.json"), "w") as f:
            json.dump(settings, f)
        args = [exe, "-g", conf, "-w", seed_dir, "-p", str(port), "-M", "-B", "-ep", "-U", "-D",
                tfile]
        p = self.children.spawn(args, os.path.join(self.tmp, "transmission.out"),
                                env=dict(os.environ, HOME=self.tmp))
        self.leech_from_seeder(p, "transmission", tfile, scheme)

    def test_transmission_seeds_http(self):
        self.transmission_seeds("http")

    def test_transmission_seeds_udp(self):
        self.transmission_seeds("udp")


if __name__ == "__main__":
    ic.main()
