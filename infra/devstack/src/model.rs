//! The resolved, local-runnable view of template.yaml: every intrinsic (`!Ref`, `!Sub`,
//! `!GetAtt`, …) already resolved to the physical names the devstack uses in moto.
//! `template::plan` builds it; provisioning, the gateway and the pollers only read it.

use std::collections::BTreeMap;

/// Pseudo parameters the devstack uses locally (moto's defaults).
pub const REGION: &str = "us-east-1";
pub const ACCOUNT_ID: &str = "123456789012";
pub const STACK_NAME: &str = "bazaar";
pub const PARTITION: &str = "aws";
pub const URL_SUFFIX: &str = "amazonaws.com";

#[derive(Debug, Clone, Default)]
pub struct Stack {
    /// Resolved template parameters (defaults + overrides), by name.
    pub parameters: BTreeMap<String, String>,
    pub tables: Vec<Table>,
    pub queues: Vec<Queue>,
    pub buses: Vec<EventBus>,
    /// Archives of buses' events (replayable).
    pub archives: Vec<Archive>,
    pub rules: Vec<Rule>,
    pub topics: Vec<Topic>,
    pub email_identities: Vec<String>,
    pub functions: Vec<Function>,
    pub http_api: Option<HttpApi>,
    /// Resources that exist only in AWS (alarms, log groups, dashboards), as `Id: Type`.
    pub deploy_only: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub logical_id: String,
    pub name: String,
    pub hash_key: KeyAttr,
    pub range_key: Option<KeyAttr>,
    pub gsis: Vec<Gsi>,
    /// `NEW_IMAGE`, `NEW_AND_OLD_IMAGES`, … when the table has a stream.
    pub stream_view_type: Option<String>,
    pub ttl_attribute: Option<String>,
}

impl Table {
    /// A table keyed on `hash_key` alone, without indexes, stream or TTL (struct update
    /// syntax adds them).
    pub fn keyed_on(logical_id: &str, name: &str, hash_key: KeyAttr) -> Table {
        Table {
            logical_id: logical_id.to_owned(),
            name: name.to_owned(),
            hash_key,
            range_key: None,
            gsis: Vec::new(),
            stream_view_type: None,
            ttl_attribute: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct KeyAttr {
    pub name: String,
    /// `S`, `N` or `B`.
    pub attr_type: String,
}

impl KeyAttr {
    /// A string (`S`) key attribute.
    pub fn string(name: &str) -> KeyAttr {
        KeyAttr { name: name.to_owned(), attr_type: "S".to_owned() }
    }
}

#[derive(Debug, Clone)]
pub struct Gsi {
    pub name: String,
    pub hash_key: KeyAttr,
    pub range_key: Option<KeyAttr>,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub logical_id: String,
    pub name: String,
    pub fifo: bool,
    /// FIFO only: deduplicate by a hash of the body when no deduplication id is given.
    pub content_based_deduplication: bool,
    pub visibility_timeout_seconds: u32,
    pub message_retention_seconds: Option<u32>,
    /// Redrive: the DLQ's logical id and maxReceiveCount.
    pub redrive: Option<Redrive>,
}

impl Queue {
    /// SQS's, for a queue that does not set its own.
    pub const DEFAULT_VISIBILITY_TIMEOUT_SECONDS: u32 = 30;

    /// A standard queue with SQS's defaults and no redrive.
    pub fn standard(logical_id: &str, name: &str) -> Queue {
        Queue {
            logical_id: logical_id.to_owned(),
            name: name.to_owned(),
            fifo: false,
            content_based_deduplication: false,
            visibility_timeout_seconds: Queue::DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
            message_retention_seconds: None,
            redrive: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Redrive {
    pub dlq_logical_id: String,
    pub max_receive_count: u32,
}

#[derive(Debug, Clone)]
pub struct EventBus {
    pub logical_id: String,
    pub name: String,
}

/// An archive of the events sent to a bus.
#[derive(Debug, Clone)]
pub struct Archive {
    pub logical_id: String,
    pub name: String,
    pub bus_name: String,
    pub retention_days: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub logical_id: String,
    pub name: String,
    pub bus_name: String,
    /// The rule's EventPattern as JSON.
    pub event_pattern: serde_json::Value,
    pub targets: Vec<RuleTarget>,
}

#[derive(Debug, Clone)]
pub struct RuleTarget {
    pub id: String,
    /// Logical id of the target SQS queue (the only target kind moto delivers).
    pub queue_logical_id: String,
    pub dlq_logical_id: Option<String>,
    /// RetryPolicy.MaximumRetryAttempts, when the template sets it.
    pub maximum_retry_attempts: Option<i32>,
    /// RetryPolicy.MaximumEventAgeInSeconds, when the template sets it.
    pub maximum_event_age_seconds: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub logical_id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    /// The workspace binary (Metadata.BuildProperties.Binary); the name cargo lambda serves it by.
    pub binary: String,
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    /// Globals merged with the function's own variables, intrinsics resolved.
    pub environment: BTreeMap<String, String>,
    pub http_routes: Vec<HttpRoute>,
    pub sqs_sources: Vec<SqsSource>,
    pub stream_sources: Vec<StreamSource>,
    pub schedules: Vec<Schedule>,
    /// Its execution role, as SAM generates it ([`crate::template::role`]).
    pub role: Role,
}

/// A function's execution role: the AWS managed policies attached to it and its inline
/// policies (name, document), intrinsics resolved. Lambda may assume it.
#[derive(Debug, Clone, Default)]
pub struct Role {
    pub managed_policy_arns: Vec<String>,
    pub policies: Vec<(String, serde_json::Value)>,
}

impl Stack {
    /// Takes in a nested stack's resources (its parameters only where this stack has none of
    /// that name: a parent's own win).
    /// The logical id of every resource the stack runs (its functions, tables, queues,
    /// buses, archives, rules and topics).
    pub fn logical_ids(&self) -> impl Iterator<Item = &str> {
        let functions = self.functions.iter().map(|f| f.logical_id.as_str());
        let tables = self.tables.iter().map(|t| t.logical_id.as_str());
        let queues = self.queues.iter().map(|q| q.logical_id.as_str());
        let buses = self.buses.iter().map(|b| b.logical_id.as_str());
        let archives = self.archives.iter().map(|a| a.logical_id.as_str());
        let rules = self.rules.iter().map(|r| r.logical_id.as_str());
        let topics = self.topics.iter().map(|t| t.logical_id.as_str());
        functions.chain(tables).chain(queues).chain(buses).chain(archives).chain(rules).chain(topics)
    }

    pub fn absorb(&mut self, child: Stack) {
        for (name, value) in child.parameters {
            self.parameters.entry(name).or_insert(value);
        }
        self.tables.extend(child.tables);
        self.queues.extend(child.queues);
        self.buses.extend(child.buses);
        self.archives.extend(child.archives);
        self.rules.extend(child.rules);
        self.topics.extend(child.topics);
        self.email_identities.extend(child.email_identities);
        self.functions.extend(child.functions);
        self.deploy_only.extend(child.deploy_only);
        if self.http_api.is_none() {
            self.http_api = child.http_api;
        }
    }
}

impl Function {
    /// Lambda's, for a function that does not set its own.
    pub const DEFAULT_MEMORY_MB: u32 = 128;
    pub const DEFAULT_TIMEOUT_SECONDS: u32 = 3;

    /// A function with Lambda's defaults and nothing else: no variables, events or policies
    /// (struct update syntax adds them).
    pub fn new(logical_id: &str, binary: &str) -> Function {
        Function {
            logical_id: logical_id.to_owned(),
            binary: binary.to_owned(),
            memory_mb: Function::DEFAULT_MEMORY_MB,
            timeout_seconds: Function::DEFAULT_TIMEOUT_SECONDS,
            environment: BTreeMap::new(),
            http_routes: Vec::new(),
            sqs_sources: Vec::new(),
            stream_sources: Vec::new(),
            schedules: Vec::new(),
            role: Role::default(),
        }
    }

    /// The name of its role in moto: `bazaar-<stage>-<binary>` (`stage` keeps the roles of
    /// stages sharing one moto apart).
    pub fn role_name(&self, stage: &str) -> String {
        format!("{STACK_NAME}-{stage}-{}", self.binary)
    }
}

#[derive(Debug, Clone)]
pub struct HttpRoute {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// As written in the template: `/auth/users/{id}`, `/files/{proxy+}`; `$default` (with
    /// method `ANY`) for an HttpApi event without Path/Method, SAM's catch-all route.
    pub path: String,
    /// Authorizer name, or None for a public route (`Authorizer: NONE`).
    pub authorizer: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SqsSource {
    pub queue_logical_id: String,
    pub batch_size: u32,
    pub maximum_batching_window_seconds: u32,
    pub report_batch_item_failures: bool,
    /// Each filter's Pattern as JSON (Lambda event filtering syntax).
    pub filters: Vec<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct StreamSource {
    pub table_logical_id: String,
    /// `TRIM_HORIZON` or `LATEST`.
    pub starting_position: String,
    pub batch_size: u32,
    pub maximum_batching_window_seconds: u32,
    /// -1 means infinite, as in AWS.
    pub maximum_retry_attempts: i64,
    pub bisect_on_error: bool,
    pub report_batch_item_failures: bool,
    pub filters: Vec<serde_json::Value>,
    /// Logical id of the SQS queue that receives records given up on.
    pub on_failure_queue_logical_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    /// `rate(5 minutes)` or `cron(...)`.
    pub expression: String,
    pub enabled: bool,
}

#[derive(Debug, Clone)]
pub struct HttpApi {
    pub logical_id: String,
    pub cors: Option<Cors>,
    pub throttling_rate_limit: Option<f64>,
    pub throttling_burst_limit: Option<u32>,
    pub default_authorizer: Option<String>,
    pub authorizers: BTreeMap<String, Authorizer>,
}

#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u32>,
    pub allow_credentials: bool,
}

#[derive(Debug, Clone)]
pub struct Authorizer {
    pub name: String,
    /// Logical id of the authorizer function.
    pub function_logical_id: String,
    pub simple_responses: bool,
    /// Identity sources as API Gateway writes them, e.g. `$request.header.Authorization`.
    pub identity_headers: Vec<String>,
    /// Result cache TTL (ReauthorizeEvery); 0 disables caching.
    pub cache_ttl_seconds: u32,
}

impl Stack {
    pub fn function(&self, logical_id: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }
    pub fn queue(&self, logical_id: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }
    pub fn table(&self, logical_id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    /// The part of the stack one service's functions use (binaries named `<service>-…`):
    /// the tables, queues and topics their environment names, the queues and streams they
    /// consume, with their dead-letter queues, the rules that feed those queues, and every
    /// bus. A service's tests provision only this: the whole template is some 130
    /// resources, most of them another service's.
    pub fn of_service(&self, service: &str) -> Stack {
        let prefix = format!("{service}-");
        let functions: Vec<Function> =
            self.functions.iter().filter(|f| f.binary.starts_with(&prefix)).cloned().collect();
        let named = |name: &str| functions.iter().any(|f| f.environment.values().any(|v| v.contains(name)));
        let mut tables: Vec<String> =
            self.tables.iter().filter(|t| named(&t.name)).map(|t| t.logical_id.clone()).collect();
        let mut queues: Vec<String> =
            self.queues.iter().filter(|q| named(&q.name)).map(|q| q.logical_id.clone()).collect();
        for function in &functions {
            queues.extend(function.sqs_sources.iter().map(|s| s.queue_logical_id.clone()));
            for source in &function.stream_sources {
                tables.push(source.table_logical_id.clone());
                queues.extend(source.on_failure_queue_logical_id.clone());
            }
        }
        let rules: Vec<Rule> = self
            .rules
            .iter()
            .filter_map(|rule| {
                let targets: Vec<RuleTarget> =
                    rule.targets.iter().filter(|t| queues.contains(&t.queue_logical_id)).cloned().collect();
                (!targets.is_empty()).then(|| Rule { targets, ..rule.clone() })
            })
            .collect();
        queues.extend(rules.iter().flat_map(|r| &r.targets).filter_map(|t| t.dlq_logical_id.clone()));
        let dlqs: Vec<String> = self
            .queues
            .iter()
            .filter(|q| queues.contains(&q.logical_id))
            .filter_map(|q| q.redrive.as_ref().map(|r| r.dlq_logical_id.clone()))
            .collect();
        queues.extend(dlqs);
        Stack {
            parameters: self.parameters.clone(),
            tables: self.tables.iter().filter(|t| tables.contains(&t.logical_id)).cloned().collect(),
            queues: self.queues.iter().filter(|q| queues.contains(&q.logical_id)).cloned().collect(),
            buses: self.buses.clone(),
            archives: self.archives.clone(),
            rules,
            topics: self.topics.iter().filter(|t| named(&t.name)).cloned().collect(),
            email_identities: self.email_identities.clone(),
            functions,
            http_api: self.http_api.clone(),
            deploy_only: Vec::new(),
        }
    }
}
