"""moto_server with DynamoDB transactions made atomic, as in DynamoDB.

moto 5.2.5 applies a TransactWriteItems item by item and, when a condition fails, rolls
back by swapping each table for a deep copy taken before the transaction. That breaks two
things Bazaar depends on:

* Stream readers holding a shard iterator keep reading the *old* table object: they see the
  cancelled transaction's writes as if they had happened (a phantom `StockReserved` for a
  rejected order) and none of the writes that follow.
* moto serves requests on several threads; a write that lands between the copy and the
  swap is silently lost.

This launcher patches the backend before starting the unchanged moto server: every
DynamoDB write and transaction runs under one lock, and a transaction first evaluates all
of its conditions against the current state (as DynamoDB does) and is either cancelled
before it touches anything or applied in full. (This also spares moto's deep copy of every
table a transaction touches, which made each transaction slower as tables grew.) Run it exactly like moto_server: `python server.py -H 127.0.0.1 -p 4566`.
"""

import sys
import threading

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

WRITE_LOCK = threading.RLock()


def _locked(method):
    def wrapper(self, *args, **kwargs):
        with WRITE_LOCK:
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
    with WRITE_LOCK:
        reasons = _cancellations(self, transact_items)
        if reasons is not None:
            raise TransactionCanceledException(reasons)
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            _apply(self, op_type, op)


def patch():
    for name in ("put_item", "update_item", "delete_item", "batch_write_item"):
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
    DynamoDBBackend.transact_write_items = transact_write_items


if __name__ == "__main__":
    patch()
    from moto.server import main

    main(sys.argv[1:])
