//! Report items as the store reads them back: typed rows from DynamoDB attributes.

use bazaar_aws::dynamo::Item;

use crate::Day;
use crate::delta::attr;
use crate::report::{Amounts, BookingCounts, BookingRow, ProductRow, RevenueRow, SalesRow};

fn text(item: &Item, name: &str) -> anyhow::Result<String> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("report item without text attribute {name}"))
}

/// A counter (0 when the item never had it).
pub(crate) fn number(item: &Item, name: &str) -> anyhow::Result<i64> {
    match item.get(name) {
        None => Ok(0),
        Some(v) => {
            let text = v.as_n().map_err(|_| anyhow::anyhow!("{name} is not a number"))?;
            Ok(text.parse()?)
        }
    }
}

fn amounts(item: &Item) -> anyhow::Result<Amounts> {
    let mut found = Amounts::new();
    for name in item.keys() {
        if let Some(currency) = name.strip_prefix(attr::REVENUE_PREFIX) {
            found.insert(currency.to_owned(), number(item, name)?);
        }
    }
    Ok(found)
}

fn day(item: &Item) -> anyhow::Result<Day> {
    Ok(Day::parse(&text(item, attr::DATE)?)?)
}

pub(crate) fn sales_row(item: &Item) -> anyhow::Result<SalesRow> {
    match text(item, attr::KIND)?.as_str() {
        "product" => Ok(SalesRow::Product(ProductRow {
            day: day(item)?,
            product_id: text(item, attr::PRODUCT_ID)?,
            name: text(item, attr::NAME)?,
            orders: number(item, attr::ORDERS)?,
            units: number(item, attr::UNITS)?,
            revenue: amounts(item)?,
        })),
        "revenue" => Ok(SalesRow::Revenue(RevenueRow { day: day(item)?, revenue: amounts(item)? })),
        other => anyhow::bail!("unexpected {other} item among sales"),
    }
}

pub(crate) fn booking_row(item: &Item) -> anyhow::Result<BookingRow> {
    Ok(BookingRow {
        day: day(item)?,
        resource_id: text(item, attr::RESOURCE_ID)?,
        resource_name: text(item, attr::RESOURCE_NAME)?,
        counts: BookingCounts {
            confirmed: number(item, attr::CONFIRMED)?,
            slots: number(item, attr::SLOTS)?,
            cancelled: number(item, attr::CANCELLED)?,
            checked_in: number(item, attr::CHECKED_IN)?,
            refunds: number(item, attr::REFUNDS)?,
        },
        revenue: amounts(item)?,
    })
}
