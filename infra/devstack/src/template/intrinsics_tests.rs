//! Unit tests of intrinsic resolution against a small template.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use super::intrinsics::Resolver;
use super::yaml;

const TEMPLATE: &str = r#"
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [a, a]]
  Either: !Or [!Condition IsProd, {Fn::Equals: [x, y]}]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: { TableName: !Sub "bazaar-${Stage}-t" }
  Queue:
    Type: AWS::SQS::Queue
    Properties: { FifoQueue: true }
  Topic:
    Type: AWS::SNS::Topic
  Fn:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: my-bin } }
Cases:
  sub: !Sub "${Stage}-${AWS::Region}-${!Literal}-${Table}-${Queue.QueueName}"
  sub_vars: !Sub ["${Greeting}, ${Stage}", {Greeting: !Ref Topic}]
  att_dot: !GetAtt Table.Arn
  att_list: !GetAtt [Queue, Arn]
  stream: {Fn::GetAtt: [Table, StreamArn]}
  url: !Ref Queue
  fn_ref: !Ref Fn
  fn_arn: !GetAtt Fn.Arn
  join: !Join [",", [a, !Ref Stage, 3]]
  join_list: !Join ["|", !Ref Origins]
  select: !Select [1, !Split [",", "x,y,z"]]
  select_list: !Select ["0", !Ref Origins]
  if_prod: !If [IsProd, big, small]
  if_novalue: {Key: !If [NotProd, !Ref "AWS::NoValue", v], List: [a, !If [IsProd, b, !Ref "AWS::NoValue"]]}
"#;

/// Every case of the fixture, resolved, by name.
fn resolved() -> Map<String, Json> {
    let doc = yaml::parse(TEMPLATE).expect("fixture parses");
    let params: BTreeMap<String, Json> =
        [("Stage".to_string(), json!("dev")), ("Origins".to_string(), json!(["http://a", "http://b"]))].into();
    let conditions = doc["Conditions"].as_object().cloned().unwrap_or_default();
    let resources: Map<String, Json> = doc["Resources"].as_object().cloned().unwrap_or_default();
    let r = Resolver::new(&params, &conditions, &resources, "http://127.0.0.1:4566");
    let cases = doc["Cases"].as_object().expect("cases");
    cases.iter().map(|(name, case)| (name.clone(), r.resolve_some(case).expect(name))).collect()
}

#[test]
fn every_case_resolves_as_cloudformation_would() {
    let expected = json!({
        // !Sub with parameters, pseudo parameters, resources, attributes and `${!…}` escapes.
        "sub": "dev-us-east-1-${Literal}-bazaar-dev-t-bazaar-Queue.fifo",
        "sub_vars": "arn:aws:sns:us-east-1:123456789012:bazaar-Topic, dev",
        // !GetAtt in both forms, and !Ref of resources.
        "att_dot": "arn:aws:dynamodb:us-east-1:123456789012:table/bazaar-dev-t",
        "att_list": "arn:aws:sqs:us-east-1:123456789012:bazaar-Queue.fifo",
        "stream": "arn:aws:dynamodb:us-east-1:123456789012:table/bazaar-dev-t/stream/*",
        "url": "http://127.0.0.1:4566/123456789012/bazaar-Queue.fifo",
        "fn_ref": "my-bin",
        "fn_arn": "arn:aws:lambda:us-east-1:123456789012:function:my-bin",
        // !Join, !Select and !Split.
        "join": "a,dev,3",
        "join_list": "http://a|http://b",
        "select": "y",
        "select_list": "http://a",
        // Conditions and AWS::NoValue.
        "if_prod": "small",
        "if_novalue": { "List": ["a"] },
    });
    let resolved = resolved();
    for (name, want) in expected.as_object().expect("an object") {
        assert_eq!(resolved.get(name), Some(want), "{name}");
    }
    assert_eq!(resolved.len(), expected.as_object().map_or(0, Map::len), "every case has its expected value");
}

#[test]
fn errors_name_the_problem() {
    let doc = yaml::parse("x: !GetAtt Missing.Arn\ny: !Sub '${Nope}'\nz: !Select [5, [a]]\n").expect("parses");
    let empty = Map::new();
    let params = BTreeMap::new();
    let r = Resolver::new(&params, &empty, &empty, "");
    for (key, needle) in [("x", "Missing"), ("y", "Nope"), ("z", "out of range")] {
        let err = r.resolve(&doc[key]).expect_err(key).to_string();
        assert!(err.contains(needle), "{err}");
    }
}
