//! The OpenAPI 3.1 description of Bazaar's HTTP API, built from the code that serves it.
//!
//! Every HTTP function crate declares its route next to its handler, as an [`Operation`]
//! whose bodies are the Rust types the handler parses and returns (their JSON Schemas come
//! from `schemars`, OpenAPI 3.1 being JSON Schema 2020-12). [`document`] adds the operations
//! up; bazaar-system collects them all and checks them against template.yaml's routes.
//!
//! What every operation gets without saying it: the bearer scheme and its 401/403 for routes
//! behind the authorizer, 400/413/415 for a JSON body, 429 (API Gateway's throttle or a
//! function's own limit) and 500, each error as `application/problem+json` (the gateway's own
//! `{"message"}` where API Gateway answers before a function runs).

/// The character classes of the document's patterns (they live with the validators).
pub use bazaar_runtime::text;

/// For a [`Link`]'s body in crates that do not otherwise build JSON.
pub use serde_json::json;

use std::collections::{BTreeMap, BTreeSet};

use bazaar_runtime::Problem;
use bazaar_runtime::identity::{Action, Owner};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde_json::{Map, Value};

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema + ?Sized>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Where a component schema lives in the document.
const COMPONENTS: &str = "#/components/schemas/";

/// API Gateway's own error body (`{"message": "Unauthorized"}`), sent before any function runs:
/// the authorizer refused the token, or the stage's throttle tripped.
#[derive(Serialize, JsonSchema)]
pub struct GatewayMessage {
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

struct Param {
    name: &'static str,
    location: Location,
    description: String,
    required: bool,
    schema: ParamSchema,
}

/// A parameter's schema: written out, or a Rust type's (its component is shared with bodies).
enum ParamSchema {
    Json(Value),
    Typed(SchemaFn),
}

/// An OpenAPI link from an answer to the operation a client (or a fuzzer) calls next with
/// values taken from it: `$response.body#/id`, `$request.path.id`, a literal, ….
pub struct Link {
    target: &'static str,
    description: Option<&'static str>,
    parameters: Vec<(&'static str, Value)>,
    body: Option<Value>,
}

impl Link {
    /// A link to the operation whose operationId is `target`.
    pub fn to(target: &'static str) -> Link {
        Link { target, description: None, parameters: Vec::new(), body: None }
    }

    /// A parameter of the target (`id`, or `path.id` where a name is ambiguous) and the
    /// runtime expression (or literal) that gives it.
    pub fn param(mut self, name: &'static str, value: impl Into<Value>) -> Link {
        self.parameters.push((name, value.into()));
        self
    }

    /// The target's whole request body: a literal JSON value whose strings may be runtime
    /// expressions (`{"product_id": "$response.body#/id"}`). The document also says so to
    /// schemathesis (`x-schemathesis.merge_body: false`), which would otherwise merge it into a
    /// body it generates.
    pub fn body(mut self, body: Value) -> Link {
        self.body = Some(body);
        self
    }

    /// What following it does, when the name does not say.
    pub fn describe(mut self, text: &'static str) -> Link {
        self.description = Some(text);
        self
    }

    fn json(&self) -> Value {
        let mut link = json!({ "operationId": self.target });
        if let Some(text) = self.description {
            link["description"] = text.into();
        }
        if !self.parameters.is_empty() {
            let parameters: Map<String, Value> =
                self.parameters.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect();
            link["parameters"] = parameters.into();
        }
        if let Some(body) = &self.body {
            link["requestBody"] = body.clone();
            link["x-schemathesis"] = json!({ "merge_body": false });
        }
        link
    }
}

enum Content {
    Json(SchemaFn),
    /// Another media type with a fixed schema (`text/html`, …).
    Other(&'static str, Value),
}

struct Reply {
    status: u16,
    description: String,
    content: Option<Content>,
    headers: Vec<(&'static str, String)>,
    links: Vec<(&'static str, Link)>,
}

/// Who may call an operation, as its handler checks it: each operation behind the authorizer
/// states it with [`Operation::access`], and the document shows it (a sentence in the
/// description and `x-access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in caller, on what is their own (`what`: "their own orders").
    SignedIn(&'static str),
    /// Holders of a permission.
    Permission(&'static str),
    /// Per resource (`what`: "the order"): who the [`Action`] lets.
    Resource(&'static str, Action),
    /// Holders of a permission, for part of the route (`when`: "`?all=true`").
    Scope(&'static str, &'static str),
}

impl Access {
    fn sentence(&self) -> String {
        match *self {
            Access::SignedIn(what) => format!("any signed-in caller, on {what}"),
            Access::Permission(permission) => format!("holders of `{permission}`"),
            Access::Resource(what, action) => {
                let owner = match action.owner {
                    Owner::Allowed => format!("the owner of {what}, or "),
                    Owner::With(permission) => format!("the owner of {what} holding `{permission}`, or "),
                    Owner::Never => String::new(),
                };
                let verb = if action.changes { "over" } else { "to read" };
                format!("{owner}a holder of `{}` ({verb} anyone's)", action.any)
            }
            Access::Scope(when, permission) => format!("`{permission}` for {when}"),
        }
    }

    fn json(&self) -> Value {
        match *self {
            Access::SignedIn(what) => json!({ "signed_in": what }),
            Access::Permission(permission) => json!({ "permission": permission }),
            Access::Resource(what, action) => {
                let owner = match action.owner {
                    Owner::Allowed => json!(true),
                    Owner::With(permission) => json!(permission),
                    Owner::Never => json!(false),
                };
                json!({ "resource": what, "owner": owner, "any": action.any, "changes": action.changes })
            }
            Access::Scope(when, permission) => json!({ "permission": permission, "when": when }),
        }
    }
}

/// One route of the API: method, path, parameters, body and answers.
pub struct Operation {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
    tag: Option<&'static str>,
    public: bool,
    access: Vec<Access>,
    params: Vec<Param>,
    body: Option<(SchemaFn, &'static str)>,
    replies: Vec<Reply>,
    problems: BTreeSet<u16>,
}

impl Operation {
    /// `method` as in template.yaml (`GET`, `POST`, …), `path` with `{name}` parameters.
    /// `id` is the operationId client generators name the call after.
    pub fn new(method: &'static str, path: &'static str, id: &'static str, summary: &'static str) -> Operation {
        let params = path_names(path)
            .into_iter()
            .map(|name| Param {
                name,
                location: Location::Path,
                description: String::new(),
                required: true,
                schema: ParamSchema::Json(json!({ "type": "string" })),
            })
            .collect();
        Operation {
            method,
            path,
            id,
            summary,
            description: None,
            tag: None,
            public: false,
            access: Vec::new(),
            params,
            body: None,
            replies: Vec::new(),
            problems: BTreeSet::new(),
        }
    }

    pub fn get(path: &'static str, id: &'static str, summary: &'static str) -> Operation {
        Operation::new("GET", path, id, summary)
    }
    pub fn post(path: &'static str, id: &'static str, summary: &'static str) -> Operation {
        Operation::new("POST", path, id, summary)
    }
    pub fn put(path: &'static str, id: &'static str, summary: &'static str) -> Operation {
        Operation::new("PUT", path, id, summary)
    }
    pub fn patch(path: &'static str, id: &'static str, summary: &'static str) -> Operation {
        Operation::new("PATCH", path, id, summary)
    }
    pub fn delete(path: &'static str, id: &'static str, summary: &'static str) -> Operation {
        Operation::new("DELETE", path, id, summary)
    }

    pub fn method(&self) -> &'static str {
        self.method
    }
    pub fn path(&self) -> &'static str {
        self.path
    }
    /// False for routes behind the JWT authorizer.
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// Longer text (Markdown): who may call it, what it emits, what is idempotent.
    pub fn describe(mut self, text: &'static str) -> Operation {
        self.description = Some(text);
        self
    }

    /// The group the docs list it under; the path's first segment when not given.
    pub fn tag(mut self, tag: &'static str) -> Operation {
        self.tag = Some(tag);
        self
    }

    /// Served without the authorizer (`Auth: Authorizer: NONE` in the template).
    pub fn public(mut self) -> Operation {
        self.public = true;
        self
    }

    /// Who may call it (each call adds one rule; a route behind the authorizer needs one).
    pub fn access(mut self, access: Access) -> Operation {
        self.access.push(access);
        self
    }

    /// The access rules stated for this operation.
    pub fn access_rules(&self) -> &[Access] {
        &self.access
    }

    /// The operationId.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// Describes a `{name}` of the path.
    pub fn path_param(mut self, name: &'static str, description: &str) -> Operation {
        match self.params.iter_mut().find(|p| p.location == Location::Path && p.name == name) {
            Some(param) => param.description = description.to_owned(),
            None => panic!("{} {} has no path parameter {{{name}}}", self.method, self.path),
        }
        self
    }

    /// Describes a `{name}` of the path whose values are those of `T` (an enum, a pattern, …).
    pub fn path_param_of<T: JsonSchema>(self, name: &'static str, description: &str) -> Operation {
        let mut op = self.path_param(name, description);
        if let Some(param) = op.params.iter_mut().find(|p| p.location == Location::Path && p.name == name) {
            param.schema = ParamSchema::Typed(schema_of::<T>);
        }
        op
    }

    /// An optional query parameter with a JSON Schema (`{"type": "string"}`, …).
    pub fn query(self, name: &'static str, description: &str, schema: Value) -> Operation {
        self.param(name, Location::Query, description, false, schema)
    }

    /// A query parameter the route refuses to work without.
    pub fn required_query(self, name: &'static str, description: &str, schema: Value) -> Operation {
        self.param(name, Location::Query, description, true, schema)
    }

    /// `?limit=` (1 to `max`, `default` when absent) and `?cursor=` (the `next_cursor` of the
    /// previous page), as [`bazaar_runtime::http::limit_param`] reads them.
    pub fn paginated(self, default: i32, max: i32) -> Operation {
        self.query(
            "limit",
            &format!("Items per page, from 1 to {max} ({default} when absent)."),
            json!({ "type": "integer", "minimum": 1, "maximum": max, "default": default }),
        )
        .query(
            "cursor",
            "Opaque cursor from the previous page's `next_cursor`; absent for the first page.",
            json!({ "type": "string" }),
        )
    }

    /// A request header (`Idempotency-Key`, a webhook signature, …).
    pub fn header(self, name: &'static str, description: &str, required: bool) -> Operation {
        self.param(name, Location::Header, description, required, json!({ "type": "string" }))
    }

    /// A request header with a JSON Schema of the values the handler takes.
    pub fn header_schema(self, name: &'static str, description: &str, required: bool, schema: Value) -> Operation {
        self.param(name, Location::Header, description, required, schema)
    }

    /// The required `Idempotency-Key` header as `bazaar_aws::idempotency::parse` reads it: 1 to
    /// `max_chars` characters, none of them a control character (HTTP strips the whitespace
    /// around a header's value).
    pub fn idempotency_key(self, max_chars: usize, what: &str) -> Operation {
        self.header_schema(
            "Idempotency-Key",
            &format!("1 to {max_chars} printable characters, unique per {what}."),
            true,
            json!({ "type": "string", "minLength": 1, "maxLength": max_chars, "pattern": text::header_pattern() }),
        )
    }

    fn param(
        mut self,
        name: &'static str,
        location: Location,
        description: &str,
        required: bool,
        schema: Value,
    ) -> Operation {
        self.params.push(Param {
            name,
            location,
            description: description.to_owned(),
            required,
            schema: ParamSchema::Json(schema),
        });
        self
    }

    /// The JSON request body the handler parses, `T` as it deserializes.
    pub fn json_body<T: JsonSchema>(mut self, description: &'static str) -> Operation {
        self.body = Some((schema_of::<T>, description));
        self
    }

    /// A JSON answer, `T` as it serializes.
    pub fn returns<T: JsonSchema>(mut self, status: u16, description: &str) -> Operation {
        self.replies.push(Reply {
            status,
            description: description.to_owned(),
            content: Some(Content::Json(schema_of::<T>)),
            headers: Vec::new(),
            links: Vec::new(),
        });
        self
    }

    /// An answer of another media type.
    pub fn returns_other(
        mut self,
        status: u16,
        description: &str,
        media_type: &'static str,
        schema: Value,
    ) -> Operation {
        self.replies.push(Reply {
            status,
            description: description.to_owned(),
            content: Some(Content::Other(media_type, schema)),
            headers: Vec::new(),
            links: Vec::new(),
        });
        self
    }

    /// An answer without a body (204, 202, …).
    pub fn returns_empty(mut self, status: u16, description: &str) -> Operation {
        self.replies.push(Reply {
            status,
            description: description.to_owned(),
            content: None,
            headers: Vec::new(),
            links: Vec::new(),
        });
        self
    }

    /// A header of the answer added last (`Location`, …).
    pub fn with_header(mut self, name: &'static str, description: &str) -> Operation {
        match self.replies.last_mut() {
            Some(reply) => reply.headers.push((name, description.to_owned())),
            None => panic!("{} {}: with_header before any returns", self.method, self.path),
        }
        self
    }

    /// A link from the answer added last to the operation a client calls next with its values
    /// (the document's `links`; schemathesis follows them in its stateful phase).
    pub fn link(mut self, name: &'static str, link: Link) -> Operation {
        match self.replies.last_mut() {
            Some(reply) => reply.links.push((name, link)),
            None => panic!("{} {}: link before any returns", self.method, self.path),
        }
        self
    }

    /// The problem statuses the handler answers with besides the automatic ones.
    pub fn problems(mut self, statuses: &[u16]) -> Operation {
        self.problems.extend(statuses.iter().copied());
        self
    }

    fn problem_statuses(&self) -> BTreeSet<u16> {
        let mut statuses = self.problems.clone();
        statuses.extend([429, 500]);
        if !self.public {
            statuses.extend([401, 403]);
        }
        if self.body.is_some() {
            statuses.extend([400, 413, 415]);
        }
        statuses
    }
}

/// `/users/{id}/roles/{role}` → `["id", "role"]`.
fn path_names(path: &'static str) -> Vec<&'static str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
}

fn generator(deserialize: bool) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas/".into();
        s.meta_schema = None;
    });
    if deserialize { settings.for_deserialize() } else { settings.for_serialize() }.into_generator()
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "The request is malformed.",
        401 => "No valid access token.",
        403 => "The caller's roles do not allow it.",
        404 => "No such resource (or not the caller's).",
        409 => "The resource's state does not allow it.",
        412 => "The resource changed since it was read.",
        413 => "The body is too large.",
        415 => "The body is not JSON.",
        422 => "A field is invalid.",
        429 => "Too many requests: retry after `Retry-After` seconds.",
        500 => "Unexpected error (never the caller's fault; quote the correlation id).",
        503 => "A dependency is unavailable: retry after `Retry-After` seconds.",
        _ => "Refused.",
    }
}

/// The whole document for `operations`. Panics on a route declared twice or two operations
/// sharing an id: the test that builds the document catches it.
pub fn document(title: &str, version: &str, description: &str, operations: &[Operation]) -> Value {
    let mut requests = generator(true);
    let mut responses = generator(false);
    let problem = responses.subschema_for::<Problem>();
    let gateway = responses.subschema_for::<GatewayMessage>();

    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    // Request bodies are placed once their component names are settled (see below).
    let mut bodies: Vec<(&str, String, Value)> = Vec::new();
    let mut ids = BTreeSet::new();
    for op in operations {
        assert!(ids.insert(op.id), "operationId {} is used twice", op.id);
        let method = op.method.to_ascii_lowercase();
        assert!(
            op.public || !op.access.is_empty(),
            "{} {} is behind the authorizer but states no access (Operation::access)",
            op.method,
            op.path
        );
        let mut operation = Map::new();
        operation.insert("operationId".into(), op.id.into());
        operation.insert("summary".into(), op.summary.into());
        let who = if op.public {
            "**Access:** public.".to_owned()
        } else {
            let rules: Vec<String> = op.access.iter().map(Access::sentence).collect();
            format!("**Access:** {}.", rules.join("; "))
        };
        let description = match op.description {
            Some(text) => format!("{text}\n\n{who}"),
            None => who,
        };
        operation.insert("description".into(), description.into());
        operation.insert("x-access".into(), op.access.iter().map(Access::json).collect::<Vec<_>>().into());
        let tag = op.tag.unwrap_or_else(|| op.path.trim_start_matches('/').split('/').next().unwrap_or(""));
        operation.insert("tags".into(), json!([tag]));
        operation.insert("security".into(), if op.public { json!([]) } else { json!([{ "bearer": [] }]) });
        if !op.params.is_empty() {
            let params: Vec<Value> = op
                .params
                .iter()
                .map(|p| {
                    let schema = match &p.schema {
                        ParamSchema::Json(schema) => schema.clone(),
                        ParamSchema::Typed(schema) => schema(&mut requests).to_value(),
                    };
                    let mut param = json!({
                        "name": p.name, "in": p.location.as_str(), "required": p.required, "schema": schema,
                    });
                    if !p.description.is_empty() {
                        param["description"] = p.description.clone().into();
                    }
                    param
                })
                .collect();
            operation.insert("parameters".into(), params.into());
        }
        if let Some((schema, description)) = op.body {
            bodies.push((
                op.path,
                method.clone(),
                json!({
                    "description": description,
                    "required": true,
                    "content": { "application/json": { "schema": schema(&mut requests) } },
                }),
            ));
        }
        let mut answers = Map::new();
        for reply in &op.replies {
            let mut answer = json!({ "description": reply.description });
            match &reply.content {
                Some(Content::Json(schema)) => {
                    answer["content"] = json!({ "application/json": { "schema": schema(&mut responses) } });
                }
                Some(Content::Other(media_type, schema)) => {
                    answer["content"] = json!({ *media_type: { "schema": schema } });
                }
                None => {}
            }
            if !reply.headers.is_empty() {
                let headers: Map<String, Value> = reply
                    .headers
                    .iter()
                    .map(|(name, text)| {
                        ((*name).to_owned(), json!({ "description": text, "schema": { "type": "string" } }))
                    })
                    .collect();
                answer["headers"] = headers.into();
            }
            if !reply.links.is_empty() {
                let links: Map<String, Value> =
                    reply.links.iter().map(|(name, link)| ((*name).to_owned(), link.json())).collect();
                answer["links"] = links.into();
            }
            answers.insert(reply.status.to_string(), answer);
        }
        for status in op.problem_statuses() {
            let mut content = json!({ "application/problem+json": { "schema": problem } });
            // API Gateway answers these itself, before the function: a refused token or its throttle.
            if matches!(status, 401 | 403 | 429) && (status == 429 || !op.public) {
                content["application/json"] = json!({ "schema": gateway });
            }
            let mut answer = json!({ "description": reason(status), "content": content });
            if matches!(status, 429 | 503) {
                answer["headers"] = json!({ "Retry-After": {
                    "description": "Seconds to wait before retrying.", "schema": { "type": "string" } } });
            }
            answers.entry(status.to_string()).or_insert(answer);
        }
        operation.insert("responses".into(), answers.into());
        let item = paths.entry(op.path).or_default();
        assert!(item.insert(method, operation.into()).is_none(), "{} {} is declared twice", op.method, op.path);
    }

    // One component per type name. A type that reads differently from how it is written (a
    // defaulted field is optional in, always present out) keeps its name for the response and
    // becomes `<Name>Input` for requests.
    let mut components = responses.take_definitions(true);
    let mut renamed = BTreeMap::new();
    let request_definitions = requests.take_definitions(true);
    for (name, schema) in &request_definitions {
        if components.get(name).is_some_and(|existing| existing != schema) {
            renamed.insert(format!("{COMPONENTS}{name}"), format!("{COMPONENTS}{name}Input"));
        }
    }
    for (name, mut schema) in request_definitions {
        rename_refs(&mut schema, &renamed);
        let key = if renamed.contains_key(&format!("{COMPONENTS}{name}")) { format!("{name}Input") } else { name };
        components.insert(key, schema);
    }
    for (path, method, mut body) in bodies {
        rename_refs(&mut body, &renamed);
        if let Some(item) = paths.get_mut(path).and_then(|item| item.get_mut(&method)) {
            item["requestBody"] = body;
        }
    }
    // Parameters are read, so a typed one refers to the request side's component too.
    for operation in paths.values_mut().flat_map(|item| item.values_mut()) {
        if let Some(parameters) = operation.get_mut("parameters") {
            rename_refs(parameters, &renamed);
        }
    }

    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": { "title": title, "version": version, "description": description },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": { "bearer": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "An RS256 access token from `POST /auth/login`.",
            } },
        },
    })
}

fn rename_refs(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Some(to) = v.as_str().and_then(|r| renamed.get(r))
                {
                    *v = to.clone().into();
                } else {
                    rename_refs(v, renamed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// The committed text of a document (pretty JSON, trailing newline).
pub fn render(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// Reads with a default, so the field is optional in and always present out.
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Thing {
        name: String,
        #[serde(default)]
        count: u32,
    }

    fn ops() -> Vec<Operation> {
        vec![
            Operation::post("/things", "createThing", "Create a thing")
                .access(Access::Permission("things:write"))
                .json_body::<Thing>("The thing")
                .returns::<Thing>(201, "Created")
                .with_header("Location", "Where it lives")
                .problems(&[409]),
            Operation::get("/things/{id}", "getThing", "A thing")
                .public()
                .path_param("id", "Its id")
                .returns::<Thing>(200, "The thing")
                .problems(&[404]),
        ]
    }

    #[test]
    fn a_type_read_and_written_differently_gets_two_components() {
        let doc = document("T", "1", "d", &ops());
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Thing"]["required"], json!(["name", "count"]));
        assert_eq!(schemas["ThingInput"]["required"], json!(["name"]));
        let post = &doc["paths"]["/things"]["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ThingInput"
        );
        assert_eq!(
            post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Thing"
        );
        assert!(post["responses"]["201"]["headers"]["Location"].is_object());
    }

    #[test]
    fn automatic_answers_follow_auth_and_body() {
        let doc = document("T", "1", "d", &ops());
        let post = &doc["paths"]["/things"]["post"];
        let statuses: Vec<&String> = post["responses"].as_object().expect("responses").keys().collect();
        assert_eq!(statuses, ["201", "400", "401", "403", "409", "413", "415", "429", "500"]);
        assert_eq!(post["security"], json!([{ "bearer": [] }]));
        assert!(post["responses"]["401"]["content"]["application/json"].is_object(), "the authorizer's own 401");
        let get = &doc["paths"]["/things/{id}"]["get"];
        let statuses: Vec<&String> = get["responses"].as_object().expect("responses").keys().collect();
        assert_eq!(statuses, ["200", "404", "429", "500"]);
        assert_eq!(get["security"], json!([]));
        assert_eq!(
            get["parameters"][0],
            json!({
                "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "Its id",
            })
        );
        assert_eq!(
            get["responses"]["404"]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
    }

    #[test]
    fn access_is_stated_in_words_and_as_data() {
        const CANCEL: Action = Action::act(Owner::Allowed, "things:cancel_any");
        let stated = vec![
            Operation::post("/things/{id}/cancel", "cancelThing", "Cancel")
                .describe("Cancels it.")
                .access(Access::Resource("the thing", CANCEL)),
            Operation::get("/things", "listThings", "List")
                .access(Access::SignedIn("their own things"))
                .access(Access::Scope("`?all=true`", "things:read_all")),
        ];
        let doc = document("T", "1", "d", &stated);
        let cancel = &doc["paths"]["/things/{id}/cancel"]["post"];
        assert_eq!(
            cancel["description"],
            "Cancels it.\n\n**Access:** the owner of the thing, or a holder of `things:cancel_any` (over anyone's)."
        );
        assert_eq!(
            cancel["x-access"],
            json!([{ "resource": "the thing", "owner": true, "any": "things:cancel_any", "changes": true }])
        );
        let list = &doc["paths"]["/things"]["get"];
        assert_eq!(
            list["description"],
            "**Access:** any signed-in caller, on their own things; `things:read_all` for `?all=true`."
        );
        let public = document("T", "1", "d", &ops()[1..]);
        assert_eq!(public["paths"]["/things/{id}"]["get"]["description"], "**Access:** public.");
    }

    #[test]
    fn links_and_typed_parameters_are_written_where_clients_look_for_them() {
        #[derive(JsonSchema)]
        #[allow(dead_code)]
        enum Kind {
            Small,
            Large,
        }
        let linked = vec![
            Operation::post("/things", "createThing", "Create")
                .public()
                .idempotency_key(10, "thing")
                .json_body::<Thing>("The thing")
                .returns::<Thing>(201, "Created")
                .with_header("Location", "Where")
                .link("thing", Link::to("getThing").param("id", "$response.body#/name").describe("Reads it back."))
                .link("again", Link::to("createThing").body(json!({ "name": "$request.body#/name" }))),
            Operation::get("/things/{id}", "getThing", "A thing")
                .public()
                .path_param_of::<Kind>("id", "Its kind")
                .returns::<Thing>(200, "The thing"),
        ];
        let doc = document("T", "1", "d", &linked);
        let links = &doc["paths"]["/things"]["post"]["responses"]["201"]["links"];
        assert_eq!(
            links["thing"],
            json!({
                "operationId": "getThing",
                "description": "Reads it back.",
                "parameters": { "id": "$response.body#/name" },
            })
        );
        assert_eq!(links["again"]["requestBody"], json!({ "name": "$request.body#/name" }));
        assert_eq!(links["again"]["x-schemathesis"], json!({ "merge_body": false }), "the body is the whole body");
        let key = &doc["paths"]["/things"]["post"]["parameters"][0];
        assert_eq!(
            (key["name"].as_str(), key["in"].as_str(), key["required"].as_bool()),
            (Some("Idempotency-Key"), Some("header"), Some(true))
        );
        assert_eq!(key["schema"]["maxLength"], 10);
        assert_eq!(key["schema"]["pattern"], text::header_pattern());
        let id = &doc["paths"]["/things/{id}"]["get"]["parameters"][0];
        assert_eq!(id["schema"]["$ref"], "#/components/schemas/Kind");
        assert_eq!(doc["components"]["schemas"]["Kind"]["enum"], json!(["Small", "Large"]));
    }

    #[test]
    #[should_panic(expected = "link before any returns")]
    fn a_link_needs_an_answer() {
        let _ = Operation::get("/a", "a", "A").link("b", Link::to("b"));
    }

    #[test]
    #[should_panic(expected = "states no access")]
    fn a_route_behind_the_authorizer_must_state_its_access() {
        document("T", "1", "d", &[Operation::get("/a", "a", "A")]);
    }

    #[test]
    #[should_panic(expected = "declared twice")]
    fn a_route_declared_twice_is_refused() {
        let twice = vec![Operation::get("/a", "one", "A").public(), Operation::get("/a", "two", "A").public()];
        document("T", "1", "d", &twice);
    }

    #[test]
    #[should_panic(expected = "no path parameter")]
    fn describing_a_missing_path_parameter_is_refused() {
        let _ = Operation::get("/a/{id}", "a", "A").path_param("name", "x");
    }
}
