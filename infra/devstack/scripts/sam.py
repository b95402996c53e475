"""What SAM's own transform (samtranslator) makes of a template, for the devstack's tests and
`make check`.

    python sam.py roles template.yaml
        Every function's execution role as SAM generates it (in the template and the stacks
        it nests), for tests/roles.rs to compare
        with the devstack's (src/template/role.rs): by function logical id, its AWS managed
        policies (names after `policy/`) and its inline policies, each as its name and the
        (Effect, Action) of every statement. Resources are left out: the template's own
        statements reach both sides as written, and SAM's generated ones are intrinsics this
        script does not resolve.

    python sam.py resources template.yaml
        The CloudFormation resources of the stack after the transform, and of every nested
        stack whose `AWS::Serverless::Application` Location is a local template, by
        template path: {"total": n, "by_type": {type: n}}. CloudFormation refuses a stack of
        more than 500.

    python sam.py count template.yaml
        The same, a line per stack (what `make check` prints).
"""

import json
import logging
import os
import sys
from collections import Counter
from pathlib import Path

# samtranslator asks boto for the region of its pseudo parameters.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.translator.transform import transform  # noqa: E402

# samtranslator records metrics nobody publishes, and warns so once per transform.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)
from samtranslator.yaml_helper import yaml_parse  # noqa: E402


class NoManagedPolicyNames:
    """Policies given by name would be looked up in IAM; the template names none."""

    def load(self):
        return {}


def transformed(path):
    """The template at `path` after SAM's transform, as `sam package` would leave it (every
    function's code and nested template in S3), and the local Location of each nested stack."""
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    nested = []
    for resource in template.get("Resources", {}).values():
        properties = resource.setdefault("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            properties["CodeUri"] = "s3://bucket/function.zip"
        location = properties.get("Location")
        if resource.get("Type") == "AWS::Serverless::Application" and isinstance(location, str):
            nested.append(location)
            properties["Location"] = "https://s3.amazonaws.com/bucket/" + location
    parameters = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
    return nested, transform(template, parameters, NoManagedPolicyNames())


def managed_name(arn):
    text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
    return text.split(":policy/", 1)[1]


def statements(document):
    found = document.get("Statement", [])
    found = found if isinstance(found, list) else [found]
    shapes = []
    for statement in found:
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        shapes.append([statement.get("Effect"), sorted(actions)])
    return shapes


def roles(path, out=None):
    out = {} if out is None else out
    nested, result = transformed(path)
    resources = result["Resources"]
    for location in nested:
        roles(Path(path).parent / location, out)
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        properties = resources[role]["Properties"]
        out[logical_id] = {
            "managed": [managed_name(arn) for arn in properties.get("ManagedPolicyArns", [])],
            "policies": {p["PolicyName"]: statements(p["PolicyDocument"]) for p in properties.get("Policies", [])},
        }
    return out


def resources(path, out=None):
    out = {} if out is None else out
    nested, result = transformed(path)
    counts = Counter(r.get("Type") for r in result["Resources"].values())
    out[str(path)] = {"total": sum(counts.values()), "by_type": dict(sorted(counts.items()))}
    for location in nested:
        resources(Path(path).parent / location, out)
    return out


def count(path):
    for stack, found in resources(path).items():
        kinds = ", ".join(f"{n} {kind.split('::')[-1]}" for kind, n in
                          sorted(found["by_type"].items(), key=lambda kv: -kv[1])[:4])
        print(f"{stack:<40} {found['total']:>4} resources after the SAM transform ({kinds}, ...)")


if __name__ == "__main__":
    command, template = sys.argv[1], sys.argv[2]
    if command == "count":
        count(template)
    else:
        result = {"roles": roles, "resources": resources}[command](template)
        json.dump(result, sys.stdout, indent=1, sort_keys=True)
