//! Products and the request bodies that create or change them. Bodies are parsed, then
//! validated into values that cannot be invalid (every problem is reported per field, 422).

use bazaar_events::Money;
use bazaar_events::catalog::ProductChanged;
use bazaar_runtime::problem::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CatalogError;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_CATEGORY_CHARS: usize = 100;
/// A price above this (10^11 minor units) is a typo, not a product.
pub const MAX_PRICE_MINOR: i64 = 100_000_000_000;
/// Units a product may hold in stock (fits u32 with room for returned holds).
pub const MAX_STOCK: i64 = 1_000_000_000;

/// An ISO 4217 code as `bazaar_events::wire::is_currency_code` takes it.
pub const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";

/// A name or a category as [`text`] takes it: something left once trimmed, and no control
/// character in it. (Its length is the field's `maxLength`, counted before the trim.)
pub fn text_pattern() -> String {
    bazaar_runtime::text::trimmed_pattern()
}

/// A product as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Product {
    pub id: String,
    /// The user who created it; only they (holding `catalog:write`) or a holder of
    /// `catalog:write_all` may change it. Empty for a product created before products had
    /// owners: only `catalog:write_all` may change those.
    #[serde(default)]
    pub owner_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub category: String,
    pub price: Money,
    /// Units available to order (held units are already subtracted).
    pub stock: u32,
    /// False once deleted: invisible to the API, cannot be ordered.
    pub active: bool,
    /// Grows by one with every change that emits `ProductChanged`.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Product {
    /// The event describing this product's current state.
    pub fn changed(&self) -> ProductChanged {
        ProductChanged {
            product_id: self.id.clone(),
            owner_id: self.owner_id.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            price: self.price.clone(),
            active: self.active,
            version: self.version,
        }
    }

    /// The same product after `patch` (one version later).
    pub fn patched(&self, patch: ProductPatch, now: DateTime<Utc>) -> Product {
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = name;
        }
        if let Some(description) = patch.description {
            next.description = description;
        }
        if let Some(category) = patch.category {
            next.category = category;
        }
        if let Some(price) = patch.price {
            next.price = price;
        }
        next.version += 1;
        next.updated_at = now;
        next
    }

    /// The same product, deleted (one version later).
    pub fn deleted(&self, now: DateTime<Utc>) -> Product {
        Product { active: false, version: self.version + 1, updated_at: now, ..self.clone() }
    }
}

/// `price` as sent by a client.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ProductPrice")]
pub struct PriceBody {
    /// In the currency's minor unit (cents).
    #[schemars(range(min = 0, max = MAX_PRICE_MINOR))]
    pub amount_minor: i64,
    /// An ISO 4217 code: three upper-case letters.
    #[schemars(pattern(CURRENCY_PATTERN))]
    pub currency: String,
}

/// `POST /products`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewProduct")]
pub struct NewProductBody {
    /// 1 to 200 characters once trimmed, without control characters.
    #[schemars(length(min = 1, max = MAX_NAME_CHARS), pattern(text_pattern()))]
    pub name: String,
    /// At most 2000 characters once trimmed; blank means none.
    #[serde(default)]
    #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Option<String>,
    /// 1 to 100 characters once trimmed, without control characters.
    #[schemars(length(min = 1, max = MAX_CATEGORY_CHARS), pattern(text_pattern()))]
    pub category: String,
    pub price: PriceBody,
    /// Units available to order (0 when absent).
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_STOCK))]
    pub stock: Option<i64>,
}

/// `PATCH /products/{id}`: absent fields stay; `"description": null` clears it.
///
/// At least one field (an empty patch is a 422). `null` is read as absent for the other
/// fields, so the document describes them as non-null: a patch of only `{"name": null}`
/// changes nothing and is refused.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ProductPatch", extend("minProperties" = 1))]
pub struct PatchBody {
    /// 1 to 200 characters once trimmed, without control characters.
    #[serde(default)]
    #[schemars(with = "String", length(min = 1, max = MAX_NAME_CHARS), pattern(text_pattern()))]
    #[schemars(transform = absent_not_null)]
    pub name: Option<String>,
    /// At most 2000 characters once trimmed; null or blank clears it.
    #[serde(default, deserialize_with = "bazaar_runtime::patch::present")]
    #[schemars(with = "Option<String>", length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Option<Option<String>>,
    /// 1 to 100 characters once trimmed, without control characters.
    #[serde(default)]
    #[schemars(with = "String", length(min = 1, max = MAX_CATEGORY_CHARS), pattern(text_pattern()))]
    #[schemars(transform = absent_not_null)]
    pub category: Option<String>,
    #[serde(default)]
    #[schemars(with = "PriceBody", transform = absent_not_null)]
    pub price: Option<PriceBody>,
}

/// A patch field described as its value alone: absent is how it stays, so the `null` serde's
/// default would name is left out.
fn absent_not_null(schema: &mut schemars::Schema) {
    schema.remove("default");
}

/// `PUT /products/{id}/stock`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ProductStock")]
pub struct StockBody {
    /// Units available to order.
    #[schemars(range(min = 0, max = MAX_STOCK))]
    pub quantity: i64,
}

/// A validated new product (everything but id and timestamps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub name: String,
    pub description: Option<String>,
    pub category: String,
    pub price: Money,
    pub stock: u32,
}

impl NewProduct {
    pub fn parse(body: NewProductBody) -> Result<NewProduct, CatalogError> {
        let mut errors = Vec::new();
        let name = text(&mut errors, "name", &body.name, MAX_NAME_CHARS);
        let category = text(&mut errors, "category", &body.category, MAX_CATEGORY_CHARS);
        let description = description(&mut errors, body.description);
        let price = price(&mut errors, "price", body.price);
        let stock = quantity(&mut errors, "stock", body.stock.unwrap_or(0));
        match (name, category, price, stock) {
            (Some(name), Some(category), Some(price), Some(stock)) if errors.is_empty() => {
                Ok(NewProduct { name, description, category, price, stock })
            }
            _ => Err(CatalogError::Invalid(errors)),
        }
    }

    pub fn into_product(self, id: String, owner_id: String, now: DateTime<Utc>) -> Product {
        Product {
            id,
            owner_id,
            name: self.name,
            description: self.description,
            category: self.category,
            price: self.price,
            stock: self.stock,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A validated partial update with at least one field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub category: Option<String>,
    pub price: Option<Money>,
}

impl ProductPatch {
    pub fn parse(body: PatchBody) -> Result<ProductPatch, CatalogError> {
        if body.name.is_none() && body.description.is_none() && body.category.is_none() && body.price.is_none() {
            return Err(CatalogError::invalid("body", "send at least one of name, description, category, price"));
        }
        let mut errors = Vec::new();
        let patch = ProductPatch {
            name: body.name.and_then(|n| text(&mut errors, "name", &n, MAX_NAME_CHARS)),
            description: body.description.map(|d| description(&mut errors, d)),
            category: body.category.and_then(|c| text(&mut errors, "category", &c, MAX_CATEGORY_CHARS)),
            price: body.price.and_then(|p| price(&mut errors, "price", p)),
        };
        if errors.is_empty() { Ok(patch) } else { Err(CatalogError::Invalid(errors)) }
    }
}

/// Units to set as available: 0..=[`MAX_STOCK`].
pub fn parse_stock(body: StockBody) -> Result<u32, CatalogError> {
    let mut errors = Vec::new();
    quantity(&mut errors, "quantity", body.quantity).ok_or_else(|| CatalogError::Invalid(errors))
}

fn error(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError { field: field.to_owned(), message: message.into() });
}

/// Trimmed text of 1..=`max` characters without control characters.
fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        error(errors, field, format!("must be 1 to {max} characters"));
        None
    } else if value.chars().any(char::is_control) {
        error(errors, field, "must not contain control characters");
        None
    } else {
        Some(value.to_owned())
    }
}

/// An optional description: blank means none.
fn description(errors: &mut Vec<FieldError>, value: Option<String>) -> Option<String> {
    let value = value.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty())?;
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        error(errors, "description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters"));
        return None;
    }
    Some(value)
}

fn price(errors: &mut Vec<FieldError>, field: &str, body: PriceBody) -> Option<Money> {
    let before = errors.len();
    if !(0..=MAX_PRICE_MINOR).contains(&body.amount_minor) {
        error(errors, &format!("{field}.amount_minor"), format!("must be from 0 to {MAX_PRICE_MINOR}"));
    }
    if !bazaar_events::wire::is_currency_code(&body.currency) {
        error(errors, &format!("{field}.currency"), "must be an ISO 4217 code of three upper-case letters");
    }
    (errors.len() == before).then(|| Money::new(body.amount_minor, body.currency))
}

fn quantity(errors: &mut Vec<FieldError>, field: &str, value: i64) -> Option<u32> {
    if (0..=MAX_STOCK).contains(&value) {
        u32::try_from(value).ok()
    } else {
        error(errors, field, format!("must be an integer from 0 to {MAX_STOCK}"));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> NewProductBody {
        serde_json::from_value(json).expect("parses")
    }

    /// The fields an `Invalid` error names (panics on any other error).
    fn fields(e: &CatalogError) -> Vec<&str> {
        match e {
            CatalogError::Invalid(errors) => errors.iter().map(|e| e.field.as_str()).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_valid_product_is_trimmed_and_starts_at_version_one_with_its_stock() {
        let new = NewProduct::parse(body(serde_json::json!({
            "name": "  Lamp ", "description": " ", "category": "home",
            "price": {"amount_minor": 1999, "currency": "EUR"}, "stock": 5
        })))
        .expect("valid");
        assert_eq!(new.name, "Lamp");
        assert_eq!(new.description, None);
        let p = new.into_product("p1".into(), "owner-1".into(), Utc::now());
        assert_eq!((p.version, p.stock, p.active), (1, 5, true));
        assert_eq!(p.changed().price, Money::new(1999, "EUR"));
        assert_eq!(p.changed().owner_id, "owner-1");
    }

    #[test]
    fn every_invalid_field_is_named() {
        let problem = NewProduct::parse(body(serde_json::json!({
            "name": "", "category": "x", "price": {"amount_minor": -1, "currency": "eur"}, "stock": -3
        })))
        .expect_err("invalid");
        assert_eq!(fields(&problem), ["name", "price.amount_minor", "price.currency", "stock"]);
    }

    #[test]
    fn a_patch_needs_a_field_and_null_clears_the_description() {
        let empty: PatchBody = serde_json::from_str("{}").expect("parses");
        assert_eq!(fields(&ProductPatch::parse(empty).expect_err("empty")), ["body"]);
        let clear: PatchBody = serde_json::from_str(r#"{"description": null}"#).expect("parses");
        let patch = ProductPatch::parse(clear).expect("valid");
        assert_eq!(patch.description, Some(None));
        let absent: PatchBody = serde_json::from_str(r#"{"name": "B"}"#).expect("parses");
        assert_eq!(ProductPatch::parse(absent).expect("valid").description, None);
        assert!(serde_json::from_str::<PatchBody>(r#"{"stock": 3}"#).is_err(), "stock is not patchable");
    }

    #[test]
    fn patching_and_deleting_bump_the_version() {
        let now = Utc::now();
        let p = NewProduct {
            name: "A".into(),
            description: Some("d".into()),
            category: "c".into(),
            price: Money::new(1, "EUR"),
            stock: 2,
        }
        .into_product("p".into(), "o".into(), now);
        let patch = ProductPatch { price: Some(Money::new(5, "EUR")), description: Some(None), ..Default::default() };
        let next = p.patched(patch, now);
        assert_eq!((next.version, next.price.amount_minor, next.description.clone()), (2, 5, None));
        assert_eq!(next.name, "A");
        let gone = next.deleted(now);
        assert_eq!((gone.version, gone.active, gone.stock), (3, false, 2));
        assert_eq!(gone.owner_id, "o", "the owner never changes");
    }

    /// A number the document states for `NewProductBody` (or, with a `$defs` pointer, a type it uses).
    fn stated(pointer: &str) -> i64 {
        let schema = schemars::schema_for!(NewProductBody);
        let value = schema.as_value().pointer(pointer).unwrap_or_else(|| panic!("the schema states {pointer}"));
        value.as_i64().expect("a number")
    }

    fn product(name: &str, category: &str, description: &str, amount: i64, stock: i64) -> serde_json::Value {
        serde_json::json!({
            "name": name, "category": category, "description": description,
            "price": {"amount_minor": amount, "currency": "EUR"}, "stock": stock,
        })
    }

    #[test]
    fn the_documented_limits_are_the_validated_ones() {
        let at = |field: &str| "x".repeat(stated(&format!("/properties/{field}/maxLength")) as usize);
        let past = |field: &str| format!("{}x", at(field));
        let (amount, stock) =
            (stated("/$defs/ProductPrice/properties/amount_minor/maximum"), stated("/properties/stock/maximum"));
        let valid = product(&at("name"), &at("category"), &at("description"), amount, stock);
        assert!(NewProduct::parse(body(valid)).is_ok(), "every field at its documented limit");
        for (json, field) in [
            (product(&past("name"), "c", "", 1, 0), "name"),
            (product("n", &past("category"), "", 1, 0), "category"),
            (product("n", "c", &past("description"), 1, 0), "description"),
            (product("n", "c", "", amount + 1, 0), "price.amount_minor"),
            (
                product("n", "c", "", stated("/$defs/ProductPrice/properties/amount_minor/minimum") - 1, 0),
                "price.amount_minor",
            ),
            (product("n", "c", "", 1, stock + 1), "stock"),
            (product("n", "c", "", 1, stated("/properties/stock/minimum") - 1), "stock"),
        ] {
            assert_eq!(fields(&NewProduct::parse(body(json)).expect_err(field)), [field]);
        }
        let patch = |json| ProductPatch::parse(serde_json::from_value(json).expect("parses"));
        assert!(patch(serde_json::json!({ "name": at("name") })).is_ok());
        assert!(patch(serde_json::json!({ "category": past("category") })).is_err());
        let min_properties = schemars::schema_for!(PatchBody).as_value()["minProperties"].as_u64();
        assert_eq!(min_properties, Some(1), "an empty patch is refused");
        assert!(patch(serde_json::json!({})).is_err());
        assert!(patch(serde_json::json!({ "description": null })).is_ok(), "null clears the description");
    }

    #[test]
    fn the_documented_text_pattern_is_what_text_checks() {
        // The pattern is read by a regex engine and compared with `text` for every character
        // by shared/openapi/tests/patterns.rs; here, a few by hand.
        let named = |name: &str| NewProduct::parse(body(product(name, "c", "", 1, 0)));
        for refused in ["", " \u{3000}\t", "a\u{7}b", "a\nb", "\u{85}"] {
            assert!(named(refused).is_err(), "{refused:?}");
        }
        for accepted in ["a", " Lamp\u{a0}", "\u{2028}x"] {
            assert!(named(accepted).is_ok(), "{accepted:?}");
        }
        for (code, valid) in [("EUR", true), ("eur", false), ("EU", false), ("EURO", false), ("E1R", false)] {
            assert_eq!(bazaar_events::wire::is_currency_code(code), valid, "{code}");
        }
        assert_eq!(CURRENCY_PATTERN, "^[A-Z]{3}$");
    }

    #[test]
    fn stock_must_be_within_range() {
        assert_eq!(parse_stock(StockBody { quantity: 0 }).expect("zero"), 0);
        assert_eq!(fields(&parse_stock(StockBody { quantity: -1 }).expect_err("negative")), ["quantity"]);
        assert!(parse_stock(StockBody { quantity: MAX_STOCK + 1 }).is_err());
    }
}
