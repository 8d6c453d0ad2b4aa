"""Keep the sandbox's state across `python -m sandbox stop` and `start`.

On shutdown the server pickles the moto backends of the workshop's services and the
sandbox's own records (Lambda states and ENIs, CloudTrail events) into
`<state dir>/state.pickle`; at start-up it loads them back. Lambda worker processes are
not kept: the first invoke after a restart is a cold start, as on AWS after an idle spell.
Set SANDBOX_PERSIST=0 to start empty every time.
"""

from __future__ import annotations

import collections
import copyreg
import importlib
import io
import logging
import os
import pickle
import weakref
from pathlib import Path

log = logging.getLogger("sandbox.persistence")

VERSION = 2  # 2: every account (issue 9), not only the default one
# moto backends that hold the workshop's resources.
SERVICES = ["ec2", "iam", "sts", "lambda", "logs", "cloudformation", "cloudtrail", "events", "organizations",
            "sagemaker", "route53", "route53resolver"]  # route53*: notebook 06's Resolver endpoints and zones
# The sandbox's own records: (module, attribute), restored in place so references stay valid.
RECORDS = [
    ("sandbox.cloudtrail", "_EVENTS"),
    ("sandbox.lambda_service", "_STATES"),
    ("sandbox.lambda_service", "_ENIS"),
    ("sandbox.stacksets.models", "_PENDING"),
    ("sandbox.servicequotas", "_applied"),
    ("moto.organizations.models", "organizations_backends.master_accounts"),
]


def _record(module: str, attr: str):
    target = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def enabled() -> bool:
    return os.environ.get("SANDBOX_PERSIST", "1") not in ("0", "false", "no")


def _backend_dict(service: str):
    from moto.backends import get_backend

    return get_backend(service)


def snapshot() -> bytes:
    moto_state = {}
    for service in SERVICES:
        moto_state[service] = {account_id: dict(dict.items(account))
                               for account_id, account in dict.items(_backend_dict(service))}
    records = {}
    for module, attr in RECORDS:
        records[(module, attr)] = _record(module, attr)
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    # moto's Lambda storage indexes functions in WeakValueDictionaries, which pickle cannot take as they are.
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[weakref.WeakValueDictionary] = lambda d: (_weak_values, (dict(d),))
    # ... and keeps aliases in a defaultdict(lambda: {}); a lambda cannot be pickled, the type it builds can.
    pickler.dispatch_table[collections.defaultdict] = _reduce_defaultdict
    pickler.dump({"version": VERSION, "moto": moto_state, "records": records})
    return buf.getvalue()


def _weak_values(items: dict) -> weakref.WeakValueDictionary:
    return weakref.WeakValueDictionary(items)


def _reduce_defaultdict(d: collections.defaultdict):
    factory = d.default_factory
    if factory is not None and "<lambda>" in getattr(factory, "__qualname__", ""):
        factory = type(factory())  # moto's factories build an empty dict or list
    return (collections.defaultdict, (factory,), None, None, iter(d.items()))


def restore(blob: bytes) -> None:
    data = pickle.loads(blob)
    if data.get("version") != VERSION:
        raise ValueError(f"state file version {data.get('version')} is not {VERSION}")
    for service, accounts in data["moto"].items():
        for account_id, regions in accounts.items():
            account = _backend_dict(service)[account_id]
            for region, backend in regions.items():
                account[region] = backend
    for (module, attr), value in data["records"].items():
        target = _record(module, attr)
        target.clear()
        (target.update if isinstance(target, (dict, set)) else target.extend)(value)


def save(path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(snapshot())
    tmp.replace(path)


def load(path: Path) -> bool:
    """Load saved state if there is any; a state file that cannot be read is set aside, not fatal."""
    if not path.exists():
        return False
    try:
        restore(path.read_bytes())
        return True
    except Exception as exc:  # noqa: BLE001 - any unreadable state means starting empty, said loudly
        aside = path.with_suffix(".unreadable")
        path.replace(aside)
        log.warning("could not load the saved sandbox state (%s); starting empty, old state kept in %s", exc, aside)
        return False
