"""Every function's execution role as samtranslator (SAM's own transform) generates it, for
infra/devstack/tests/roles.rs to compare with the devstack's (src/template/role.rs).

Prints one JSON object: by function logical id, its AWS managed policies (names after
`policy/`) and its inline policies, each as its name and the (Effect, Action) of every
statement. Resources are left out: the template's own statements reach both sides as
written, and SAM's generated ones are intrinsics this script does not resolve.

Usage: python sam_roles.py template.yaml
"""

import json
import os
import sys

# samtranslator asks boto for the region of its pseudo parameters.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicyNames:
    """Policies given by name would be looked up in IAM; the template names none."""

    def load(self):
        return {}


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


def main(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # As `sam package` leaves it: every function's code in S3.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://bucket/function.zip"
    parameters = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
    out = transform(template, parameters, NoManagedPolicyNames())
    resources = out["Resources"]
    roles = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        properties = resources[role]["Properties"]
        roles[logical_id] = {
            "managed": [managed_name(arn) for arn in properties.get("ManagedPolicyArns", [])],
            "policies": {p["PolicyName"]: statements(p["PolicyDocument"]) for p in properties.get("Policies", [])},
        }
    json.dump(roles, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
