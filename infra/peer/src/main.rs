//! GET /products/{id}: one DynamoDB GetItem, the product as JSON, 404 when there is none
//! and 400 without an id. The peer of catalog-products-get in `make bench-init`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use serde_json::json;
use tracing::{error, info, instrument, warn};

#[derive(Debug, Serialize)]
struct Product {
    id: String,
    name: String,
    price: f64,
}

struct Store {
    client: Client,
    table_name: String,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).json().init();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let table_name = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME must be set")?;
    info!("Initializing DynamoDB store with table name: {table_name}");
    let store = Store { client: Client::new(&config), table_name };
    lambda_http::run(service_fn(|event: Request| get_product(&store, event))).await
}

#[instrument(skip(store, event))]
async fn get_product(store: &Store, event: Request) -> Result<Response<Body>, Error> {
    let Some(id) = event.path_parameters().first("id").map(str::to_owned) else {
        warn!("Missing 'id' parameter in path");
        return response(StatusCode::BAD_REQUEST, json!({ "message": "Missing 'id' parameter in path" }));
    };
    info!("Fetching product {id}");
    let got =
        store.client.get_item().table_name(&store.table_name).key("id", AttributeValue::S(id.clone())).send().await;
    match got.map(|out| out.item) {
        Ok(Some(item)) => match product(&item) {
            Some(product) => response(StatusCode::OK, json!(product)),
            None => {
                error!("Product {id} is malformed");
                response(StatusCode::INTERNAL_SERVER_ERROR, json!({ "message": "Failed to get product" }))
            }
        },
        Ok(None) => {
            warn!("Product not found: {id}");
            response(StatusCode::NOT_FOUND, json!({ "message": "Product not found" }))
        }
        Err(err) => {
            error!("Error getting product {id}: {err}");
            response(StatusCode::INTERNAL_SERVER_ERROR, json!({ "message": "Failed to get product" }))
        }
    }
}

fn product(item: &std::collections::HashMap<String, AttributeValue>) -> Option<Product> {
    Some(Product {
        id: item.get("id")?.as_s().ok()?.clone(),
        name: item.get("name")?.as_s().ok()?.clone(),
        price: item.get("price")?.as_n().ok()?.parse().ok()?,
    })
}

fn response(status: StatusCode, body: serde_json::Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}
