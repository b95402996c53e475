//! The report responses, built from the items one Query returned. Days without any
//! counted event are left out; currencies whose amount nets to zero are left out.

use std::collections::BTreeMap;

use bazaar_events::Money;
use serde::Serialize;

use crate::{Day, Period, Scope};

/// Minor units per currency.
pub type Amounts = BTreeMap<String, i64>;

/// `amounts` on the wire: by currency, zeros left out.
pub fn money(amounts: &Amounts) -> Vec<Money> {
    amounts.iter().filter(|(_, n)| **n != 0).map(|(c, n)| Money::new(*n, c.clone())).collect()
}

fn sum_into(total: &mut Amounts, amounts: &Amounts) {
    for (currency, n) in amounts {
        *total.entry(currency.clone()).or_default() += n;
    }
}

/// One product's sales on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    pub day: Day,
    pub product_id: String,
    pub name: String,
    pub orders: i64,
    pub units: i64,
    pub revenue: Amounts,
}

/// A scope's revenue on one day (see [`crate::delta`] for what it counts per scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueRow {
    pub day: Day,
    pub revenue: Amounts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesRow {
    Product(ProductRow),
    Revenue(RevenueRow),
}

/// The booking counters of one resource (on one day, or summed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BookingCounts {
    /// Reservations confirmed.
    pub confirmed: i64,
    /// Slots of the confirmed reservations.
    pub slots: i64,
    pub cancelled: i64,
    pub checked_in: i64,
    /// Cancellations that were refunded.
    pub refunds: i64,
}

impl BookingCounts {
    fn add(&mut self, o: &BookingCounts) {
        self.confirmed += o.confirmed;
        self.slots += o.slots;
        self.cancelled += o.cancelled;
        self.checked_in += o.checked_in;
        self.refunds += o.refunds;
    }
}

/// One resource's bookings on one (local) day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRow {
    pub day: Day,
    pub resource_id: String,
    pub resource_name: String,
    pub counts: BookingCounts,
    /// Amounts of confirmed reservations (refunds are counted, not subtracted).
    pub revenue: Amounts,
}

/// What a report's revenue counts, which differs by scope.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct RevenueBasis {
    /// `payments` for the whole marketplace, `own_sales_and_bookings` for one owner.
    #[schemars(extend("enum" = ["payments", "own_sales_and_bookings"]))]
    pub source: &'static str,
    pub description: &'static str,
}

impl RevenueBasis {
    pub fn of(scope: &Scope) -> RevenueBasis {
        match scope {
            Scope::All => RevenueBasis {
                source: "payments",
                description: "money actually moved: succeeded payments minus refunded payments, for orders and \
                              reservations alike, on the UTC day of the payment event",
            },
            Scope::Owner(_) => RevenueBasis {
                source: "own_sales_and_bookings",
                description: "what the owner's own things earned: paid order lines of their products plus \
                              confirmed reservations of their resources, minus refunded cancellations, on the \
                              UTC day of the event",
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct ProductSales {
    pub product_id: String,
    pub name: String,
    pub orders: i64,
    pub units: i64,
    pub revenue: Vec<Money>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct SalesDay {
    pub date: Day,
    pub products: Vec<ProductSales>,
    pub revenue: Vec<Money>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct SalesTotals {
    pub revenue: Vec<Money>,
    pub units: i64,
}

/// What every report begins with: its period, and whose things it counts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct ReportHead {
    pub from: Day,
    pub to: Day,
    /// `all` (the whole marketplace) or `owner` (one owner's own, `owner_id`).
    #[schemars(extend("enum" = ["all", "owner"]))]
    pub scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

impl ReportHead {
    pub fn new(period: Period, scope: &Scope) -> ReportHead {
        let owner_id = match scope {
            Scope::All => None,
            Scope::Owner(id) => Some(id.clone()),
        };
        ReportHead { from: period.from, to: period.to, scope: scope.name(), owner_id }
    }
}

/// `GET /reports/sales`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(
    description = "Sales per UTC day of the period: each product's orders, units and revenue, the day's revenue by \
                   currency, and totals. Days without any counted event are left out."
)]
pub struct SalesReport {
    #[serde(flatten)]
    pub head: ReportHead,
    pub revenue_basis: RevenueBasis,
    pub days: Vec<SalesDay>,
    pub totals: SalesTotals,
}

pub fn sales_report(period: Period, scope: &Scope, rows: Vec<SalesRow>) -> SalesReport {
    let mut days: BTreeMap<Day, (Vec<ProductRow>, Amounts)> = BTreeMap::new();
    for row in rows {
        match row {
            SalesRow::Product(p) => days.entry(p.day).or_default().0.push(p),
            SalesRow::Revenue(r) => sum_into(&mut days.entry(r.day).or_default().1, &r.revenue),
        }
    }
    let (mut revenue, mut units) = (Amounts::new(), 0);
    let days = days
        .into_iter()
        .map(|(date, (mut products, day_revenue))| {
            products.sort_by(|a, b| a.product_id.cmp(&b.product_id));
            units += products.iter().map(|p| p.units).sum::<i64>();
            sum_into(&mut revenue, &day_revenue);
            let products = products
                .into_iter()
                .map(|p| ProductSales {
                    revenue: money(&p.revenue),
                    product_id: p.product_id,
                    name: p.name,
                    orders: p.orders,
                    units: p.units,
                })
                .collect();
            SalesDay { date, products, revenue: money(&day_revenue) }
        })
        .collect();
    SalesReport {
        head: ReportHead::new(period, scope),
        revenue_basis: RevenueBasis::of(scope),
        days,
        totals: SalesTotals { revenue: money(&revenue), units },
    }
}

/// One resource's bookings on one day.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct ResourceBookings {
    pub resource_id: String,
    pub resource_name: String,
    #[serde(flatten)]
    pub counts: BookingCounts,
    /// Amounts of confirmed reservations by currency (refunds are counted, not subtracted).
    pub revenue: Vec<Money>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct BookingsDay {
    pub date: Day,
    pub resources: Vec<ResourceBookings>,
}

/// The period's bookings, summed over days and resources.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct BookingTotals {
    #[serde(flatten)]
    pub counts: BookingCounts,
    /// Amounts of confirmed reservations by currency (refunds are counted, not subtracted).
    pub revenue: Vec<Money>,
}

/// `GET /reports/bookings`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(
    description = "Bookings per local day of the period and resource, with totals. Days without any counted event \
                   are left out."
)]
pub struct BookingsReport {
    #[serde(flatten)]
    pub head: ReportHead,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    pub days: Vec<BookingsDay>,
    pub totals: BookingTotals,
}

pub fn bookings_report(period: Period, scope: &Scope, resource: Option<&str>, rows: Vec<BookingRow>) -> BookingsReport {
    let mut days: BTreeMap<Day, Vec<BookingRow>> = BTreeMap::new();
    for row in rows {
        days.entry(row.day).or_default().push(row);
    }
    let (mut counts, mut revenue) = (BookingCounts::default(), Amounts::new());
    let days = days
        .into_iter()
        .map(|(date, mut rows)| {
            rows.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
            let resources = rows
                .into_iter()
                .map(|r| {
                    counts.add(&r.counts);
                    sum_into(&mut revenue, &r.revenue);
                    ResourceBookings {
                        revenue: money(&r.revenue),
                        resource_id: r.resource_id,
                        resource_name: r.resource_name,
                        counts: r.counts,
                    }
                })
                .collect();
            BookingsDay { date, resources }
        })
        .collect();
    BookingsReport {
        head: ReportHead::new(period, scope),
        resource_id: resource.map(str::to_owned),
        days,
        totals: BookingTotals { counts, revenue: money(&revenue) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> Day {
        Day::parse(s).expect("day")
    }

    fn amounts(pairs: &[(&str, i64)]) -> Amounts {
        pairs.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect()
    }

    #[test]
    fn a_sales_report_groups_rows_by_day_and_sums_totals() {
        let period = Period::new(day("2026-11-01"), day("2026-11-30")).expect("period");
        let product = |d: &str, id: &str, units, eur| {
            SalesRow::Product(ProductRow {
                day: day(d),
                product_id: id.into(),
                name: id.to_uppercase(),
                orders: 1,
                units,
                revenue: amounts(&[("EUR", eur)]),
            })
        };
        let rows = vec![
            product("2026-11-02", "b", 2, 200),
            product("2026-11-02", "a", 1, 100),
            SalesRow::Revenue(RevenueRow { day: day("2026-11-02"), revenue: amounts(&[("EUR", 300), ("USD", 0)]) }),
            SalesRow::Revenue(RevenueRow { day: day("2026-11-05"), revenue: amounts(&[("USD", -50)]) }),
        ];
        let report = serde_json::to_value(sales_report(period, &Scope::All, rows)).expect("json");
        assert_eq!(report["scope"], "all");
        assert!(report.get("owner_id").is_none());
        assert_eq!(report["revenue_basis"]["source"], "payments");
        assert_eq!(report["days"][0]["date"], "2026-11-02");
        assert_eq!(report["days"][0]["products"][0]["product_id"], "a");
        assert_eq!(report["days"][0]["revenue"], json!([{ "amount_minor": 300, "currency": "EUR" }]));
        assert_eq!(report["days"][1]["products"], json!([]));
        assert_eq!(
            report["totals"],
            json!({ "units": 3, "revenue": [{ "amount_minor": 300, "currency": "EUR" }, { "amount_minor": -50, "currency": "USD" }] })
        );
    }

    #[test]
    fn a_bookings_report_lists_resources_per_day_with_totals() {
        let period = Period::new(day("2026-12-01"), day("2026-12-31")).expect("period");
        let row = |d: &str, r: &str, confirmed| BookingRow {
            day: day(d),
            resource_id: r.into(),
            resource_name: format!("Court {r}"),
            counts: BookingCounts { confirmed, slots: confirmed * 2, cancelled: 1, checked_in: 0, refunds: 1 },
            revenue: amounts(&[("EUR", confirmed * 1000)]),
        };
        let rows = vec![row("2026-12-24", "2", 1), row("2026-12-24", "1", 2), row("2026-12-20", "1", 0)];
        let scope = Scope::Owner("o-1".into());
        let report = serde_json::to_value(bookings_report(period, &scope, Some("1"), rows)).expect("json");
        assert_eq!(report["owner_id"], "o-1");
        assert_eq!(report["resource_id"], "1");
        assert_eq!(report["days"][0]["date"], "2026-12-20");
        assert_eq!(report["days"][0]["resources"][0]["revenue"], json!([]));
        assert_eq!(report["days"][1]["resources"][0]["resource_id"], "1");
        assert_eq!(report["days"][1]["resources"][0]["slots"], 4);
        assert_eq!(
            report["totals"],
            json!({ "confirmed": 3, "slots": 6, "cancelled": 3, "checked_in": 0, "refunds": 3,
                    "revenue": [{ "amount_minor": 3000, "currency": "EUR" }] })
        );
    }
}
