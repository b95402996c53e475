//! What one password verification costs (the CPU time of every login), under the profile it
//! is built with: `cargo run --release -p auth-core --example password_cost [N]`. The README's
//! profile table quotes it; argon2 is the one CPU-bound path, so opt-level matters here.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(15);
    let phc = auth_core::password::hash("correct horse 42")?;
    let mut ms: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let begun = Instant::now();
            assert!(auth_core::password::verify("correct horse 42", &phc), "the password verifies");
            begun.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!("argon2id verify (19 MiB, t=2, p=1): median {:.1} ms over {} runs", ms[ms.len() / 2], ms.len());
    Ok(())
}
