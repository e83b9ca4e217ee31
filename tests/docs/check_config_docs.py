"""Every key `cairn serve --print-config` prints is documented in
docs/configuration.md, and every key documented there exists."""
import pathlib
import re
import subprocess
import sys

binary = sys.argv[1]
doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()

printed, section = set(), None
for line in subprocess.run([binary, "serve", "--print-config"], check=True,
                           capture_output=True, text=True).stdout.splitlines():
    if line.startswith("["):
        section = line.strip("[]")
    elif " = " in line and not line.startswith("#"):
        printed.add(f"{section}.{line.split(' = ')[0]}")

documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", doc, re.M))
missing, stale = printed - documented, documented - printed
for key in sorted(missing):
    print(f"undocumented key: {key}")
for key in sorted(stale):
    print(f"documented key that does not exist: {key}")
print(f"{len(printed)} keys checked")
sys.exit(1 if missing or stale else 0)
