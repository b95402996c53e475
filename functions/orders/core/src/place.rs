//! Placing an order, the pure part: the `Idempotency-Key`, the request body (whose canonical
//! hash is [`bazaar_aws::idempotency::body_hash`]), line validation and pricing from the
//! product projection.

use std::collections::HashMap;

use bazaar_events::Money;
use bazaar_events::orders::OrderLine;
use bazaar_runtime::problem::FieldError;
use serde::{Deserialize, Serialize};

use crate::{OrdersError, Product};

pub const MAX_LINES: usize = 25;
pub const MAX_QUANTITY: i64 = 1000;
/// The longest product id a line may name, in characters (trimmed).
pub const MAX_PRODUCT_ID_CHARS: usize = 100;
pub use bazaar_aws::idempotency::{KEY_RETENTION_SECONDS, MAX_KEY_CHARS};

/// How long after its hold expires a hold is released (catalog's `HOLD_EXPIRY_GRACE_SECONDS`
/// default): until then an order's stock may still be held.
pub const HOLD_RELEASE_GRACE_SECONDS: i64 = 300;

/// The caps on what one customer may hold at once, from the template's parameters: nobody
/// holds all the stock without paying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaceLimits {
    /// `ORDER_MAX_LINES` (`OrderMaxLines`, default 25, at most [`MAX_LINES`]).
    pub max_lines: usize,
    /// `ORDER_MAX_UNITS` (`OrderMaxUnits`, default 100): units of all lines together.
    pub max_units: u32,
    /// `OPEN_ORDERS_PER_CUSTOMER` (`OpenOrdersPerCustomer`, default 5): orders not yet paid,
    /// cancelled or rejected whose stock may still be held.
    pub open_orders: u32,
    /// `STOCK_HOLD_TTL_SECONDS` (`StockHoldTtlSeconds`, default 900) plus the release grace:
    /// after that an open order holds nothing and stops counting.
    pub open_seconds: i64,
}

impl Default for PlaceLimits {
    fn default() -> Self {
        PlaceLimits {
            max_lines: MAX_LINES,
            max_units: 100,
            open_orders: 5,
            open_seconds: 900 + HOLD_RELEASE_GRACE_SECONDS,
        }
    }
}

impl PlaceLimits {
    pub fn from_env(env: &bazaar_runtime::config::Env) -> Result<PlaceLimits, bazaar_runtime::config::ConfigError> {
        use bazaar_runtime::config::ConfigError;
        let d = PlaceLimits::default();
        let max_lines: usize = env.parsed_or("ORDER_MAX_LINES", d.max_lines)?;
        if !(1..=MAX_LINES).contains(&max_lines) {
            return Err(ConfigError::Invalid { name: "ORDER_MAX_LINES", reason: format!("must be 1 to {MAX_LINES}") });
        }
        let max_units: u32 = env.parsed_or("ORDER_MAX_UNITS", d.max_units)?;
        let open_orders: u32 = env.parsed_or("OPEN_ORDERS_PER_CUSTOMER", d.open_orders)?;
        for (name, value) in [("ORDER_MAX_UNITS", max_units), ("OPEN_ORDERS_PER_CUSTOMER", open_orders)] {
            if value == 0 {
                return Err(ConfigError::Invalid { name, reason: "must be at least 1".into() });
            }
        }
        let hold: i64 = env.parsed_or("STOCK_HOLD_TTL_SECONDS", 900)?;
        Ok(PlaceLimits { max_lines, max_units, open_orders, open_seconds: hold + HOLD_RELEASE_GRACE_SECONDS })
    }

    /// 422 when valid `lines` are more lines or units than one order may hold.
    pub fn check(&self, lines: &[ValidLine]) -> Result<(), OrdersError> {
        if lines.len() > self.max_lines {
            return Err(OrdersError::invalid("lines", format!("an order has 1 to {} lines", self.max_lines)));
        }
        let units: u64 = lines.iter().map(|l| u64::from(l.quantity)).sum();
        if units > u64::from(self.max_units) {
            return Err(OrdersError::invalid(
                "lines",
                format!("an order holds at most {} units in all; this one has {units}", self.max_units),
            ));
        }
        Ok(())
    }
}

/// `POST /orders` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceRequest {
    /// 1 to 25 lines (fewer if the stage's `OrderMaxLines` says so), of at most
    /// `OrderMaxUnits` units in all (100 unless the stage says otherwise).
    #[schemars(length(min = 1, max = MAX_LINES))]
    pub lines: Vec<LineRequest>,
}

/// One requested line. `quantity` is read as any integer so that 0 or -1 get a 422 naming
/// the line rather than a generic parse error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// A product's id (trimmed); one not sold is a 422 naming the line.
    #[schemars(length(min = 1, max = MAX_PRODUCT_ID_CHARS), pattern(bazaar_runtime::text::not_blank_pattern()))]
    pub product_id: String,
    #[schemars(range(min = 1, max = MAX_QUANTITY))]
    pub quantity: i64,
}

/// A validated line: a product id and a quantity in 1..=1000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLine {
    pub product_id: String,
    pub quantity: u32,
}

/// The `Idempotency-Key` header: required, 1..=100 printable characters, else 400.
pub fn idempotency_key(header: Option<&str>) -> Result<String, OrdersError> {
    bazaar_aws::idempotency::parse(header).map_err(OrdersError::BadRequest)
}

/// Checks the shape of the request: 1..=25 lines, each with a product id and a quantity
/// in 1..=1000. Every problem is reported, each naming its line.
pub fn validate(req: &PlaceRequest) -> Result<Vec<ValidLine>, OrdersError> {
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        return Err(OrdersError::invalid("lines", format!("an order has 1 to {MAX_LINES} lines")));
    }
    let mut errors = Vec::new();
    let mut valid = Vec::with_capacity(req.lines.len());
    for (i, line) in req.lines.iter().enumerate() {
        let product_id = line.product_id.trim();
        if product_id.is_empty() || product_id.chars().count() > MAX_PRODUCT_ID_CHARS {
            errors.push(field(
                i,
                "product_id",
                format!("a product id is required (at most {MAX_PRODUCT_ID_CHARS} characters)"),
            ));
        }
        match u32::try_from(line.quantity) {
            Ok(q) if (1..=MAX_QUANTITY).contains(&line.quantity) => {
                valid.push(ValidLine { product_id: product_id.to_owned(), quantity: q })
            }
            _ => errors.push(field(i, "quantity", format!("the quantity must be from 1 to {MAX_QUANTITY}"))),
        }
    }
    if errors.is_empty() { Ok(valid) } else { Err(OrdersError::Invalid(errors)) }
}

fn field(index: usize, name: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: format!("lines[{index}].{name}"), message: message.into() }
}

/// Prices the lines from the projection: unknown or inactive products and a mix of
/// currencies are 422s naming the line; returns the priced lines and the total.
pub fn price(lines: &[ValidLine], products: &HashMap<String, Product>) -> Result<(Vec<OrderLine>, Money), OrdersError> {
    let mut errors = Vec::new();
    let mut priced = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match products.get(&line.product_id).filter(|p| p.active) {
            None => errors.push(field(i, "product_id", "no such product, or it is no longer sold")),
            Some(p) => match p.price.amount_minor.checked_mul(i64::from(line.quantity)) {
                Some(amount) if p.price.amount_minor >= 0 => priced.push(OrderLine {
                    product_id: line.product_id.clone(),
                    owner_id: p.owner_id.clone(),
                    name: p.name.clone(),
                    quantity: line.quantity,
                    unit_price: p.price.clone(),
                    line_total: Money::new(amount, p.price.currency.clone()),
                }),
                _ => errors.push(field(i, "quantity", "the line total is out of range")),
            },
        }
    }
    if !errors.is_empty() {
        return Err(OrdersError::Invalid(errors));
    }
    let currency = priced.first().map(|l| l.unit_price.currency.clone()).unwrap_or_default();
    if let Some(i) = priced.iter().position(|l| l.unit_price.currency != currency) {
        return Err(OrdersError::Invalid(vec![field(
            i,
            "product_id",
            format!("every line of an order must be in one currency ({currency})"),
        )]));
    }
    let total = priced
        .iter()
        .try_fold(0i64, |sum, l| sum.checked_add(l.line_total.amount_minor))
        .ok_or_else(|| OrdersError::invalid("lines", "the order total is out of range"))?;
    Ok((priced, Money::new(total, currency)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_aws::idempotency::body_hash;
    use bazaar_runtime::testing::invalid_fields as fields;

    fn product(id: &str, amount: i64, currency: &str, active: bool) -> (String, Product) {
        let p = Product {
            product_id: id.into(),
            owner_id: format!("owner of {id}"),
            name: format!("name of {id}"),
            price: Money::new(amount, currency),
            active,
            version: 1,
        };
        (id.to_owned(), p)
    }

    fn lines(items: &[(&str, i64)]) -> PlaceRequest {
        PlaceRequest {
            lines: items.iter().map(|(p, q)| LineRequest { product_id: (*p).into(), quantity: *q }).collect(),
        }
    }

    #[test]
    fn line_totals_and_the_total_are_computed_in_minor_units() {
        let products = HashMap::from([product("a", 1999, "EUR", true), product("b", 250, "EUR", true)]);
        let valid = validate(&lines(&[("a", 3), ("b", 2), ("a", 1)])).expect("valid");
        let (priced, total) = price(&valid, &products).expect("priced");
        assert_eq!(priced[0].line_total, Money::new(5997, "EUR"));
        assert_eq!(priced[1].line_total, Money::new(500, "EUR"));
        assert_eq!(priced[2].name, "name of a");
        assert_eq!((priced[0].owner_id.as_str(), priced[1].owner_id.as_str()), ("owner of a", "owner of b"));
        assert_eq!(total, Money::new(5997 + 500 + 1999, "EUR"));
    }

    #[test]
    fn unknown_and_inactive_products_are_named_by_line() {
        let products = HashMap::from([product("a", 100, "EUR", true), product("gone", 100, "EUR", false)]);
        let valid = validate(&lines(&[("a", 1), ("nope", 1), ("gone", 1)])).expect("valid");
        let err = price(&valid, &products).expect_err("refused");
        assert_eq!(fields(err), vec!["lines[1].product_id", "lines[2].product_id"]);
    }

    #[test]
    fn an_order_has_one_currency() {
        let products = HashMap::from([product("a", 100, "EUR", true), product("b", 100, "USD", true)]);
        let valid = validate(&lines(&[("a", 1), ("b", 1)])).expect("valid");
        assert_eq!(fields(price(&valid, &products).expect_err("mixed")), vec!["lines[1].product_id"]);
    }

    #[test]
    fn line_count_and_quantities_are_bounded() {
        assert_eq!(fields(validate(&lines(&[])).expect_err("empty")), vec!["lines"]);
        let many: Vec<(&str, i64)> = (0..26).map(|_| ("a", 1)).collect();
        assert_eq!(fields(validate(&lines(&many)).expect_err("26 lines")), vec!["lines"]);
        let max: Vec<(&str, i64)> = (0..25).map(|_| ("a", 1000)).collect();
        assert_eq!(validate(&lines(&max)).expect("25 lines of 1000").len(), 25);
        let err = validate(&lines(&[("a", 0), ("b", 1001), ("c", -1), ("", 1)])).expect_err("bad");
        assert_eq!(
            fields(err),
            vec!["lines[0].quantity", "lines[1].quantity", "lines[2].quantity", "lines[3].product_id"]
        );
    }

    /// A number the document states for `PlaceRequest` at `pointer`.
    fn stated(pointer: &str) -> i64 {
        let schema = schemars::schema_for!(PlaceRequest);
        schema.as_value().pointer(pointer).and_then(serde_json::Value::as_i64).expect(pointer)
    }

    #[test]
    fn the_documented_limits_are_the_validated_ones() {
        let line = "/$defs/LineRequest/properties";
        let (max_lines, min_lines) = (stated("/properties/lines/maxItems"), stated("/properties/lines/minItems"));
        let (max_q, min_q) = (stated(&format!("{line}/quantity/maximum")), stated(&format!("{line}/quantity/minimum")));
        let id = "é".repeat(stated(&format!("{line}/product_id/maxLength")) as usize);
        let at: Vec<(&str, i64)> = (0..max_lines).map(|_| (id.as_str(), max_q)).collect();
        assert_eq!(validate(&lines(&at)).expect("every limit reached").len() as i64, max_lines);
        assert!(validate(&lines(&[("a", min_q)])).is_ok());
        assert_eq!(min_lines, 1);
        let past: Vec<(&str, i64)> = (0..=max_lines).map(|_| ("a", 1)).collect();
        assert_eq!(fields(validate(&lines(&past)).expect_err("one line too many")), vec!["lines"]);
        let long = format!("{id}x");
        let err = validate(&lines(&[("a", max_q + 1), ("a", min_q - 1), (&long, 1), (" \u{3000}", 1)]))
            .expect_err("past every limit");
        let expected = ["lines[0].quantity", "lines[1].quantity", "lines[2].product_id", "lines[3].product_id"];
        assert_eq!(fields(err), expected);
    }

    #[test]
    fn the_configured_caps_bound_lines_and_units_together() {
        let limits = PlaceLimits { max_lines: 2, max_units: 10, ..PlaceLimits::default() };
        let ok = validate(&lines(&[("a", 6), ("b", 4)])).expect("valid");
        assert!(limits.check(&ok).is_ok());
        let units = validate(&lines(&[("a", 6), ("b", 5)])).expect("valid");
        assert_eq!(fields(limits.check(&units).expect_err("11 units")), vec!["lines"]);
        let many = validate(&lines(&[("a", 1), ("b", 1), ("c", 1)])).expect("valid");
        assert_eq!(fields(limits.check(&many).expect_err("3 lines")), vec!["lines"]);
    }

    #[test]
    fn limits_come_from_the_environment_and_refuse_nonsense() {
        let env = |pairs: &[(&str, &str)]| {
            bazaar_runtime::config::Env::from_map(pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect())
        };
        assert_eq!(PlaceLimits::from_env(&env(&[])).expect("defaults"), PlaceLimits::default());
        let set = PlaceLimits::from_env(&env(&[
            ("ORDER_MAX_LINES", "3"),
            ("ORDER_MAX_UNITS", "7"),
            ("OPEN_ORDERS_PER_CUSTOMER", "2"),
            ("STOCK_HOLD_TTL_SECONDS", "60"),
        ]))
        .expect("set");
        assert_eq!(set, PlaceLimits { max_lines: 3, max_units: 7, open_orders: 2, open_seconds: 360 });
        for (name, value) in [("ORDER_MAX_LINES", "26"), ("ORDER_MAX_UNITS", "0"), ("OPEN_ORDERS_PER_CUSTOMER", "0")] {
            assert!(PlaceLimits::from_env(&env(&[(name, value)])).is_err(), "{name}={value}");
        }
    }

    #[test]
    fn huge_totals_are_refused_not_wrapped() {
        let products = HashMap::from([product("a", i64::MAX / 2, "EUR", true)]);
        let valid = validate(&lines(&[("a", 1000)])).expect("valid");
        assert_eq!(fields(price(&valid, &products).expect_err("overflow")), vec!["lines[0].quantity"]);
        let valid = validate(&lines(&[("a", 1), ("a", 1), ("a", 1)])).expect("valid");
        assert_eq!(fields(price(&valid, &products).expect_err("overflow")), vec!["lines"]);
    }

    #[test]
    fn the_idempotency_key_is_required_and_bounded() {
        assert!(matches!(idempotency_key(None), Err(OrdersError::BadRequest(_))));
        assert!(matches!(idempotency_key(Some("  ")), Err(OrdersError::BadRequest(_))));
        assert!(matches!(idempotency_key(Some(&"k".repeat(101))), Err(OrdersError::BadRequest(_))));
        assert_eq!(idempotency_key(Some(&"k".repeat(100))).expect("100 chars"), "k".repeat(100));
        assert_eq!(idempotency_key(Some("order-1")).expect("key"), "order-1");
    }

    #[test]
    fn the_body_hash_ignores_formatting_but_not_content() {
        let a: PlaceRequest = serde_json::from_str(r#"{"lines":[{"product_id":"p","quantity":2}]}"#).expect("a");
        let b: PlaceRequest =
            serde_json::from_str(r#"{ "lines": [ { "quantity": 2, "product_id": "p" } ] }"#).expect("b");
        let c: PlaceRequest = serde_json::from_str(r#"{"lines":[{"product_id":"p","quantity":3}]}"#).expect("c");
        assert_eq!(body_hash(&a), body_hash(&b));
        assert_ne!(body_hash(&a), body_hash(&c));
        assert_eq!(body_hash(&a).len(), 64);
    }
}
