//! DynamoDB tables: keys, GSIs (projection ALL), on-demand billing, streams and TTL.

use std::collections::BTreeMap;

use anyhow::Context as _;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification, TimeToLiveStatus,
};

use super::tolerate_existing;
use crate::model::{KeyAttr, Table};

fn key_schema(hash: &KeyAttr, range: Option<&KeyAttr>) -> anyhow::Result<Vec<KeySchemaElement>> {
    let element = |k: &KeyAttr, t: KeyType| KeySchemaElement::builder().attribute_name(&k.name).key_type(t).build();
    let mut out = vec![element(hash, KeyType::Hash)?];
    if let Some(range) = range {
        out.push(element(range, KeyType::Range)?);
    }
    Ok(out)
}

/// Every key attribute of the table and its indexes, once each.
fn attribute_definitions(table: &Table) -> anyhow::Result<Vec<AttributeDefinition>> {
    let mut types = BTreeMap::new();
    let keys = [Some(&table.hash_key), table.range_key.as_ref()].into_iter().flatten();
    let gsi_keys = table.gsis.iter().flat_map(|g| [Some(&g.hash_key), g.range_key.as_ref()]).flatten();
    for key in keys.chain(gsi_keys) {
        types.insert(key.name.clone(), key.attr_type.clone());
    }
    types
        .into_iter()
        .map(|(name, t)| {
            let def = AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(t.as_str()))
                .build()?;
            Ok(def)
        })
        .collect()
}

fn gsis(table: &Table) -> anyhow::Result<Vec<GlobalSecondaryIndex>> {
    let all = Projection::builder().projection_type(ProjectionType::All).build();
    table
        .gsis
        .iter()
        .map(|g| {
            let gsi = GlobalSecondaryIndex::builder()
                .index_name(&g.name)
                .set_key_schema(Some(key_schema(&g.hash_key, g.range_key.as_ref())?))
                .projection(all.clone())
                .build()?;
            Ok(gsi)
        })
        .collect()
}

/// Creates the table (or finds it) and returns its stream ARN, if it has a stream.
pub(super) async fn ensure_table(client: &Client, table: &Table) -> anyhow::Result<Option<String>> {
    let mut create = client
        .create_table()
        .table_name(&table.name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&table.hash_key, table.range_key.as_ref())?))
        .set_attribute_definitions(Some(attribute_definitions(table)?));
    if !table.gsis.is_empty() {
        create = create.set_global_secondary_indexes(Some(gsis(table)?));
    }
    if let Some(view) = &table.stream_view_type {
        let spec = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::from(view.as_str()))
            .build()?;
        create = create.stream_specification(spec);
    }
    let created = tolerate_existing(create.send().await)?;
    let mut stream_arn = created.and_then(|c| c.table_description?.latest_stream_arn);
    if stream_arn.is_none() && table.stream_view_type.is_some() {
        let described = client.describe_table().table_name(&table.name).send().await?;
        stream_arn = described.table.and_then(|t| t.latest_stream_arn);
        anyhow::ensure!(stream_arn.is_some(), "{} exists without a stream", table.name);
    }
    if let Some(attribute) = &table.ttl_attribute {
        ensure_ttl(client, &table.name, attribute).await?;
    }
    Ok(stream_arn)
}

/// Enables TTL unless it already is (UpdateTimeToLive refuses to enable it twice).
async fn ensure_ttl(client: &Client, table: &str, attribute: &str) -> anyhow::Result<()> {
    let current = client.describe_time_to_live().table_name(table).send().await?;
    let enabled =
        current.time_to_live_description.is_some_and(|d| d.time_to_live_status == Some(TimeToLiveStatus::Enabled));
    if enabled {
        return Ok(());
    }
    let spec = TimeToLiveSpecification::builder().attribute_name(attribute).enabled(true).build()?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(spec)
        .send()
        .await
        .context("UpdateTimeToLive")?;
    Ok(())
}
