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

fn case(name: &str) -> Json {
    let doc = yaml::parse(TEMPLATE).expect("fixture parses");
    let params: BTreeMap<String, Json> =
        [("Stage".to_string(), json!("dev")), ("Origins".to_string(), json!(["http://a", "http://b"]))].into();
    let conditions = doc["Conditions"].as_object().cloned().unwrap_or_default();
    let resources: Map<String, Json> = doc["Resources"].as_object().cloned().unwrap_or_default();
    let r = Resolver::new(&params, &conditions, &resources, "http://127.0.0.1:4566");
    r.resolve_some(&doc["Cases"][name]).expect(name)
}

#[test]
fn sub_with_params_pseudo_resources_attributes_and_escapes() {
    assert_eq!(case("sub"), json!("dev-us-east-1-${Literal}-bazaar-dev-t-bazaar-Queue.fifo"));
    assert_eq!(case("sub_vars"), json!("arn:aws:sns:us-east-1:123456789012:bazaar-Topic, dev"));
}

#[test]
fn get_att_both_forms_and_refs() {
    assert_eq!(case("att_dot"), json!("arn:aws:dynamodb:us-east-1:123456789012:table/bazaar-dev-t"));
    assert_eq!(case("att_list"), json!("arn:aws:sqs:us-east-1:123456789012:bazaar-Queue.fifo"));
    assert_eq!(case("stream"), json!("arn:aws:dynamodb:us-east-1:123456789012:table/bazaar-dev-t/stream/*"));
    assert_eq!(case("url"), json!("http://127.0.0.1:4566/123456789012/bazaar-Queue.fifo"));
    assert_eq!(case("fn_ref"), json!("my-bin"));
    assert_eq!(case("fn_arn"), json!("arn:aws:lambda:us-east-1:123456789012:function:my-bin"));
}

#[test]
fn join_select_split() {
    assert_eq!(case("join"), json!("a,dev,3"));
    assert_eq!(case("join_list"), json!("http://a|http://b"));
    assert_eq!(case("select"), json!("y"));
    assert_eq!(case("select_list"), json!("http://a"));
}

#[test]
fn conditions_and_no_value() {
    assert_eq!(case("if_prod"), json!("small"));
    assert_eq!(case("if_novalue"), json!({"List": ["a"]}));
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
