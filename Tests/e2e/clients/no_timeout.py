"""Lists users once with plain requests, with a read timeout or without any.

    no_timeout.py                # no timeout at all: waits as long as the server holds the request
    no_timeout.py --timeout 1    # gives up after 1 s, then tries once more

A request that times out is retried once (a GET is idempotent).  Exit 0 when a 200 came back.
"""

from __future__ import annotations

import argparse
import sys

import requests

from _common import Recorder, env, ssws_headers


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=None)
    args = ap.parse_args()

    url = env("OKTA_ORG_URL") + "/api/v1/users"
    rec = Recorder()
    status = None
    timeouts = 0
    for attempt in range(2):
        try:
            r = requests.get(url, headers=ssws_headers(), timeout=args.timeout)
        except requests.exceptions.Timeout:
            timeouts += 1
            print(f"no_timeout: attempt {attempt + 1} timed out after {args.timeout}s", flush=True)
            continue
        rec.saw(r)
        status = r.status_code
        print(f"no_timeout: attempt {attempt + 1} -> {status}", flush=True)
        break
    rec.finish(timeouts=timeouts)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
