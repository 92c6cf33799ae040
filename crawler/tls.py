"""TLS for sources whose servers send an incomplete certificate chain (adilet.zan.kz).

`ca_cert = "path.pem"` in a source's table makes its crawler verify certificates against
the system's CAs plus that file (e.g. the missing intermediate certificate).
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any

from scrapy.core.downloader.contextfactory import _ScrapyClientContextFactory
from twisted.internet.ssl import Certificate, optionsForClientTLS, trustRootFromCertificates

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def load_certificates(*paths: Path) -> list[Certificate]:
    """Every PEM certificate in the given files."""
    return [
        Certificate.loadPEM(block) for path in paths for block in _PEM.findall(path.read_bytes())
    ]


class ExtraCAContextFactory(_ScrapyClientContextFactory):
    """Verifying TLS with the system's CAs and the source's extra certificate (KUZET_CA_CERT)."""

    def __init__(self, *args: Any, extra_ca: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        system = ssl.get_default_verify_paths().cafile
        paths = [Path(p) for p in (system, extra_ca) if p and Path(p).is_file()]
        self.trust_root = trustRootFromCertificates(load_certificates(*paths))

    @classmethod
    def from_crawler(cls, crawler: Any, method: Any = None, *args: Any, **kwargs: Any) -> Any:
        kwargs["extra_ca"] = crawler.settings.get("KUZET_CA_CERT")
        return super().from_crawler(crawler, method, *args, **kwargs)

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        return optionsForClientTLS(
            hostname.decode("ascii"),
            trustRoot=self.trust_root,
            extraCertificateOptions=self._get_cert_options_kwargs(),
        )
