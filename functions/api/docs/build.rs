//! Builds the docs page at compile time: Redoc's standalone bundle (vendored from npm,
//! `make docs-assets`) inlined into one HTML page, gzipped, so the function sends it without
//! touching the network or compressing per request. Only the gzipped page is embedded: a
//! plain copy beside it would cost the zip as much again.

use std::io::Write as _;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;

const BUNDLE: &str = "assets/redoc.standalone.js";

fn main() {
    println!("cargo::rerun-if-changed={BUNDLE}");
    println!("cargo::rerun-if-changed=src/page.html");
    let bundle = std::fs::read_to_string(BUNDLE).expect("the vendored Redoc bundle (make docs-assets)");
    // Inlined in a <script>, the bundle must not end the element early.
    assert!(!bundle.to_ascii_lowercase().contains("</script"), "{BUNDLE} contains </script");
    let page = std::fs::read_to_string("src/page.html").expect("src/page.html");
    let html = page.replacen("/*REDOC*/", &bundle, 1);
    assert_ne!(html, page, "src/page.html has no /*REDOC*/ placeholder");

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(html.as_bytes()).expect("gzip");
    std::fs::write(out.join("docs.html.gz"), gz.finish().expect("gzip")).expect("writes docs.html.gz");
}
