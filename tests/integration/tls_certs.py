"""A test CA and certificates it signs, made with the openssl command line
in a temporary folder: nothing the tests trust outlives them."""

import os
import shutil
import subprocess


def _openssl(*args, cwd):
    if shutil.which("openssl") is None:
        raise RuntimeError("the TLS tests need the openssl command (Debian package openssl; "
                           "scripts/install-deps.sh installs it)")
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class TestCA:
    """`ca.pem` in `folder`; issue() makes a key and a certificate for
    localhost, 127.0.0.1 and ::1 signed by it."""

    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, "ca.pem")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=Cairn test CA", cwd=folder)
        self.serial = 0

    def issue(self, name, key_type="ec", client=False):
        """(cert_path, key_path) for `name`; key_type "ec" (PKCS#8) or "rsa"
        (the traditional RSA PEM form); `client`: good for TLS clients too
        (a Redis node is one to the others, and Cairn one to Redis)."""
        self.serial += 1
        key, csr, cert = name + "-key.pem", name + ".csr", name + ".pem"
        if key_type == "rsa":
            _openssl("genrsa", "-traditional", "-out", key, "2048", cwd=self.folder)
        else:
            _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-out", key, cwd=self.folder)
        _openssl("req", "-new", "-key", key, "-out", csr, "-subj", "/CN=localhost",
                 cwd=self.folder)
        ext = os.path.join(self.folder, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                    "extendedKeyUsage=serverAuth%s\n" % (",clientAuth" if client else ""))
        _openssl("x509", "-req", "-in", csr, "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                 "-set_serial", str(self.serial), "-days", "2", "-extfile", ext, "-out", cert,
                 cwd=self.folder)
        return os.path.join(self.folder, cert), os.path.join(self.folder, key)
