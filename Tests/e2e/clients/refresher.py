"""An OAuth client of the Management API: client_credentials with private_key_jwt (the service app's
OKTA_CLIENT_PRIVATEKEY, as the okta SDKs' PrivateKey mode does; the org authorization server
refuses client secrets for this grant, as Okta does) for okta.users.read, then GET /api/v1/users
with the Bearer token.

    refresher.py [--wait 1.5] [--no-refresh] [--calls 2]

It calls the API, sleeps --wait seconds (long enough for a short-lived token to expire), and calls
again, --calls times in all.  After a 401 it gets a new token and repeats the call once
(well-behaved), or with --no-refresh it resends the same token twice more (misbehaving).
Exit 0 once the plan ran (whatever the answers were: the verdict judges them); the token endpoint
refusing the client is exit 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

import jwt
import requests

from _common import Recorder, env

HTTP_TIMEOUT = 10


def get_token(rec: Recorder) -> str:
    token_url = env("OKTA_ORG_URL") + "/oauth2/v1/token"
    client_id = env("OKTA_CLIENT_CLIENTID")
    now = int(time.time())
    assertion = jwt.encode({"iss": client_id, "sub": client_id, "aud": token_url, "iat": now,
                            "exp": now + 300, "jti": str(uuid.uuid4())},
                           env("OKTA_CLIENT_PRIVATEKEY"), algorithm="RS256")
    r = requests.post(token_url, data={
        "grant_type": "client_credentials", "scope": "okta.users.read",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }, timeout=HTTP_TIMEOUT)
    rec.saw(r)
    if r.status_code != 200:
        sys.exit(f"refresher: token request -> {r.status_code} {r.text[:300]}")
    return r.json()["access_token"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wait", type=float, default=1.5)
    ap.add_argument("--calls", type=int, default=2)
    ap.add_argument("--no-refresh", action="store_true")
    args = ap.parse_args()

    url = env("OKTA_ORG_URL") + "/api/v1/users"
    rec = Recorder()
    token = get_token(rec)
    tokens_used = [token]
    status = None

    def call() -> int:
        r = requests.get(url, headers={"Authorization": "Bearer " + token}, timeout=HTTP_TIMEOUT)
        rec.saw(r)
        print(f"refresher: GET /api/v1/users -> {r.status_code}", flush=True)
        return r.status_code

    for i in range(args.calls):
        if i:
            time.sleep(args.wait)
        status = call()
        if status == 401:
            if args.no_refresh:
                for _ in range(2):
                    time.sleep(0.1)
                    status = call()
            else:
                token = get_token(rec)
                tokens_used.append(token)
                status = call()
    rec.finish(tokens=len(set(tokens_used)), last_status=status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
