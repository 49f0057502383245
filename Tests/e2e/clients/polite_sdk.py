"""The well-behaved client: the real okta SDK 3.4.6 listing users with the exported API token.

Configuration comes only from what `mock-okta run` exports (OKTA_CLIENT_ORGURL, OKTA_CLIENT_TOKEN,
and OKTA_TESTING_TESTINGDISABLEHTTPSCHECK for plain http): the SDK waits X-Rate-Limit-Reset − Date + 1 s
after a 429, sends X-Okta-Retry-For / X-Okta-Retry-Count and tries at most 3 times (§2.5).
Exit 0 when the listing succeeded, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import sys

from _common import Recorder, env

SDK_TIMEOUT = 40  # seconds for the whole listing, retries included


async def main() -> int:
    from okta.client import Client as OktaClient

    client = OktaClient({"orgUrl": env("OKTA_CLIENT_ORGURL"), "token": env("OKTA_CLIENT_TOKEN")})
    users, resp, err = await client.list_users()
    rec = Recorder()
    if resp is not None:
        headers = resp.get_headers() if hasattr(resp, "get_headers") else getattr(resp, "headers", {})
        rid = (headers or {}).get("X-Okta-Request-Id")
        if rid:
            rec.seen.append(rid)
    logins = [u.profile.login for u in users or []]
    print(f"polite_sdk: {len(logins)} users, error={err}", flush=True)
    rec.finish(logins=logins, error=None if err is None else str(err))
    return 0 if err is None and logins else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(asyncio.wait_for(main(), SDK_TIMEOUT)))
