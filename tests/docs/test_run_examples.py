#!/usr/bin/python3
"""The runnable-docs runner (run_examples.py) itself: it runs marked blocks
against a real tracker with the documented port and binary substituted,
fails on an HTTP error or a failing command naming the file and the line
of the block, refuses a marker on a block that is not shell, and fails
when there is nothing to run (so a broken marker cannot pass silently).

Run: CAIRN_BIN=path/to/cairn /usr/bin/python3 test_run_examples.py [-v]
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "run_examples.py")
BINARY = os.environ.get("CAIRN_BIN") or os.path.join(HERE, "..", "..", "build", "apps", "cairn",
                                                     "cairn")

TOPIC = "0123456789abcdef0123456789abcdef01234567"

GOOD = """# Good

```sh runnable
build/apps/cairn/cairn --version
curl -s http://127.0.0.1:6969/v1/whoami
curl -s -X POST http://127.0.0.1:6969/v1/topics/%s/records -d '{"id": "00112233445566778899aabbccddeeff"}'
```

Not run:

```sh
curl -s http://tracker.example:6969/v1/whoami
```

Blocks of one file share a tracker:

```sh runnable
curl -s http://127.0.0.1:6969/v1/topics/%s/records | grep -q 00112233445566778899aabbccddeeff
```
""" % (TOPIC, TOPIC)

BAD_STATUS = """# Bad

```sh runnable
curl -s http://127.0.0.1:6969/v1/whoami
```

```sh runnable
curl -s http://127.0.0.1:6969/v1/no/such/path
```
"""

BAD_COMMAND = """# Bad

```sh runnable
false
echo never
```
"""

NOT_SHELL = """# Not shell

```python runnable
print(1)
```
"""

NOTHING = """# Nothing

```sh
echo not marked
```
"""


class RunExamplesTest(unittest.TestCase):
    def run_on(self, text):
        with tempfile.TemporaryDirectory(prefix="cairn-docs-test-") as d:
            path = os.path.join(d, "page.md")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([sys.executable, RUNNER, BINARY, path], capture_output=True,
                               text=True, timeout=120)
            return p.returncode, p.stdout, p.stderr, path

    def test_marked_blocks_run_against_a_tracker(self):
        rc, out, err, path = self.run_on(GOOD)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("ok   %s:3" % path, out)
        self.assertIn("ok   %s:17" % path, out)
        self.assertIn("2 runnable examples, 0 failed", out)

    def test_an_http_error_fails_naming_file_and_line(self):
        rc, out, err, path = self.run_on(BAD_STATUS)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("ok   %s:3" % path, out)
        self.assertIn("%s:7: example failed (exit 22)" % path, err)
        self.assertIn('"code":"not_found"', err)  # the body, shown with the failure
        self.assertIn("--- tracker log ---", err)

    def test_a_failing_command_ends_the_block(self):
        rc, out, err, path = self.run_on(BAD_COMMAND)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("%s:3: example failed (exit 1)" % path, err)
        self.assertNotIn("never\n", err.split("--- output ---")[1].split("--- tracker log")[0])

    def test_only_shell_can_be_runnable(self):
        rc, out, err, path = self.run_on(NOT_SHELL)
        self.assertNotEqual(rc, 0)
        self.assertIn("%s:3: only sh or bash blocks can be runnable" % path, err)

    def test_nothing_to_run_is_a_failure(self):
        rc, out, err, _ = self.run_on(NOTHING)
        self.assertNotEqual(rc, 0)
        self.assertIn("no runnable examples", err)


if __name__ == "__main__":
    unittest.main()
