"""Writes what `mock-okta run` exported into $E2E_OUT/env.json, plus GET /__mock/tenant as
$E2E_OUT/tenant.json, and prints a marker line on stdout and on stderr (pass-through check).

    env_dump.py [--exit N]     # exit with status N afterwards (default 0)
    env_dump.py --silent       # send no request to the org itself (`run` then exits 3: nothing was tested)

Unless --silent it also fetches the default server's discovery document, so `run` sees a client that ran.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import requests

from _common import CONTROL_TIMEOUT, env, out_dir

PREFIXES = ("OKTA_", "MOCK_OKTA_")
EXTRA = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exit", type=int, default=0)
    ap.add_argument("--silent", action="store_true")
    args = ap.parse_args()

    print("env_dump: marker on stdout", flush=True)
    print("env_dump: marker on stderr", file=sys.stderr, flush=True)
    d = out_dir()
    if d is not None:
        d.mkdir(parents=True, exist_ok=True)
        exported = {k: v for k, v in os.environ.items() if k.startswith(PREFIXES) or k in EXTRA}
        (d / "env.json").write_text(json.dumps(exported))
        base = env("MOCK_OKTA_URL")
        r = requests.get(base + "/__mock/tenant", timeout=CONTROL_TIMEOUT)
        (d / "tenant.json").write_text(json.dumps({"status": r.status_code, "body": r.json()}))
    if not args.silent:
        issuer = env("OKTA_ISSUER")
        requests.get(issuer + "/.well-known/openid-configuration", timeout=CONTROL_TIMEOUT,
                     verify=os.environ.get("MOCK_OKTA_CA_FILE") or True)
    return args.exit


if __name__ == "__main__":
    sys.exit(main())
