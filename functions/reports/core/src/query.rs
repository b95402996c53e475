//! The query string of the report routes and who may read which scope: `reports:read`
//! reads one's own `OWNER#<sub>` scope, `reports:read_all` reads `ALL` or, with
//! `?owner=`, any owner's.

use bazaar_runtime::Identity;

use crate::day::PeriodError;
use crate::{Day, Period, ReportsError, Scope};

pub const READ: &str = "reports:read";
pub const READ_ALL: &str = "reports:read_all";

/// The scope `identity` reads: with `reports:read_all`, everything (or `?owner=`'s);
/// with only `reports:read`, their own (403 when asking for `?owner=`); with neither, 403.
/// `reports:read_all` alone suffices: reading the whole marketplace includes reading
/// (a custom auditor role may hold just that).
pub fn scope(identity: &Identity, owner: Option<&str>) -> Result<Scope, ReportsError> {
    if identity.has_permission(READ_ALL) {
        return Ok(owner.map_or(Scope::All, |o| Scope::Owner(o.to_owned())));
    }
    match owner {
        None if identity.has_permission(READ) => Ok(Scope::Owner(identity.sub.clone())),
        _ => Err(ReportsError::Forbidden),
    }
}

/// `?from=&to=`: 400 when either is missing or not a `YYYY-MM-DD` date, 422 when `to` is
/// before `from` or the period is longer than 366 days.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, ReportsError> {
    let day = |name: &str, value: Option<&str>| {
        let value = value.ok_or_else(|| ReportsError::BadRequest(format!("{name} is required (YYYY-MM-DD)")))?;
        Day::parse(value).map_err(|_| ReportsError::BadRequest(format!("{name} must be a date written YYYY-MM-DD")))
    };
    let (from, to) = (day("from", from)?, day("to", to)?);
    Period::new(from, to).map_err(|e: PeriodError| ReportsError::Invalid { field: "to", message: e.to_string() })
}

/// 400 when the query string has a parameter the route does not know (a misspelt
/// `?resource=` would otherwise silently report everything).
pub fn only_known<'a>(params: impl IntoIterator<Item = &'a str>, known: &[&str]) -> Result<(), ReportsError> {
    match params.into_iter().find(|p| !known.contains(p)) {
        Some(p) => Err(ReportsError::BadRequest(format!("unknown query parameter {p:?}; known: {}", known.join(", ")))),
        None => Ok(()),
    }
}

/// A report route's query string (`params`, name to value): any parameter not in `known`
/// refused, then the scope `identity` reads and the period (the checks above, in that order).
pub fn read<'a>(
    identity: &Identity,
    params: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    known: &[&str],
) -> Result<(Scope, Period), ReportsError> {
    only_known(params.clone().into_iter().map(|(k, _)| k), known)?;
    let param = |name: &str| params.clone().into_iter().find(|(k, _)| *k == name).map(|(_, v)| v);
    Ok((scope(identity, param("owner"))?, period(param("from"), param("to"))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(permissions: &[&str]) -> Identity {
        Identity::holding("me", permissions)
    }

    #[test]
    fn a_query_string_is_checked_for_unknown_names_then_scope_then_period() {
        let reader = who(&[READ]);
        let q = |pairs: &[(&'static str, &'static str)]| read(&reader, pairs.iter().copied(), &["from", "to", "owner"]);
        let (scope, period) = q(&[("from", "2026-01-01"), ("to", "2026-01-31")]).expect("valid");
        assert_eq!(scope, Scope::Owner("me".into()));
        assert_eq!(period, Period::new(Day::parse("2026-01-01").unwrap(), Day::parse("2026-01-31").unwrap()).unwrap());
        assert!(matches!(q(&[("form", "2026-01-01")]), Err(ReportsError::BadRequest(m)) if m.contains("\"form\"")));
        assert_eq!(q(&[("owner", "o-1"), ("from", "x")]).expect_err("not theirs"), ReportsError::Forbidden);
        assert!(matches!(q(&[("to", "2026-01-31")]), Err(ReportsError::BadRequest(m)) if m.contains("from")));
    }

    #[test]
    fn scopes_follow_permissions_not_roles() {
        assert_eq!(scope(&who(&[]), None).expect_err("no read"), ReportsError::Forbidden);
        assert_eq!(scope(&who(&[READ_ALL]), None).expect("read_all alone"), Scope::All);
        assert_eq!(scope(&who(&[READ]), None).expect("own"), Scope::Owner("me".into()));
        assert_eq!(scope(&who(&[READ]), Some("other")).expect_err("not theirs"), ReportsError::Forbidden);
        assert_eq!(
            scope(&who(&["orders:read_all"]), Some("me")).expect_err("no reports permission"),
            ReportsError::Forbidden
        );
        assert_eq!(scope(&who(&[READ, READ_ALL]), None).expect("all"), Scope::All);
        assert_eq!(scope(&who(&[READ, READ_ALL]), Some("o-1")).expect("one"), Scope::Owner("o-1".into()));
    }

    #[test]
    fn periods_are_validated_with_400_for_syntax_and_422_for_range() {
        let bad_request = |r: Result<Period, ReportsError>| matches!(r, Err(ReportsError::BadRequest(_)));
        let invalid = |r: Result<Period, ReportsError>| matches!(r, Err(ReportsError::Invalid { field: "to", .. }));
        assert!(bad_request(period(None, Some("2026-01-01"))), "missing");
        assert!(bad_request(period(Some("2026-01-01"), Some("01/02/2026"))), "malformed");
        assert!(invalid(period(Some("2026-01-02"), Some("2026-01-01"))), "reversed");
        assert!(invalid(period(Some("2026-01-01"), Some("2027-01-02"))), "long");
        let p = period(Some("2026-01-01"), Some("2026-12-31")).expect("a year");
        assert_eq!(p.days().count(), 365);
    }

    #[test]
    fn unknown_parameters_are_refused() {
        assert!(only_known(["from", "to"], &["from", "to", "owner"]).is_ok());
        assert!(matches!(
            only_known(["from", "resouce"], &["from", "to", "resource"]),
            Err(ReportsError::BadRequest(_))
        ));
    }
}
