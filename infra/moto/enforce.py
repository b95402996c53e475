"""IAM enforced the way AWS enforces it, on every request to the launcher's moto_server.

moto 5.2.5 can check identity policies (`INITIAL_NO_AUTH_ACTION_COUNT`), but as it stands it
would let through what AWS refuses, and refuse what AWS allows:

* DynamoDB, EventBridge, SNS, SES and SSM requests are checked against the resource `*`, so a
  statement naming a table or a parameter never matches; and a transaction is checked as one
  action, `TransactWriteItems`, where AWS checks each item's `PutItem`, `UpdateItem`,
  `DeleteItem` or `ConditionCheckItem` on its table (and `GetItem` for each item of a
  `TransactGetItems`). Query and Scan on an index are checked on the index's ARN.
* SQS's batch calls are checked as `SendMessageBatch` and the like, where AWS checks
  `SendMessage`, `DeleteMessage`, `ChangeMessageVisibility`.
* `NotResource` is ignored (a statement with it allows everything), actions match
  case-sensitively, and a resource pattern is a regular expression (`.` matches anything).
* A form-encoded request (SNS, STS, IAM) is verified against its form re-encoded from the
  parsed fields, not the bytes that were signed: a Rust SDK request with a space in a
  field (`%20`, where the re-encoding writes `+`) fails with SignatureDoesNotMatch. Here the
  signature is checked over the body as it arrived. A request without a body (SESv2's GET
  and DELETE) is checked as if its parameters had been sent as a form: it never passes.
* A refusal is an XML body with the action alone, where DynamoDB, SQS, EventBridge, SSM and
  SES answer JSON `AccessDeniedException`, naming the action and the resource.

Here every request is checked, from the first one, item by item where AWS does so, on the
ARNs AWS uses; each refusal is answered in the service's own protocol and printed to stderr
as one `IAM REFUSED` line (the devstack shows them). The local cloud has one administrator:
the access key `test` (secret `test`), which every tool and test uses to set up and to look;
it stands in for the Lambda service when it assumes a function's execution role, as only
`lambda.amazonaws.com` may. With `BAZAAR_IAM_LOG=<file>`, every allowed (role, action,
resource) of an assumed role is appended to that file once, as a JSON line: what the
least-privilege test reads. `BAZAAR_IAM_REFUSALS=<file>` appends each refusal's line to that
file too; `BAZAAR_IAM_AUDIT=1` (for finding every missing grant in one run, never in a test)
lets a refused request through after recording it.
"""

import io
import json
import os
import re
import sys
import threading

ACCOUNT = "123456789012"
ADMIN_USER = "local-admin"
ADMIN_KEY = "test"
LAMBDA_SERVICE = "lambda.amazonaws.com"

_LOG_LOCK = threading.Lock()
_LOGGED = set()


def _glob(pattern, value, ignore_case=False):
    """An IAM wildcard match: `*` any run of characters, `?` one; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _matches(element, value, ignore_case=False):
    values = element if isinstance(element, list) else [element]
    return any(_glob(str(v), value, ignore_case) for v in values)


def _statement_result(self, action, resource="*", principal=None, incoming_condition_values=None):
    """moto's IAMPolicyStatement.is_action_permitted with NotResource, case-insensitive
    actions and glob (not regex) matching."""
    from moto.iam.access_control import PermissionResult

    statement = self._statement
    if "NotAction" in statement:
        concerned = not _matches(statement["NotAction"], action, ignore_case=True)
    else:
        concerned = _matches(statement.get("Action", []), action, ignore_case=True)
    if not concerned:
        return PermissionResult.NEUTRAL
    if self.is_unknown_principal(statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal is not None:
        expected = statement.get("Principal")
        if isinstance(expected, dict):
            aws = expected.get("AWS")
            if aws is None or not (aws == "*" or _matches(aws, principal)):
                # A trust policy naming only services (Lambda's): see _trusts.
                return PermissionResult.NEUTRAL
    if not self._check_conditions(incoming_condition_values):
        return PermissionResult.DENIED
    if "NotResource" in statement:
        applies = not _matches(statement["NotResource"], resource)
    elif statement.get("Resource"):
        applies = _matches(statement["Resource"], resource)
    else:
        applies = True  # a trust policy has no Resource
    if not applies:
        return PermissionResult.NEUTRAL
    return PermissionResult.PERMITTED if statement.get("Effect") == "Allow" else PermissionResult.DENIED


def _trusts_lambda(trust_policy):
    """Whether a trust policy lets lambda.amazonaws.com assume the role."""
    statements = json.loads(trust_policy).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else None
        if (statement.get("Effect") == "Allow" and service is not None and _matches(service, LAMBDA_SERVICE)
                and _matches(statement.get("Action", []), "sts:AssumeRole", True)):
            return True
    return False


def _trusts(self, role_arn):
    """May the caller assume `role_arn`? The local administrator stands in for the Lambda
    service: it may assume a role whose trust policy lets lambda.amazonaws.com assume it."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    role = self.backend.get_role_by_arn(role_arn)
    if self._access_key.arn.endswith(f":user/{ADMIN_USER}") and _trusts_lambda(role.assume_role_policy_document):
        return True
    result = IAMPolicy(role.assume_role_policy_document).is_action_permitted(
        self._action, role_arn, self._access_key.arn)
    return result == PermissionResult.PERMITTED


# --- What AWS checks for one request: a list of (action, resource) ---------------------------

def _arn(service, rest, region):
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{rest}"


def _table(name, region):
    if name.startswith("arn:"):
        return name
    return _arn("dynamodb", f"table/{name}", region)


def _dynamodb_checks(action, body, region):
    if action == "TransactWriteItems":
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem"}
        checks = []
        for item in body.get("TransactItems", []):
            for kind, op in item.items():
                checks.append((kinds.get(kind, kind), _table(op.get("TableName", ""), region)))
        return checks
    if action == "TransactGetItems":
        return [("GetItem", _table(op.get("TableName", ""), region))
                for item in body.get("TransactItems", []) for op in item.values()]
    if action in ("BatchGetItem", "BatchWriteItem"):
        return [(action, _table(name, region)) for name in body.get("RequestItems", {})]
    if action in ("Query", "Scan") and body.get("IndexName"):
        return [(action, _table(body.get("TableName", ""), region) + "/index/" + body["IndexName"])]
    if "TableName" in body:
        return [(action, _table(body["TableName"], region))]
    if "ResourceArn" in body:
        return [(action, body["ResourceArn"])]
    return [(action, "*")]


def _streams_checks(action, body, region):
    if "StreamArn" in body:
        return [(action, body["StreamArn"])]
    if action == "GetRecords":
        # The iterator names its stream: moto's iterator ids are "<stream arn>|..." or opaque;
        # resolve through the backend.
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        backend = dynamodbstreams_backends[ACCOUNT][region]
        iterator = backend.shard_iterators.get(body.get("ShardIterator"))
        if iterator is not None:
            return [(action, iterator.stream_shard.table.table_arn + "/stream/" +
                     iterator.stream_shard.table.latest_stream_label)]
    return [(action, "*")]


def _events_checks(action, body, region):
    if action == "PutEvents":
        buses = []
        for entry in body.get("Entries", []):
            bus = entry.get("EventBusName") or "default"
            buses.append(bus if bus.startswith("arn:") else _arn("events", f"event-bus/{bus}", region))
        return [("PutEvents", bus) for bus in dict.fromkeys(buses)]
    if action == "StartReplay":
        return [("StartReplay", _arn("events", f"replay/{body.get('ReplayName', '')}", region)),
                ("StartReplay", body.get("EventSourceArn", "*"))]
    if action in ("PutRule", "DescribeRule", "DeleteRule", "PutTargets", "RemoveTargets", "ListTargetsByRule"):
        name = body.get("Name") or body.get("Rule") or ""
        bus = body.get("EventBusName") or "default"
        rest = f"rule/{name}" if bus == "default" else f"rule/{bus.split('/')[-1]}/{name}"
        return [(action, _arn("events", rest, region))]
    return [(action, "*")]


def _ssm_checks(action, body, region):
    def arn(name):
        name = name.split(":")[0] if not name.startswith("arn:") else name
        if name.startswith("arn:"):
            return name
        return _arn("ssm", "parameter" + (name if name.startswith("/") else "/" + name), region)

    if "Names" in body:
        return [(action, arn(n)) for n in body["Names"]]
    if "Name" in body:
        return [(action, arn(body["Name"]))]
    return [(action, "*")]


def _sqs_checks(action, resource):
    batches = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
               "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
    return [(batches.get(action, action), resource)]


def _sns_checks(action, data, region):
    if action == "Publish":
        target = _first(data, "TopicArn") or _first(data, "TargetArn")
        return [(action, target or "*")]
    topic = _first(data, "TopicArn")
    return [(action, topic or "*")]


def _ses_checks(action, body, region):
    if action == "SendEmail":
        sender = body.get("FromEmailAddress", "")
        address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
        return [(action, _arn("ses", f"identity/{address}", region))]
    return [(action, "*")]


def _first(data, name):
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _json_body(self):
    try:
        raw = self.raw_body
        return json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}


def checks_of(self, service, action, resource):
    """Every (action, resource) AWS authorizes for this request, in the order it would."""
    region = self.region
    target = (self.headers.get("X-Amz-Target") or "").split(".")[0]
    if service == "dynamodb" and target.startswith("DynamoDBStreams"):
        return _streams_checks(action, _json_body(self), region)
    if service == "dynamodb":
        return _dynamodb_checks(action, _json_body(self), region)
    if service == "events":
        return _events_checks(action, _json_body(self), region)
    if service == "ssm":
        return _ssm_checks(action, _json_body(self), region)
    if service == "sqs":
        return _sqs_checks(action, resource)
    if service == "sns":
        return _sns_checks(action, self.data, region)
    if service == "ses":
        return _ses_checks(action, _json_body(self), region)
    return [(action, resource)]


# --- Refusals in the service's own protocol --------------------------------------------------

JSON_SERVICES = {"dynamodb", "events", "ssm", "sqs", "ses", "logs", "kms", "secretsmanager"}


def _refusal(service, principal, action, resource):
    """The error AWS answers a refused request with, in the service's own protocol."""
    from werkzeug.exceptions import HTTPException

    message = (f"User: {principal} is not authorized to perform: {service}:{action} on resource: "
               f"{resource} because no identity-based policy allows the {service}:{action} action")
    error = HTTPException()
    if service in JSON_SERVICES:
        error.code = 403 if service == "ses" else 400
        error.description = json.dumps({"__type": "AccessDeniedException", "message": message})
    else:
        code = "AuthorizationError" if service == "sns" else "AccessDenied"
        error.code = 403
        error.description = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{_xml(message)}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")
    return error


def _xml(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _log_allowed(principal, service, action, resource):
    path = os.environ.get("BAZAAR_IAM_LOG")
    if not path or ":assumed-role/" not in principal:
        return
    role = principal.split(":assumed-role/", 1)[1].split("/", 1)[0]
    key = (role, f"{service}:{action}", resource)
    with _LOG_LOCK:
        if key in _LOGGED:
            return
        _LOGGED.add(key)
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"role": role, "action": key[1], "resource": resource}) + "\n")


def authorize(self, iam_request_cls, resource="*"):
    """Replaces ActionAuthenticatorMixin._authenticate_and_authorize_action: authenticate the
    caller (signature, key, session token), then authorize each (action, resource) AWS
    would, refusing as the service does."""
    from moto.core.exceptions import AccessDeniedError
    from moto.iam.access_control import IAMRequest
    from moto.s3.exceptions import S3AccessDeniedError, BucketAccessDeniedError
    from urllib.parse import urlparse

    parsed_url = urlparse(self.uri)
    path = self.raw_path
    if parsed_url.query:
        path += "?" + parsed_url.query
    action = self._get_action()
    environ = getattr(getattr(self, "normalized_request", None), "environ", {})
    body = environ.get(RAW_BODY, self.raw_body)
    # moto signs `body or data`: a request without a body (a REST GET or DELETE) would be
    # checked as if its parsed parameters had been sent as a form.
    request = iam_request_cls(account_id=self.current_account, method=self.method, path=path,
                              data=self.data if body else {}, body=body, headers=self.headers, action=action)
    request.check_signature()
    service = request._service
    principal = request._access_key.arn
    if iam_request_cls is not IAMRequest:
        # S3: moto's own bucket/key resources and errors.
        try:
            request.check_action_permitted(resource)
        except (S3AccessDeniedError, BucketAccessDeniedError):
            _print_refusal(principal, service, action, resource)
            raise
        _log_allowed(principal, service, action, resource)
        return
    action_name = action[0] if isinstance(action, list) else action
    for checked_action, checked_resource in checks_of(self, service, action_name, resource):
        request._action = f"{service}:{checked_action}"
        try:
            request.check_action_permitted(checked_resource)
        except AccessDeniedError:
            _print_refusal(principal, service, checked_action, checked_resource)
            if os.environ.get("BAZAAR_IAM_AUDIT") != "1":
                raise _refusal(service, principal, checked_action, checked_resource)
        _log_allowed(principal, service, checked_action, checked_resource)


def _print_refusal(principal, service, action, resource):
    line = f"IAM REFUSED {service}:{action} on {resource} for {principal}"
    print(line, file=sys.stderr, flush=True)
    path = os.environ.get("BAZAAR_IAM_REFUSALS")
    if path:
        with _LOG_LOCK, open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


RAW_BODY = "bazaar.raw_body"


def _keep_form_bodies():
    """Keeps a form-encoded request's bytes (werkzeug consumes them parsing the form) for
    the signature check."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        if (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ[RAW_BODY] = body
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


def create_admin():
    """The local administrator: access key `test`, secret `test`, allowed everything."""
    from moto.iam.models import iam_backends

    iam = iam_backends[ACCOUNT]["aws"]
    iam.create_user("us-east-1", ADMIN_USER)
    key = iam.create_access_key(ADMIN_USER)
    key.access_key_id = ADMIN_KEY
    key.secret_access_key = ADMIN_KEY
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(ADMIN_USER, "everything", json.dumps(everything))


MANAGED = ("AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole", "AWSLambdaDynamoDBExecutionRole",
           "AWSXrayWriteOnlyAccess")


def _managed_policies_we_use():
    """moto loads all ~1,300 AWS managed policies or none; SAM attaches these four to functions."""
    from moto.iam import models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    wanted = {name: data[name] for name in MANAGED}

    def init(self):
        return [models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)
                for name, d in wanted.items()]

    models.IAMBackend._init_aws_policies = init
    models.load_iam_aws_managed_policies = lambda: True


def _assumed_roles_by_key():
    """moto finds an assumed role's key by scanning every session ever issued; a test run
    issues thousands. Index them by access key id."""
    from moto.iam import access_control
    from moto.sts.models import STSBackend

    original = STSBackend.assume_role
    index = {}

    def assume_role(self, *args, **kwargs):
        role = original(self, *args, **kwargs)
        index[role.access_key_id] = role
        return role

    STSBackend.assume_role = assume_role

    def init(self, account_id, partition, access_key_id, headers):
        self.account_id = account_id
        self.partition = partition
        role = index.get(access_key_id)
        if role is None:
            raise access_control.CreateAccessKeyFailure(reason="InvalidId")
        self._access_key_id = access_key_id
        self._secret_access_key = role.secret_access_key
        self._session_token = role.session_token
        self._owner_role_name = role.role_arn.split("/")[-1]
        self._session_name = role.session_name
        if headers.get("X-Amz-Security-Token") != self._session_token:
            raise access_control.CreateAccessKeyFailure(reason="InvalidToken")

    access_control.AssumedRoleAccessKey.__init__ = init


def patch():
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam import access_control

    _managed_policies_we_use()
    _assumed_roles_by_key()
    _keep_form_bodies()
    access_control.IAMPolicyStatement.is_action_permitted = _statement_result
    access_control.IAMRequestBase._check_role_trust_relationship = _trusts
    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize
    create_admin()

