"""Calls GET /api/v1/users with a wrong API token, `--attempts` times in a row (default 4),
resending the same bad token after every 401 — what a client that "retries everything" does.
With --attempts 1 it is the well-behaved client: one call, the 401 is reported, no retry.

Exit 0 when every answer was 401 (the program ran as intended), 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time

import requests

from _common import Recorder, env

HTTP_TIMEOUT = 10
BAD_TOKEN = "00definitelyNotAValidApiTokenForThisOrg0000"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=4)
    ap.add_argument("--sleep", type=float, default=0.05)
    args = ap.parse_args()

    url = env("OKTA_ORG_URL") + "/api/v1/users"
    rec = Recorder()
    for attempt in range(1, max(1, min(args.attempts, 20)) + 1):
        r = requests.get(url, headers={"Authorization": "SSWS " + BAD_TOKEN}, timeout=HTTP_TIMEOUT)
        rec.saw(r)
        print(f"hammer_401: attempt {attempt} -> {r.status_code}", flush=True)
        if attempt < args.attempts:
            time.sleep(args.sleep)
    rec.finish()
    return 0 if rec.statuses and all(s == 401 for s in rec.statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
