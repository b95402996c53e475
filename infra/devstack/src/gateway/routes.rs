//! The route table and API Gateway's route selection: a full match beats a match with
//! `{param}` segments (leftmost literal segments win), which beats a greedy `{proxy+}`
//! match; a route naming the method beats `ANY` for the same path.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};

use crate::model::Stack;

/// One `METHOD /path` route and the function behind it.
#[derive(Debug, Clone)]
pub struct Route {
    /// Upper-case method or `ANY`.
    pub method: String,
    pub path: String,
    /// `GET /auth/users/{id}`, as API Gateway writes it in `routeKey`.
    pub route_key: String,
    /// The function binary cargo lambda serves.
    pub binary: String,
    /// The authorizer's name, for protected routes.
    pub authorizer: Option<String>,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
    /// `{name+}`: one or more remaining segments.
    Greedy(String),
}

/// A selected route and the path parameters it captured (percent-decoded).
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    pub route: &'a Route,
    pub path_parameters: BTreeMap<String, String>,
}

/// Every route of the stack's functions.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Collects `http_routes` of every function; two functions on one route key is an error.
    pub fn from_stack(stack: &Stack) -> anyhow::Result<RouteTable> {
        let mut table = RouteTable::default();
        for function in &stack.functions {
            for http in &function.http_routes {
                table
                    .add(&http.method, &http.path, &function.binary, http.authorizer.clone())
                    .with_context(|| format!("route of {}", function.logical_id))?;
            }
        }
        Ok(table)
    }

    /// Adds one route.
    pub fn add(&mut self, method: &str, path: &str, binary: &str, authorizer: Option<String>) -> anyhow::Result<()> {
        let method = method.to_ascii_uppercase();
        let route_key = format!("{method} {path}");
        if self.routes.iter().any(|r| r.route_key == route_key) {
            bail!("route {route_key} is defined twice");
        }
        let segments = parse_path(path)?;
        self.routes.push(Route {
            method,
            path: path.to_owned(),
            route_key,
            binary: binary.to_owned(),
            authorizer,
            segments,
        });
        Ok(())
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The most specific route for `method` and the raw (still percent-encoded) `path`.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch<'_>> {
        let request: Vec<&str> = split_path(path);
        self.routes
            .iter()
            .filter(|r| r.method == "ANY" || r.method.eq_ignore_ascii_case(method))
            .filter_map(|route| {
                let params = match_segments(&route.segments, &request)?;
                Some((rank(route), RouteMatch { route, path_parameters: params }))
            })
            .min_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, found)| found)
    }
}

/// Sort key of a matching route; smaller is more specific.
fn rank(route: &Route) -> (bool, Vec<u8>, bool) {
    let greedy = route.segments.iter().any(|s| matches!(s, Segment::Greedy(_)));
    let kinds = route
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        })
        .collect();
    (greedy, kinds, route.method == "ANY")
}

fn split_path(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

fn parse_path(path: &str) -> anyhow::Result<Vec<Segment>> {
    if !path.starts_with('/') {
        bail!("route path {path:?} does not start with /");
    }
    let parts = split_path(path);
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => match name.strip_suffix('+') {
                Some(name) if i == last => Ok(Segment::Greedy(name.to_owned())),
                Some(_) => bail!("greedy {part} must be the last segment of {path}"),
                None => Ok(Segment::Param(name.to_owned())),
            },
            None => Ok(Segment::Literal((*part).to_owned())),
        })
        .collect()
}

fn match_segments(route: &[Segment], request: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for (i, segment) in route.iter().enumerate() {
        match segment {
            Segment::Literal(literal) => {
                if request.get(i) != Some(&literal.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let value = request.get(i).filter(|v| !v.is_empty())?;
                params.insert(name.clone(), percent_decode(value));
            }
            Segment::Greedy(name) => {
                let rest = request.get(i..).filter(|r| !r.is_empty() && !r[0].is_empty())?;
                params.insert(name.clone(), percent_decode(&rest.join("/")));
                return Some(params);
            }
        }
    }
    (request.len() == route.len()).then_some(params)
}

/// Decodes `%XX` escapes (not `+`, which is literal in a path); invalid escapes stay as-is.
pub(crate) fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[(&str, &str, &str)]) -> RouteTable {
        let mut table = RouteTable::default();
        for (method, path, binary) in routes {
            table.add(method, path, binary, None).expect("valid route");
        }
        table
    }

    fn find<'a>(table: &'a RouteTable, method: &str, path: &str) -> Option<&'a str> {
        table.find(method, path).map(|m| m.route.binary.as_str())
    }

    #[test]
    fn precedence_follows_api_gateway() {
        let t = table(&[
            ("GET", "/pets/dog/1", "exact"),
            ("GET", "/pets/dog/{id}", "param"),
            ("GET", "/pets/{proxy+}", "greedy"),
            ("ANY", "/{proxy+}", "any-greedy"),
            ("GET", "/{kind}/{id}/{x}", "three-params"),
        ]);
        assert_eq!(find(&t, "GET", "/pets/dog/1"), Some("exact"));
        assert_eq!(find(&t, "GET", "/pets/dog/2"), Some("param"));
        assert_eq!(find(&t, "GET", "/cats/a/b"), Some("three-params"));
        assert_eq!(find(&t, "GET", "/pets/cat/1/2"), Some("greedy"));
        assert_eq!(find(&t, "POST", "/pets/dog/1"), Some("any-greedy"));
    }

    #[test]
    fn method_beats_any_and_unknown_is_none() {
        let t = table(&[("ANY", "/a", "any"), ("POST", "/a", "post")]);
        assert_eq!(find(&t, "POST", "/a"), Some("post"));
        assert_eq!(find(&t, "DELETE", "/a"), Some("any"));
        assert_eq!(find(&t, "GET", "/b"), None);
        assert_eq!(find(&t, "GET", "/a/"), None);
    }

    #[test]
    fn params_are_captured_and_decoded() {
        let t = table(&[("GET", "/users/{id}", "u"), ("GET", "/files/{proxy+}", "f")]);
        let m = t.find("GET", "/users/a%40b.c").expect("match");
        assert_eq!(m.path_parameters["id"], "a@b.c");
        let m = t.find("GET", "/files/x/y%20z").expect("match");
        assert_eq!(m.path_parameters["proxy"], "x/y z");
        assert!(t.find("GET", "/files").is_none());
        assert!(t.find("GET", "/users/").is_none());
    }

    #[test]
    fn rejects_bad_routes() {
        let mut t = RouteTable::default();
        assert!(t.add("GET", "/a/{p+}/b", "x", None).is_err());
        assert!(t.add("GET", "a", "x", None).is_err());
        t.add("GET", "/a", "x", None).expect("first");
        assert!(t.add("get", "/a", "y", None).is_err());
    }
}
