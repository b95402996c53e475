//! What a template may do when it renders: a fuel limit (minijinja counts the instructions
//! it runs), a size limit per part (it renders into a bounded buffer), and for a template
//! that carries a single-use link, links only to that link's page. Whoever edits a template
//! can neither stall the sends nor send a credential to a page of their choosing.

use std::io;

/// Instructions one part may run: the shipped templates need a few hundred (an order of 25
/// lines renders within a tenth of it, a test checks); two nested loops of a hundred
/// thousand turns run out of it within milliseconds instead of running for hours.
pub const FUEL: u64 = 50_000;

/// The most bytes a part may render to: an SMS or a subject of a few lines, a body of
/// well over the source's 20,000 characters.
pub fn max_rendered_bytes(part: &str) -> usize {
    match part {
        "subject" | "sms" => 2_000,
        _ => 200_000,
    }
}

/// An `io::Write` that keeps at most `max` bytes and refuses more.
pub(crate) struct Bounded {
    pub(crate) bytes: Vec<u8>,
    max: usize,
    pub(crate) overflowed: bool,
}

impl Bounded {
    pub(crate) fn new(max: usize) -> Bounded {
        Bounded { bytes: Vec::new(), max, overflowed: false }
    }
}

impl io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            self.overflowed = true;
            return Err(io::Error::other("the rendered text is too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why a rendered security template's links are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("every link must point at {page}; found {found}")]
    Foreign { page: String, found: String },
    #[error("it must contain the link ({variable})")]
    Missing { variable: &'static str },
}

/// Checks the links of a rendered part (`html` says whether it is HTML): every URL in it
/// must start with `page`, where a URL is anything around `//` (`https://…`, `//host/…`,
/// `&#104;ttps://…` alike), anything starting `www.`, and in HTML every value of an
/// attribute that names a resource (`href`, `src`, …).
pub fn check_links(rendered: &str, html: bool, page: &str) -> Result<(), LinkError> {
    let text = if html { decode_entities(rendered) } else { rendered.to_owned() };
    let foreign = |found: &str| LinkError::Foreign { page: page.to_owned(), found: shorten(found) };
    for url in urls(&text) {
        if !points_at(url, page) {
            return Err(foreign(url));
        }
    }
    if html {
        for value in resource_attributes(&text) {
            if !points_at(value, page) {
                return Err(foreign(value));
            }
        }
    }
    Ok(())
}

/// Whether `url` is `page` or a URL below it (`page?…`, `page#…`, `page/…`): a page
/// `https://shop.example` must not let `https://shop.example.evil.com` through.
fn points_at(url: &str, page: &str) -> bool {
    match url.strip_prefix(page) {
        Some(rest) => rest.is_empty() || page.ends_with('/') || rest.starts_with(['?', '#', '/']),
        None => false,
    }
}

/// Characters that end a URL in running text or an attribute.
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '"' | '\'' | '<' | '>' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '\\' | '^')
}

/// Every URL-like run of `text`: around each `//` (back over its scheme) and from each `www.`.
fn urls(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(offset) = text[at..].find("//") {
        let slashes = at + offset;
        // Back over `scheme:` to where the URL starts.
        let mut start = slashes;
        if start > 0 && bytes[start - 1] == b':' {
            start -= 1;
            while start > 0
                && (bytes[start - 1].is_ascii_alphanumeric() || matches!(bytes[start - 1], b'+' | b'.' | b'-'))
            {
                start -= 1;
            }
        }
        let end = text[slashes..].find(ends_url).map_or(text.len(), |e| slashes + e);
        found.push(&text[start..end]);
        at = end.max(slashes + 2);
    }
    let lower = text.to_ascii_lowercase();
    // A mail client turns `mailto:` into a link that sends what follows to its address.
    let mut at = 0;
    while let Some(offset) = lower[at..].find("mailto:") {
        let start = at + offset;
        let end = text[start..].find(ends_url).map_or(text.len(), |e| start + e);
        found.push(&text[start..end]);
        at = end.max(start + 7);
    }
    let mut at = 0;
    while let Some(offset) = lower[at..].find("www.") {
        let start = at + offset;
        let end = text[start..].find(ends_url).map_or(text.len(), |e| start + e);
        // Part of a URL already found (`https://www.…`) when preceded by `//`.
        if !text[..start].ends_with("//") {
            found.push(&text[start..end]);
        }
        at = end.max(start + 4);
    }
    found
}

/// The attributes whose value a mail client fetches or opens.
const RESOURCE_ATTRIBUTES: [&str; 10] =
    ["href", "src", "srcset", "action", "formaction", "background", "poster", "cite", "data", "xlink:href"];

/// The values of every resource attribute in `html` (quoted or not).
fn resource_attributes(html: &str) -> Vec<&str> {
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut values = Vec::new();
    for name in RESOURCE_ATTRIBUTES {
        let mut at = 0;
        while let Some(offset) = lower[at..].find(name) {
            let start = at + offset;
            at = start + name.len();
            // A whole attribute name: preceded by whitespace, followed by `=`.
            let before = start.checked_sub(1).map(|i| bytes[i]);
            if !before.is_some_and(|b| b.is_ascii_whitespace() || b == b'/') {
                continue;
            }
            let rest = html[at..].trim_start();
            let Some(value) = rest.strip_prefix('=') else { continue };
            let value = value.trim_start();
            let value = match value.chars().next() {
                Some(quote @ ('"' | '\'')) => value[1..].split(quote).next().unwrap_or_default(),
                _ => value.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or_default(),
            };
            values.push(value.trim());
        }
    }
    values
}

/// `text` with HTML character references decoded (`&#x2f;`, `&#47;`, `&amp;`, …), as a mail
/// client reads it; an unknown reference is kept as written.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '#')).map(|e| e + 1);
        let (reference, tail) = match end {
            Some(e) => (&rest[1..e], rest[e..].strip_prefix(';').unwrap_or(&rest[e..])),
            None => (&rest[1..], ""),
        };
        let decoded = match reference {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "sol" => Some('/'),
            "colon" => Some(':'),
            "period" => Some('.'),
            _ => reference
                .strip_prefix("#x")
                .or_else(|| reference.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| reference.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = tail;
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A found URL as an error names it: its first 80 characters.
fn shorten(url: &str) -> String {
    let short: String = url.chars().take(80).collect();
    if short.len() < url.len() { format!("{short}…") } else { short }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "https://shop.example/reset";

    #[test]
    fn links_to_the_page_pass_and_any_other_is_named() {
        let ok = "Open https://shop.example/reset?token=a.b to choose a new password.";
        assert_eq!(check_links(ok, false, PAGE), Ok(()));
        for bad in [
            "Open https://evil.example/?t=https://shop.example/reset?token=a.b",
            "Open https://shop.example/reset.evil.example/?token=a.b",
            "Open https://shop.example.evil.example/reset?token=a.b",
            "Go to //evil.example/steal",
            "Go to www.evil.example",
            "Write to mailto:thief@evil.example?body=https://shop.example/reset?token=a.b",
            "HTTPS://EVIL.EXAMPLE",
        ] {
            assert!(matches!(check_links(bad, false, PAGE), Err(LinkError::Foreign { .. })), "{bad}");
        }
    }

    #[test]
    fn html_links_are_read_as_a_mail_client_reads_them() {
        let ok = r#"<p><a href="https:&#x2f;&#x2f;shop.example&#x2f;reset?token=a.b">Reset</a></p>"#;
        assert_eq!(check_links(ok, true, PAGE), Ok(()));
        for bad in [
            r#"<a href="https:&#x2f;&#x2f;evil.example">x</a>"#,
            r#"<a href="&#104;ttps://evil.example">x</a>"#,
            r#"<img src=//evil.example/pixel.gif>"#,
            r#"<a HREF='mailto:someone@evil.example'>x</a>"#,
            r#"<a href="/relative">x</a>"#,
            r#"<div style="background:url(//evil.example/x)"></div>"#,
            r#"<img srcset="https://evil.example/a.png 2x">"#,
        ] {
            assert!(check_links(bad, true, PAGE).is_err(), "{bad}");
        }
        // Words that merely contain an attribute name are not attributes.
        assert_eq!(check_links("<p>a hrefx=1 and datasets</p>", true, PAGE), Ok(()));
    }

    #[test]
    fn a_page_ending_in_a_slash_takes_any_path_below_it() {
        assert_eq!(check_links("https://shop.example/r/abc?token=x", false, "https://shop.example/r/"), Ok(()));
        assert!(check_links("https://shop.example/rx", false, "https://shop.example/r/").is_err());
    }

    #[test]
    fn entities_are_decoded_and_unknown_ones_kept() {
        assert_eq!(decode_entities("a&#x2f;b&#47;c&amp;d&lt;&nope;&#xZZ;&"), "a/b/c&d<&nope;&#xZZ;&");
    }
}
