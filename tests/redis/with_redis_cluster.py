#!/usr/bin/python3
"""Runs a command with a fresh Redis Cluster (3 masters, 3 replicas) beside
it: starts the cluster, sets CAIRN_REDIS_SEEDS to its masters
("127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"), runs the command, and stops the
cluster whatever happened. Exits with the command's status; a cluster that
cannot start is a failure (status 1, with the reason), never a skip.

    with_redis_cluster.py -- COMMAND [ARGS...]
"""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis_cluster  # noqa: E402


def main(argv):
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    cluster = redis_cluster.RedisCluster()
    # CTest's timeout and Ctrl-C end us with a signal: stop the cluster then too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        try:
            cluster.start()
        except redis_cluster.ClusterError as e:
            print("could not start a Redis Cluster: %s" % e, file=sys.stderr)
            return 1
        env = dict(os.environ, CAIRN_REDIS_SEEDS=cluster.seeds)
        return subprocess.call(command, env=env)
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
