"""Under `mock-okta run --tls`: checks that the exported CA bundle lets ordinary clients verify the
mock with *default* settings, and writes what it found to $E2E_OUT/tls.json:

- requests.get(MOCK_OKTA_URL + "/__mock/health") with default verification (REQUESTS_CA_BUNDLE);
- the same for the org's discovery document (a request `run` journals, so the client counts as having run);
- urllib with the stdlib default context (SSL_CERT_FILE);
- the contents of MOCK_OKTA_CA_FILE and SSL_CERT_FILE.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.request

import requests

from _common import env, out_dir

HTTP_TIMEOUT = 10


def main() -> int:
    base = env("MOCK_OKTA_URL")
    result: dict = {"url": base}
    try:
        r = requests.get(base + "/__mock/health", timeout=HTTP_TIMEOUT)
        result["requests"] = {"status": r.status_code, "body": r.json()}
    except Exception as e:  # noqa: BLE001 - reported to the test
        result["requests"] = {"error": f"{type(e).__name__}: {e}"}
    try:
        r = requests.get(base + "/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
        result["discovery"] = {"status": r.status_code}
    except Exception as e:  # noqa: BLE001
        result["discovery"] = {"error": f"{type(e).__name__}: {e}"}
    try:
        with urllib.request.urlopen(base + "/__mock/health", timeout=HTTP_TIMEOUT,
                                    context=ssl.create_default_context()) as resp:
            result["urllib"] = {"status": resp.status}
    except Exception as e:  # noqa: BLE001
        result["urllib"] = {"error": f"{type(e).__name__}: {e}"}
    for var in ("MOCK_OKTA_CA_FILE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        path = os.environ.get(var)
        result[var] = {"path": path, "text": open(path).read() if path and os.path.isfile(path) else None}
    d = out_dir()
    if d is not None:
        d.mkdir(parents=True, exist_ok=True)
        (d / "tls.json").write_text(json.dumps(result))
    print(json.dumps({k: result[k] for k in ("requests", "urllib")}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
