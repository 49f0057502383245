"""Retries GET /api/v1/users after 5xx answers with either a constant or a doubling gap.

    backoff_client.py --gaps doubling   # 0.1, 0.2, 0.4, 0.8 … s: exponential backoff
    backoff_client.py --gaps constant   # 0.1 s every time: no backoff

At most --max-tries attempts (default 6); stops at the first answer below 500.
Exit 0 when it ended with a 200.
"""

from __future__ import annotations

import argparse
import sys
import time

import requests

from _common import Recorder, env, ssws_headers

HTTP_TIMEOUT = 10


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gaps", choices=["constant", "doubling"], required=True)
    ap.add_argument("--base", type=float, default=0.1)
    ap.add_argument("--max-tries", type=int, default=6)
    args = ap.parse_args()

    url = env("OKTA_ORG_URL") + "/api/v1/users"
    rec = Recorder()
    gap = args.base
    status = None
    for attempt in range(1, args.max_tries + 1):
        r = requests.get(url, headers=ssws_headers(), timeout=HTTP_TIMEOUT)
        rec.saw(r)
        status = r.status_code
        print(f"backoff_client: attempt {attempt} -> {status}", flush=True)
        if status < 500:
            break
        time.sleep(gap)
        if args.gaps == "doubling":
            gap *= 2
    rec.finish()
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
