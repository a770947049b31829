//! Bulk seeding speed: `cargo test -p countersign-backend --release --test seed_speed -- --ignored --nocapture`.

#[test]
#[ignore = "timing measurement; run explicitly"]
fn seed_100k_runs() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::var("SEED_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir()?;
    let dir = std::env::var_os("SEED_DIR").map_or_else(|| tmp.path().to_path_buf(), Into::into);
    let t = std::time::Instant::now();
    let written = countersign_backend::seed_runs_direct(&dir, n, 7)?;
    let secs = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(dir.join("backend.db"))?.len();
    println!(
        "seeded {written} runs in {secs:.2} s ({:.0} runs/s), db {} MB",
        written as f64 / secs,
        size / 1_000_000
    );
    assert_eq!(written, n);
    Ok(())
}
