"""moto_server with DynamoDB transactions made atomic, as in DynamoDB.

moto 5.2.5 applies a TransactWriteItems item by item and, when a condition fails, rolls
back by swapping each table for a deep copy taken before the transaction. That breaks two
things Bazaar depends on:

* Stream readers holding a shard iterator keep reading the *old* table object: they see the
  cancelled transaction's writes as if they had happened (a phantom `StockReserved` for a
  rejected order) and none of the writes that follow.
* moto serves requests on several threads; a write that lands between the copy and the
  swap is silently lost.

A third follows from how moto writes: an UpdateItem of a new item first stores the bare
keys, then applies the expression to that stored item, so a read on another thread can
see an item with no attributes but its keys (a role without its name, in a race test).

This launcher patches the backend before starting the unchanged moto server: every
DynamoDB write, transaction and read (GetItem, Query, Scan; batch and transactional gets
read item by item through GetItem) runs under one lock, so a read sees an item before or
after a write, never halfway; and a transaction first evaluates all of its conditions
against the current state (as DynamoDB does) and is either cancelled before it touches
anything or applied in full. (This also spares moto's deep copy of every
table a transaction touches, which made each transaction slower as tables grew.)

It also takes costs off every request that the integration tests measured with py-spy:
moto's dispatcher lists its package folder (`os.listdir` and an `isdir` per service) and
matches the host against every service's URL patterns for each request, under a lock (a
fifth of moto's CPU in the race tests); here both answers are computed once per host.
EventBridge builds a JSONPath parser (ply's LR tables) for every path of every target's
input for every event it delivers (two fifths of moto's CPU in the 200-order test); here
each path is parsed once. SQS works out every attribute of a queue, counting its messages,
to read its retention period for each message it hands out; here it reads just that. And
`GET /moto-api/data.json?services=ses,sns` serializes only the named services' models
(moto walks every instance it ever tracked, every SQS message and DynamoDB item included,
which grows with the run); without `services` it answers exactly as moto does.

A TransactWriteItems with a `ClientRequestToken` (the SDK sends one, the same in each retry)
is idempotent for ten minutes, as in DynamoDB: a retry of a transaction that succeeded
answers success without applying it again, and the same token with other items is an
`IdempotentParameterMismatchException`. moto ignores the token, so the retry of a
transaction whose answer was lost would be applied twice (or be cancelled by its own
first application's writes).

Run it exactly like moto_server: `python server.py -H 127.0.0.1 -p 4566`; `--quiet` (ours,
first) drops the per-request access log, for test runs that discard it anyway.
"""

import json
import logging
import sys
import threading
import time
from urllib.parse import parse_qs, urlparse

from moto import backends

import enforce

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    DynamodbException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

LOCK = threading.RLock()


def _locked(method):
    def wrapper(self, *args, **kwargs):
        with LOCK:
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _key_of(backend, op_type, op):
    if op_type == "Put":
        table = backend.get_table(op["TableName"])
        attrs = op["Item"]
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
        return key
    return op["Key"]


def _cancellations(backend, transact_items):
    """The per-item cancellation reasons of a transaction, evaluated before any write, or
    None when every condition holds."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen = set()
    reasons = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        key = _key_of(backend, op_type, op)
        unique = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if unique in seen:
            raise MultipleTransactionsException()
        seen.add(unique)
        condition = op.get("ConditionExpression")
        if condition is None:
            reasons.append((None, None, None))
            continue
        current = backend.get_item(op["TableName"], key)
        expression = get_filter_expression(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        )
        if expression.expr(current):
            reasons.append((None, None, None))
        else:
            old = None
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                old = current.to_json()["Attributes"]
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
    if any(code is not None for code, _, _ in reasons):
        return reasons
    return None


def _apply(backend, op_type, op):
    """One write of a transaction whose conditions all hold (checked under the same lock)."""
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                         expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], op["Key"], expression_attribute_names=names,
                            expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(op["TableName"], op["Key"], update_expression=op["UpdateExpression"],
                            expression_attribute_names=names, expression_attribute_values=values)


def transact_write_items(self, transact_items):
    # No table is deep-copied: conditions are evaluated first, then every write applied.
    with LOCK:
        reasons = _cancellations(self, transact_items)
        if reasons is not None:
            raise TransactionCanceledException(reasons)
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            _apply(self, op_type, op)


class IdempotentParameterMismatchException(DynamodbException):
    error_type = ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException"

    def __init__(self):
        super().__init__(
            IdempotentParameterMismatchException.error_type,
            message="The ClientRequestToken was used with other transaction items within the last 10 minutes",
        )


# ClientRequestToken → (the request's items, canonical JSON; when the token expires).
_TOKENS = {}
_TOKEN_SECONDS = 600


def _idempotent_transactions():
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.transact_write_items

    def transact_write_items(self):
        token = self.body.get("ClientRequestToken")
        if token is None:
            return original(self)
        items = json.dumps(self.body["TransactItems"], sort_keys=True)
        now = time.time()
        with LOCK:
            for expired in [t for t, (_, until) in _TOKENS.items() if until < now]:
                del _TOKENS[expired]
            if token in _TOKENS:
                if _TOKENS[token][0] != items:
                    raise IdempotentParameterMismatchException()
                from moto.core.responses import ActionResult

                return ActionResult({})
            # Only a transaction that succeeded is remembered: a cancelled one may be retried.
            result = original(self)
            _TOKENS[token] = (items, now + _TOKEN_SECONDS)
            return result

    DynamoHandler.transact_write_items = transact_write_items


def _cached_dispatch():
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lookup = DomainDispatcherApplication.get_backend_for_host
    known = {}

    def get_backend_for_host(self, host):
        # Only called under the dispatcher's lock; the answer depends on the host alone.
        if host not in known:
            known[host] = lookup(self, host)
        return known[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host


def _parsed_once():
    import functools

    import jsonpath_ng.ext

    # moto.events.utils imports `parse` from jsonpath_ng.ext at each call. A parsed path is
    # not changed by `find`, so one can serve every event.
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)


def _retention_without_counting():
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        retention_period = self.get_queue(queue_name).message_retention_period
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    from moto.core.utils import unix_time

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def _model_data_of_services():
    from moto.moto_api._internal.responses import MotoAPIResponse

    everything = MotoAPIResponse.model_data

    def model_data(self, request, full_url, headers):
        wanted = parse_qs(urlparse(full_url).query).get("services")
        if not wanted:
            return everything(self, request, full_url, headers)
        from moto.core.model_instances import model_data as tracked

        services = {name for value in wanted for name in value.split(",") if name}
        results = {}
        for service in sorted(services & set(tracked)):
            models = tracked[service]
            results[service] = {}
            for name in sorted(models):
                instances = []
                for instance in list(models[name].instances_tracked):
                    fields = {}
                    for attr in dir(instance):
                        if attr.startswith("_"):
                            continue
                        try:
                            value = getattr(instance, attr)
                            json.dumps(value)
                        except (TypeError, AttributeError, ValueError):
                            continue
                        fields[attr] = value
                    instances.append(fields)
                results[service][name] = instances
        return 200, {"Content-Type": "application/javascript"}, json.dumps(results)

    MotoAPIResponse.model_data = model_data


def patch():
    enforce.patch()
    _cached_dispatch()
    _parsed_once()
    _retention_without_counting()
    _model_data_of_services()
    for name in ("put_item", "update_item", "delete_item", "batch_write_item", "get_item", "query", "scan"):
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
    DynamoDBBackend.transact_write_items = transact_write_items
    _idempotent_transactions()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--quiet"]:
        args = args[1:]
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    patch()
    from moto.server import main

    main(args)
