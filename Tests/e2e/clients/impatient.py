"""A misbehaving client: lists users with plain requests and retries a 429 after a fixed short sleep,
ignoring X-Rate-Limit-Reset.

    impatient.py [--sleep 0.2] [--max-tries 8] [--retry-headers] [--align 0.85]

--retry-headers adds X-Okta-Retry-For (the failed response's request id) and X-Okta-Retry-Count,
so the same impatience can be judged with correct retry headers.  --align F delays the first
request until the wall clock's fraction of a second is at least F (X-Rate-Limit-Reset and Date are
whole seconds, so this pins where in its second the 429 lands).  Stops at the first non-429.
Exit 0 when it ended with a 200, 1 otherwise.
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
    ap.add_argument("--sleep", type=float, default=0.2)
    ap.add_argument("--max-tries", type=int, default=8)
    ap.add_argument("--retry-headers", action="store_true")
    ap.add_argument("--align", type=float, default=None)
    args = ap.parse_args()

    if args.align is not None:
        deadline = time.monotonic() + 1.5
        while not (args.align <= time.time() % 1 < args.align + 0.05) and time.monotonic() < deadline:
            time.sleep(0.002)

    url = env("OKTA_ORG_URL") + "/api/v1/users"
    rec = Recorder()
    headers = ssws_headers()
    status = None
    for attempt in range(1, args.max_tries + 1):
        r = requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)
        rec.saw(r)
        status = r.status_code
        print(f"impatient: attempt {attempt} -> {status}", flush=True)
        if status != 429:
            break
        if args.retry_headers:
            headers = {**ssws_headers(), "X-Okta-Retry-For": r.headers.get("X-Okta-Request-Id", ""),
                       "X-Okta-Retry-Count": str(attempt)}
        time.sleep(args.sleep)
    rec.finish()
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
