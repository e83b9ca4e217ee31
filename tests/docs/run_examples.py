#!/usr/bin/python3
"""Runs every shell example in README.md and docs/*.md that is marked
runnable, against a real tracker, so the docs cannot drift from the code.

A runnable example is a fenced block opened with ```sh runnable (the
renderer still highlights it as sh). Everything else is left alone: a
plain ```sh block may hold placeholders, long-running commands or hosts
that do not exist.

For each file with runnable blocks, a fresh `cairn serve --listen
127.0.0.1:0` is started (default configuration, its own temporary folder as
the working directory), and the file's blocks run in order against it with
`bash -e -o pipefail`, so one block may use what an earlier one registered.
Before a block runs:
  - every `:6969` (the documented port) becomes the tracker's real port;
  - `build/apps/cairn/cairn` becomes the binary under test;
  - `curl` is a function adding `--fail-with-body --show-error
    --max-time 10`, so an HTTP error status fails the block.
A block fails on a non-zero exit or after 30 seconds; the runner then names
the file and the line of the block's opening fence, and shows the block as
run, its output and the tracker's log. The tracker must still be running
after a file's blocks and stop cleanly (exit 0) on SIGTERM.

Usage: run_examples.py CAIRN_BIN [FILE.md ...]   (default: README.md docs/*.md)
Standard library only; needs bash and curl.
"""

import os
import pathlib
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTED_PORT = "6969"
DOCUMENTED_BINARY = "build/apps/cairn/cairn"
BLOCK_TIMEOUT = 30.0
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

PRELUDE = """\
curl() { command curl --fail-with-body --show-error --max-time 10 "$@"; }
"""

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")


def die_with_parent():
    """In a child before exec: SIGKILL when the runner dies (a CTest
    timeout, say), so no tracker or example outlives it."""
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Block:
    def __init__(self, path, line, text):
        self.path, self.line, self.text = path, line, text

    def where(self):
        try:
            name = self.path.relative_to(ROOT)
        except ValueError:
            name = self.path
        return "%s:%d" % (name, self.line)


def runnable_blocks(path):
    """The runnable blocks of one Markdown file, with the line of each
    opening fence. A fence whose info string says `runnable` for anything
    but sh or bash is an error, not silently skipped."""
    blocks, lines = [], path.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.groups()
        if fence[0] == "`" and "`" in info:  # inline code, not a fence (CommonMark)
            i += 1
            continue
        words = info.split()
        end = i + 1
        while end < len(lines) and not (lines[end].strip().startswith(fence[0] * len(fence))
                                        and lines[end].strip().strip(fence[0]) == ""):
            end += 1
        if "runnable" in words:
            if words[0] not in ("sh", "bash"):
                raise SystemExit("%s:%d: only sh or bash blocks can be runnable, not %r"
                                 % (path, i + 1, words[0]))
            body = [l[len(indent):] if l.startswith(indent) else l for l in lines[i + 1:end]]
            blocks.append(Block(path, i + 1, "\n".join(body) + "\n"))
        i = end + 1
    return blocks


def substitute(text, port, binary):
    text = re.sub(r":%s(?!\d)" % DOCUMENTED_PORT, ":%d" % port, text)
    return re.sub(r"(?:\./)?" + re.escape(DOCUMENTED_BINARY), binary, text)


class Tracker:
    """`cairn serve` on an ephemeral loopback port, in its own folder."""

    def __init__(self, binary, folder):
        self.log_path = os.path.join(folder, "cairn.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"], cwd=folder, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.log, preexec_fn=die_with_parent)
        self.port = self._read_port()

    def _read_port(self):
        buf, deadline = b"", time.monotonic() + START_TIMEOUT
        while b"listening http" not in buf or not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.kill()
                raise RuntimeError("the tracker did not start: stdout %r\n%s" % (buf, self.log_tail()))
            if select.select([self.proc.stdout], [], [], left)[0]:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    self.proc.wait(timeout=5)
                buf += chunk
        return int(re.search(rb"listening http 127\.0\.0\.1:(\d+)", buf).group(1))

    def log_tail(self, n=3000):
        with open(self.log_path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")

    def stop(self):
        """SIGTERM; the exit code, or None if it had to be killed."""
        code = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        else:
            code = self.proc.returncode
        self.kill()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


def run_block(block, tracker, binary, folder):
    """None if the block succeeds, else a report of what went wrong."""
    script = PRELUDE + substitute(block.text, tracker.port, binary)
    # A session of its own, so a block that times out is ended with
    # everything it started.
    p = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", script], cwd=folder,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True,
                         preexec_fn=die_with_parent)
    try:
        output = p.communicate(timeout=BLOCK_TIMEOUT)[0]
        outcome = None if p.returncode == 0 else "exit %d" % p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        output = p.communicate()[0]
        outcome = "no exit after %.0f s" % BLOCK_TIMEOUT
    if outcome is None:
        return None
    output = output.decode("utf-8", "replace")
    return ("%s: example failed (%s)\n--- as run ---\n%s--- output ---\n%s\n--- tracker log ---\n%s"
            % (block.where(), outcome, script[len(PRELUDE):], output, tracker.log_tail()))


def run_file(blocks, binary):
    """Runs one file's blocks against a fresh tracker; the failures."""
    with tempfile.TemporaryDirectory(prefix="cairn-docs-") as folder:
        tracker = Tracker(binary, folder)
        failures = []
        try:
            for block in blocks:
                report = run_block(block, tracker, binary, folder)
                print("%s %s" % ("FAIL" if report else "ok  ", block.where()), flush=True)
                if report:
                    failures.append(report)
            if tracker.proc.poll() is not None:
                failures.append("%s: the tracker died while its examples ran\n%s"
                                % (blocks[0].path, tracker.log_tail()))
        finally:
            code = tracker.stop()
        if code != 0:
            failures.append("%s: the tracker did not stop cleanly on SIGTERM (exit %r)\n%s"
                            % (blocks[0].path, code, tracker.log_tail()))
        return failures


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    binary = os.path.abspath(argv[1])
    for tool in ("bash", "curl"):
        if not shutil.which(tool):
            raise SystemExit("%s is needed to run the examples (Debian package %s)" % (tool, tool))
    files = [pathlib.Path(a).resolve() for a in argv[2:]] or \
        [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    failures, count = [], 0
    for path in files:
        blocks = runnable_blocks(path)
        count += len(blocks)
        if blocks:
            failures += run_file(blocks, binary)
    if count == 0:
        raise SystemExit("no runnable examples in %s: the marker is a fence opened with "
                         "```sh runnable" % ", ".join(str(f) for f in files))
    for report in failures:
        print("\n" + report, file=sys.stderr)
    print("%d runnable examples, %d failed" % (count, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
