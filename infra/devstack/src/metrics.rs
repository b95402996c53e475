//! What the functions counted locally: the EMF lines they appended to
//! `.bazaar/metrics.jsonl` (`BAZAAR_METRICS_FILE`, set by `devstack up`), added up per
//! metric and dimensions, as CloudWatch would show them (`make metrics`).

use std::collections::BTreeMap;

use serde_json::Value;

/// A metric and its dimension values, e.g. `("ConsumerFailures", [("Function", "x"), ("Stage", "dev")])`.
pub type Series = (String, Vec<(String, String)>);

/// The sum of every count per series; lines that are not EMF are skipped.
pub fn summarize(text: &str) -> BTreeMap<Series, f64> {
    let mut totals = BTreeMap::new();
    for line in text.lines() {
        let Ok(doc) = serde_json::from_str::<Value>(line) else { continue };
        for directive in doc.pointer("/_aws/CloudWatchMetrics").and_then(Value::as_array).into_iter().flatten() {
            let dimensions: Vec<String> = directive
                .pointer("/Dimensions/0")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect();
            let mut labels: Vec<(String, String)> = dimensions
                .iter()
                .map(|d| (d.clone(), doc[d].as_str().map(str::to_owned).unwrap_or_else(|| doc[d].to_string())))
                .collect();
            labels.sort();
            for metric in directive["Metrics"].as_array().into_iter().flatten() {
                let Some(name) = metric["Name"].as_str() else { continue };
                let Some(value) = doc[name].as_f64() else { continue };
                *totals.entry((name.to_owned(), labels.clone())).or_insert(0.0) += value;
            }
        }
    }
    totals
}

/// One line per series: `OrdersPlaced  Stage=dev  3`.
pub fn render(totals: &BTreeMap<Series, f64>) -> String {
    if totals.is_empty() {
        return "no metrics emitted yet\n".to_owned();
    }
    let mut out = String::new();
    for ((name, labels), value) in totals {
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("{name:<20} {:<40} {value}\n", labels.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_metric_and_dimensions() {
        let text = [
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Bazaar","Dimensions":[["Stage"]],"Metrics":[{"Name":"OrdersPlaced","Unit":"Count"}]}]},"Stage":"dev","OrdersPlaced":1}"#,
            r#"{"_aws":{"Timestamp":2,"CloudWatchMetrics":[{"Namespace":"Bazaar","Dimensions":[["Stage"]],"Metrics":[{"Name":"OrdersPlaced","Unit":"Count"}]}]},"Stage":"dev","OrdersPlaced":2}"#,
            r#"{"_aws":{"Timestamp":3,"CloudWatchMetrics":[{"Namespace":"Bazaar","Dimensions":[["Stage","Function"]],"Metrics":[{"Name":"ConsumerFailures","Unit":"Count"}]}]},"Stage":"dev","Function":"orders-on-stock","ConsumerFailures":1}"#,
            "not json",
            r#"{"level":"INFO","message":"a log line"}"#,
        ]
        .join("\n");
        let totals = summarize(&text);
        let dev = ("Stage".to_owned(), "dev".to_owned());
        assert_eq!(totals[&("OrdersPlaced".to_owned(), vec![dev.clone()])], 3.0);
        let failures =
            ("ConsumerFailures".to_owned(), vec![("Function".to_owned(), "orders-on-stock".to_owned()), dev]);
        assert_eq!(totals[&failures], 1.0);
        assert_eq!(totals.len(), 2);
        assert!(render(&totals).contains("OrdersPlaced         Stage=dev"));
        assert_eq!(render(&BTreeMap::new()), "no metrics emitted yet\n");
    }
}
