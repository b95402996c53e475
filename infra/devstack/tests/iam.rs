//! The moto launcher enforces IAM as AWS does (infra/moto/enforce.py): a function's role is
//! created and assumed as the devstack does it for every function (`ensure_roles`), and
//! then moto refuses what the role's policies do not grant, item by item in a transaction,
//! on the ARNs AWS checks, naming the action and the resource in the service's own error.

use aws_sdk_dynamodb::types::AttributeValue::S;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use aws_types::SdkConfig;
use bazaar_testkit::Moto;
use devstack::model::{Function, Gsi, KeyAttr, Role, Stack, Table};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";

/// A function with one inline policy of `statements`, its role created and assumed in the
/// shared moto: the SDK configuration it runs with.
async fn function_with(statements: Value) -> SdkConfig {
    let admin = Moto::shared().sdk_config().await;
    let binary = format!("iam-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let function = Function {
        role: Role {
            managed_policy_arns: vec![devstack::template::role::managed_policy_arn(
                devstack::template::role::BASIC_EXECUTION,
            )],
            policies: vec![("FnRolePolicy0".into(), json!({ "Statement": statements }))],
        },
        ..Function::new("Fn", &binary)
    };
    let credentials = devstack::provision::iam::ensure_roles(&[function], "iam", &admin).await.expect("the role");
    devstack::provision::iam::FunctionConfigs::new(admin, credentials).of(&binary).expect("its configuration")
}

/// A table `pk` keyed, with index `by-owner`, created by the administrator; its name and ARN.
async fn table() -> (String, String) {
    let admin = Moto::shared().sdk_config().await;
    let name = format!("iam-{}", uuid::Uuid::new_v4().simple());
    let table = Table {
        gsis: vec![Gsi { name: "by-owner".into(), hash_key: KeyAttr::string("owner"), range_key: None }],
        ..Table::keyed_on("Table", &name, KeyAttr::string("pk"))
    };
    devstack::provision::provision(&Stack { tables: vec![table], ..Stack::default() }, &admin).await.expect("table");
    let arn = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}");
    (name, arn)
}

fn allow(actions: &[&str], resource: &str) -> Value {
    json!({ "Effect": "Allow", "Action": actions, "Resource": resource })
}

/// The error code and message of a refused SDK call.
fn refusal<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(error: &E) -> (String, String) {
    (error.code().unwrap_or_default().to_owned(), error.message().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_transaction_is_authorized_item_by_item_and_a_missing_condition_check_is_refused() {
    let (name, arn) = table().await;
    let put = |pk: &str| {
        TransactWriteItem::builder()
            .put(Put::builder().table_name(&name).item("pk", S(pk.into())).build().expect("put"))
            .build()
    };
    let check = TransactWriteItem::builder()
        .condition_check(
            ConditionCheck::builder()
                .table_name(&name)
                .key("pk", S("nothing".into()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("check"),
        )
        .build();

    // What AuthRefreshFunction was granted before this was enforced.
    let refresh =
        function_with(json!([allow(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], &arn)])).await;
    let ddb = aws_sdk_dynamodb::Client::new(&refresh);
    ddb.put_item().table_name(&name).item("pk", S("alone".into())).send().await.expect("PutItem is granted");
    let refused = ddb
        .transact_write_items()
        .transact_items(put("in-a-transaction"))
        .transact_items(check.clone())
        .send()
        .await
        .expect_err("ConditionCheckItem is not granted");
    let (code, message) = refusal(refused.as_service_error().expect("a service error"));
    assert_eq!(code, "AccessDeniedException");
    assert!(message.contains("dynamodb:ConditionCheckItem") && message.contains(&arn), "{message}");
    let admin = aws_sdk_dynamodb::Client::new(&Moto::shared().sdk_config().await);
    let written = admin.get_item().table_name(&name).key("pk", S("in-a-transaction".into())).send().await;
    assert!(written.expect("read").item.is_none(), "a refused transaction writes nothing");

    let granted = function_with(json!([allow(&["dynamodb:PutItem", "dynamodb:ConditionCheckItem"], &arn)])).await;
    let ddb = aws_sdk_dynamodb::Client::new(&granted);
    ddb.transact_write_items()
        .transact_items(put("in-a-transaction"))
        .transact_items(check)
        .send()
        .await
        .expect("every item's action is granted");
    // Granted on another table only: refused.
    let elsewhere = function_with(json!([allow(&["dynamodb:*"], &format!("{arn}-other"))])).await;
    let refused = aws_sdk_dynamodb::Client::new(&elsewhere)
        .get_item()
        .table_name(&name)
        .key("pk", S("alone".into()))
        .send()
        .await
        .expect_err("another table's grant");
    assert_eq!(refusal(refused.as_service_error().expect("a service error")).0, "AccessDeniedException");
}

#[tokio::test]
async fn a_query_on_an_index_is_checked_on_the_index() {
    let (name, arn) = table().await;
    let query = |config: SdkConfig| {
        let name = name.clone();
        async move {
            aws_sdk_dynamodb::Client::new(&config)
                .query()
                .table_name(&name)
                .index_name("by-owner")
                .key_condition_expression("#o = :o")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", S("me".into()))
                .send()
                .await
        }
    };
    let table_only = function_with(json!([allow(&["dynamodb:Query"], &arn)])).await;
    let refused = query(table_only).await.expect_err("the table's grant is not the index's");
    let (_, message) = refusal(refused.as_service_error().expect("a service error"));
    assert!(message.contains(&format!("{arn}/index/by-owner")), "{message}");
    let index = function_with(json!([allow(&["dynamodb:Query"], &format!("{arn}/index/*"))])).await;
    query(index).await.expect("granted on the index");
}

#[tokio::test]
async fn not_resource_statements_batches_and_parameters_are_checked_as_aws_checks_them() {
    let admin = Moto::shared().sdk_config().await;
    let topic = aws_sdk_sns::Client::new(&admin)
        .create_topic()
        .name(format!("iam-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .expect("topic")
        .topic_arn
        .expect("topic arn");
    let queue_name = format!("iam-{}", uuid::Uuid::new_v4().simple());
    let queue = aws_sdk_sqs::Client::new(&admin).create_queue().queue_name(&queue_name).send().await.expect("queue");
    let queue_url = queue.queue_url.expect("queue url");
    let parameter = format!("/iam/{}", uuid::Uuid::new_v4().simple());
    for name in [&parameter, &format!("{parameter}-other")] {
        aws_sdk_ssm::Client::new(&admin)
            .put_parameter()
            .name(name)
            .value("v")
            .overwrite(true)
            .send()
            .await
            .expect("put");
    }
    let config = function_with(json!([
        { "Effect": "Allow", "Action": "sns:Publish", "NotResource": "arn:aws:sns:*:*:*" },
        allow(&["sqs:SendMessage"], &format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{queue_name}")),
        allow(&["ssm:GetParameter"], &format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{parameter}")),
    ]))
    .await;

    let sns = aws_sdk_sns::Client::new(&config);
    // (A space in a form-encoded field once broke moto's signature check: it is checked over
    // the bytes as sent.)
    sns.publish()
        .phone_number("+15555550100")
        .message("Your code is 123 456")
        .send()
        .await
        .expect("a number is not a topic");
    let refused = sns.publish().topic_arn(&topic).message("hi").send().await.expect_err("a topic is excluded");
    assert_eq!(refusal(refused.as_service_error().expect("a service error")).0, "AuthorizationError");

    let entry =
        aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder().id("1").message_body("m").build().expect("entry");
    aws_sdk_sqs::Client::new(&config)
        .send_message_batch()
        .queue_url(&queue_url)
        .entries(entry)
        .send()
        .await
        .expect("a batch is authorized as sqs:SendMessage");

    let ssm = aws_sdk_ssm::Client::new(&config);
    ssm.get_parameter().name(&parameter).send().await.expect("its parameter");
    let refused = ssm.get_parameter().name(format!("{parameter}-other")).send().await.expect_err("another one");
    let (code, message) = refusal(refused.as_service_error().expect("a service error"));
    assert_eq!(code, "AccessDeniedException");
    assert!(message.contains("ssm:GetParameter") && message.contains(&format!("parameter{parameter}-other")));
}

#[tokio::test]
async fn unknown_credentials_are_refused_and_the_administrator_may_do_anything() {
    let moto = Moto::shared();
    let admin = moto.sdk_config().await;
    aws_sdk_dynamodb::Client::new(&admin).list_tables().send().await.expect("the administrator");
    // A request without a body is signed over no body (moto once checked it as a form).
    let ses = aws_sdk_sesv2::Client::new(&admin);
    let identity = format!("iam-{}@example.invalid", uuid::Uuid::new_v4().simple());
    ses.create_email_identity().email_identity(&identity).send().await.expect("create");
    ses.get_email_identity().email_identity(&identity).send().await.expect("a GET");
    ses.delete_email_identity().email_identity(&identity).send().await.expect("a DELETE");
    let stranger = admin
        .to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new("AKIASTRANGER", "secret", None, None, "stranger"),
        ))
        .build();
    aws_sdk_dynamodb::Client::new(&stranger).list_tables().send().await.expect_err("a key moto never issued");
    let nothing = function_with(json!([allow(&["ssm:GetParameter"], "arn:aws:ssm:*:*:parameter/none")])).await;
    aws_sdk_dynamodb::Client::new(&nothing).list_tables().send().await.expect_err("a role without the grant");
}
