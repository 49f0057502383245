"""Runs real client libraries in a fresh Python process, as a user's program would.

Why a separate process: aiohttp (used by okta-jwt-verifier's async path and by the okta SDK)
builds its default verified SSL context once, when `aiohttp.connector` is imported
(aiohttp 3.14: module-level `_SSL_CONTEXT_VERIFIED`).  `SSL_CERT_FILE` therefore has to be in
the environment *before* the process starts, exactly as `mock-okta run --tls` exports it; a
monkeypatched variable in the already-running pytest process never reaches aiohttp.

Usage: python client_worker.py < JOBS_JSON   (prints one JSON array of results on stdout)

Each job is {"op": ..., ...}:
  {"op": "verify_access", "issuer", "audience", "token"}
  {"op": "verify_id", "issuer", "client_id", "token", "nonce"?}
  {"op": "sdk_list_users", "config": {...okta Client config...}}
Each result is {"ok": bool, "error": str|null, "value": any}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback

JOB_TIMEOUT = 20  # seconds per job


async def _run(job: dict) -> object:
    op = job["op"]
    if op == "verify_access":
        from okta_jwt_verifier import AccessTokenVerifier

        v = AccessTokenVerifier(issuer=job["issuer"], audience=job["audience"])
        await v.verify(job["token"])
        return None
    if op == "verify_id":
        from okta_jwt_verifier import IDTokenVerifier

        v = IDTokenVerifier(issuer=job["issuer"], client_id=job["client_id"])
        await v.verify(job["token"], nonce=job.get("nonce"))
        return None
    if op == "sdk_list_users":
        from okta.client import Client as OktaClient

        client = OktaClient(job["config"])
        users, _resp, err = await client.list_users()
        if err is not None:
            raise RuntimeError(f"list_users error: {err}")
        return [u.profile.login for u in users]
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    jobs = json.load(sys.stdin)
    results = []
    for job in jobs:
        try:
            value = asyncio.run(asyncio.wait_for(_run(job), JOB_TIMEOUT))
            results.append({"ok": True, "error": None, "value": value})
        except BaseException as e:  # noqa: BLE001 - report everything to the test
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}",
                            "trace": traceback.format_exc(limit=5), "value": None})
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
