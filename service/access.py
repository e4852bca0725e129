"""Who may call the service. With accounts in the studio, every call but health needs an API token
(`python -m storage.accounts token NAME`), sent as `Authorization: Bearer TOKEN` or, for Label
Studio's "basic auth" setting, as the password of HTTP basic auth. Without accounts (or without a
studio) only this machine may call: the app itself serves no one else then (README, Serving a team).
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import threading

from fastapi import HTTPException, Request

LOCAL = "local"  # who a loopback caller is when the studio has no accounts


class Studio:
    """The studio database, one connection shared by the service's threads under one lock."""

    def __init__(self, path):
        from storage.db import connect

        self.path = path
        self.db = connect(path)
        self.lock = threading.RLock()

    def any_accounts(self) -> bool:
        from storage.accounts import any_accounts

        with self.lock:
            return any_accounts(self.db)

    def holder(self, token: str | None) -> dict | None:
        from storage.api_tokens import holder

        with self.lock:
            return holder(self.db, token)

    def labels(self) -> list[str]:
        from storage.entity_types import known_labels

        with self.lock:
            return list(known_labels(self.db))


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer T`, or the password of `Authorization: Basic ...`."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def caller(request: Request) -> str:
    """The account name the request acts for (LOCAL without accounts); else 401 or 403."""
    studio = request.app.state.studio
    if studio is not None and studio.any_accounts():
        account = studio.holder(bearer_token(request))
        if account is None:
            raise HTTPException(401, "an API token is required: python -m storage.accounts token NAME issues one; "
                                     "send it as 'Authorization: Bearer TOKEN'",
                                headers={"WWW-Authenticate": 'Bearer realm="ner-studio"'})
        return account["name"]
    if not is_loopback(request.client.host if request.client else None):
        raise HTTPException(403, "this studio has no accounts, so only this machine may call the service; "
                                 "add an account (python -m storage.accounts add NAME) and issue a token")
    return LOCAL
