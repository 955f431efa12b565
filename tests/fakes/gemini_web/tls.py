"""TLS material for the fake: a throwaway CA and one server certificate for every Google host.

The client verifies certificates against whatever CA bundle the environment names, so the fake
mints its own CA with `trustme`, writes it to a PEM file in a private temp dir and hands that path
out through `FakeGeminiWeb.env`.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import tempfile
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# SNI carries the real host name through the CONNECT tunnel, so the one certificate must cover
# every host the client (or an image download) may contact.
SERVER_NAMES = (
    "gemini.google.com",
    "accounts.google.com",
    "www.google.com",
    "content-push.googleapis.com",
    "lh3.googleusercontent.com",
    "*.google.com",
    "*.googleusercontent.com",
)


class TlsMaterial:
    """A CA (PEM on disk) and a server-side SSL context whose certificate covers `SERVER_NAMES`."""

    def __init__(self) -> None:
        self._ca = trustme.CA(organization_name="gemini-proxy fake Google CA")
        self._cert = self._ca.issue_cert(*SERVER_NAMES)
        self._dir = tempfile.TemporaryDirectory(prefix="fake-gemini-ca-")
        self.ca_path = Path(self._dir.name) / "fake-google-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_path))

    @property
    def server_spki(self) -> str:
        """Base64 SHA-256 of the server certificate's public key: what Chromium's
        `--ignore-certificate-errors-spki-list` takes (it honours no CA file)."""
        cert = x509.load_pem_x509_certificate(self._cert.cert_chain_pems[0].bytes())
        der = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(der).digest()).decode()

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for the HTTPS server; HTTP/1.1 only, which curl negotiates happily."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def cleanup(self) -> None:
        self._dir.cleanup()
