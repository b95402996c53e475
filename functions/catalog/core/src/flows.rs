//! The catalog's use cases, one function per route or event, over [`CatalogStore`].
//! Function crates parse the request and call these; the wire mapping is in `error`.

use bazaar_aws::cursor::CursorKey;
use bazaar_aws::dynamo::{self, Item};
use bazaar_events::Envelope;
use bazaar_events::catalog::ReleaseReason;
use bazaar_runtime::{Action, Identity, Owner};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::holds::expiry_cutoff;
use crate::model::{NewProduct, NewProductBody, PatchBody, ProductPatch, StockBody, parse_stock};
use crate::store::{Release, list_partition};
use crate::{CatalogError, CatalogStore, Product};

/// Ids longer than this are not ours (uuids are 36 characters): 404 without a read.
const MAX_ID_LEN: usize = 64;

/// `GET /products`: one page and the cursor of the next (`null` on the last page).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ProductPage")]
pub struct Page {
    pub items: Vec<Product>,
    pub next_cursor: Option<String>,
}

/// The parameters of a listing (already bounded by the HTTP layer).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub category: Option<String>,
    pub limit: i32,
    pub cursor: Option<String>,
}

/// Create products, and change or delete one's own.
pub const WRITE: &str = "catalog:write";
/// Change or delete any product.
pub const WRITE_ALL: &str = "catalog:write_all";

/// The caller, or 403 unless they may change some product (`catalog:write` or `catalog:write_all`);
/// which products is [`may_change`]'s question.
pub fn writer(identity: Identity) -> Result<Identity, CatalogError> {
    if identity.has_permission(WRITE_ALL) || identity.has_permission(WRITE) {
        Ok(identity)
    } else {
        Err(CatalogError::Forbidden)
    }
}

/// Changing (editing, restocking, deleting) a product: its owner holding `catalog:write`, or a
/// holder of `catalog:write_all`. A product without an owner is only `write_all`'s.
pub const EDIT: Action = Action::act(Owner::With(WRITE), WRITE_ALL);

/// Whether `identity` may change `product` ([`EDIT`]). Products are public, so another
/// owner's product is a 403, not a 404: hiding it would hide nothing.
pub fn may_change(identity: &Identity, product: &Product) -> Result<(), CatalogError> {
    if identity.may(&EDIT, &product.owner_id) { Ok(()) } else { Err(CatalogError::NotOwner) }
}

/// `POST /products`: the caller becomes the product's owner.
pub async fn create(
    store: &CatalogStore,
    body: NewProductBody,
    owner: &Identity,
    correlation_id: &str,
) -> Result<Product, CatalogError> {
    let product =
        NewProduct::parse(body)?.into_product(uuid::Uuid::new_v4().to_string(), owner.sub.clone(), Utc::now());
    store.create(&product, &Envelope::new(product.changed(), correlation_id)).await?;
    tracing::info!(product_id = %product.id, owner_id = %product.owner_id, "product created");
    Ok(product)
}

/// An active product; unknown and deleted ones are `NotFound`.
pub async fn get(store: &CatalogStore, id: &str) -> Result<Product, CatalogError> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(CatalogError::NotFound);
    }
    store.product(id).await?.filter(|p| p.active).ok_or(CatalogError::NotFound)
}

pub async fn update(
    store: &CatalogStore,
    id: &str,
    body: PatchBody,
    identity: &Identity,
    correlation_id: &str,
) -> Result<Product, CatalogError> {
    let patch = ProductPatch::parse(body)?;
    let current = get(store, id).await?;
    may_change(identity, &current)?;
    let next = current.patched(patch, Utc::now());
    store.save_change(&current, &next, &Envelope::new(next.changed(), correlation_id)).await?;
    tracing::info!(product_id = %id, version = next.version, "product updated");
    Ok(next)
}

/// Soft delete: the product stays stored (holds and orders refer to it) but is inactive.
pub async fn delete(
    store: &CatalogStore,
    id: &str,
    identity: &Identity,
    correlation_id: &str,
) -> Result<(), CatalogError> {
    let current = get(store, id).await?;
    may_change(identity, &current)?;
    let next = current.deleted(Utc::now());
    store.save_change(&current, &next, &Envelope::new(next.changed(), correlation_id)).await?;
    tracing::info!(product_id = %id, version = next.version, "product deleted");
    Ok(())
}

/// `PUT /products/{id}/stock`. The owner is read first; it never changes, so the write
/// cannot race a change of owner.
pub async fn set_stock(
    store: &CatalogStore,
    id: &str,
    body: StockBody,
    identity: &Identity,
) -> Result<Product, CatalogError> {
    let quantity = parse_stock(body)?;
    may_change(identity, &get(store, id).await?)?;
    let product = store.set_stock(id, quantity, Utc::now()).await?;
    tracing::info!(product_id = %id, stock = quantity, "stock set");
    Ok(product)
}

pub async fn list(store: &CatalogStore, key: &CursorKey, query: ListQuery) -> Result<Page, CatalogError> {
    let category = query.category.as_deref();
    let start = open_cursor(key, query.cursor.as_deref(), category)?;
    let (items, last) = store.list(category, query.limit, start).await?;
    let next_cursor = last.map(|k| key.seal(&k)).transpose()?;
    Ok(Page { items, next_cursor })
}

/// The start key a cursor stands for (none without one), only if it was sealed by us for
/// this same listing (a cursor of another category would make DynamoDB fail the query).
pub fn open_cursor(
    key: &CursorKey,
    cursor: Option<&str>,
    category: Option<&str>,
) -> Result<Option<Item>, CatalogError> {
    let (_, attr, value) = list_partition(category);
    let of_listing = |item: &Item| {
        dynamo::string(item, attr) == Some(value.as_str())
            && dynamo::string(item, "pk").is_some_and(|v| v.starts_with("PRODUCT#"))
    };
    key.open_scoped(cursor, of_listing).map_err(|e| CatalogError::BadRequest(e.to_string()))
}

/// `catalog-holds-expire`: releases holds unpaid `grace_seconds` past their expiry.
/// Returns how many were released by this run.
pub async fn release_expired(
    store: &CatalogStore,
    now: DateTime<Utc>,
    grace_seconds: i64,
    max: usize,
) -> anyhow::Result<usize> {
    use futures::StreamExt;
    let holds = store.expired_holds(&expiry_cutoff(now, grace_seconds), max).await?;
    let results: Vec<anyhow::Result<Release>> = futures::stream::iter(holds)
        .map(|hold| async move {
            let released = store.release(&hold.order_id, ReleaseReason::Expired, None, now).await;
            if let Ok(Release::Released(_)) = &released {
                tracing::info!(order_id = %hold.order_id, correlation_id = %hold.correlation_id, "expired hold released");
            }
            released
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut released = 0;
    let mut failures = 0;
    for result in results {
        match result {
            Ok(Release::Released(_)) => released += 1,
            Ok(_) => {}
            Err(e) => {
                failures += 1;
                tracing::warn!(error = format!("{e:#}"), "releasing an expired hold failed; the next run retries");
            }
        }
    }
    anyhow::ensure!(released > 0 || failures == 0, "every expired hold failed to release ({failures})");
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_aws::dynamo::s;

    fn key() -> CursorKey {
        CursorKey::new("0123456789abcdef-test").expect("key")
    }

    #[test]
    fn an_owner_changes_their_own_products_and_write_all_changes_any() {
        let now = Utc::now();
        let product = |owner: &str| {
            let new = crate::model::NewProduct {
                name: "Lamp".into(),
                description: None,
                category: "home".into(),
                price: bazaar_events::Money::new(100, "EUR"),
                stock: 1,
            };
            new.into_product("p".into(), owner.into(), now)
        };
        let mine = product("a");
        assert!(may_change(&Identity::holding("a", &[WRITE]), &mine).is_ok());
        assert!(matches!(may_change(&Identity::holding("b", &[WRITE]), &mine), Err(CatalogError::NotOwner)));
        assert!(
            matches!(may_change(&Identity::holding("a", &[]), &mine), Err(CatalogError::NotOwner)),
            "write is needed"
        );
        assert!(may_change(&Identity::holding("admin", &[WRITE_ALL]), &mine).is_ok());
        let legacy = product("");
        assert!(matches!(may_change(&Identity::holding("", &[WRITE]), &legacy), Err(CatalogError::NotOwner)));
        assert!(may_change(&Identity::holding("admin", &[WRITE_ALL]), &legacy).is_ok());
        assert!(writer(Identity::holding("x", &[WRITE_ALL])).is_ok());
        assert!(matches!(writer(Identity::holding("x", &["orders:read_all"])), Err(CatalogError::Forbidden)));
    }

    #[test]
    fn a_cursor_opens_only_for_the_listing_it_came_from() {
        let all: Item = [
            ("pk".to_owned(), s("PRODUCT#1")),
            ("sk".to_owned(), s("PRODUCT")),
            ("gsi1pk".to_owned(), s("PRODUCTS")),
            ("gsi1sk".to_owned(), s("2026#1")),
        ]
        .into();
        let cursor = key().seal(&all).expect("seals");
        assert_eq!(open_cursor(&key(), Some(&cursor), None).expect("opens"), Some(all));
        assert!(
            matches!(open_cursor(&key(), Some(&cursor), Some("lamps")), Err(CatalogError::BadRequest(_))),
            "other listing"
        );
        assert!(matches!(open_cursor(&key(), Some("garbage"), None), Err(CatalogError::BadRequest(_))), "garbage");
        let hold: Item = [("pk".to_owned(), s("HOLD#o")), ("gsi1pk".to_owned(), s("PRODUCTS"))].into();
        let cursor = key().seal(&hold).expect("seals");
        assert!(open_cursor(&key(), Some(&cursor), None).is_err(), "only product keys");
        assert_eq!(open_cursor(&key(), None, None).expect("no cursor"), None);
    }
}
