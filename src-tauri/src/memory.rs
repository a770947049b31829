//! Gives the heap memory the app has freed back to the system.
//!
//! glibc keeps what the store's queries and sync rounds free (page caches of closed SQLite
//! connections, run pages of the list) in its per-thread arenas: after scrolling 100,000 runs
//! the app held about 410 MiB of anonymous memory, of which `malloc_trim` returned 232 MiB
//! (`node benches/startup.mjs`). Trimming once a sync round keeps the app's memory flat.

/// Returns free heap pages to the system (glibc's `malloc_trim(0)`); a no-op elsewhere.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free() {
    // SAFETY: malloc_trim has no preconditions; it takes each arena's lock itself.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns free heap pages to the system (glibc's `malloc_trim(0)`); a no-op elsewhere.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free() {}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// Anonymous resident memory of this process, in KiB.
    fn rss_anon_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("RssAnon:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("RssAnon")
    }

    #[test]
    fn freed_heap_goes_back_to_the_system() {
        // 256 MiB in 32 KiB blocks (SQLite's page size here) on another thread, so they land
        // in one of glibc's per-thread arenas, then all freed but the last block (which keeps
        // the arena's top in use, so glibc cannot simply shrink the heap from its end).
        let kept = std::thread::spawn(|| {
            let mut blocks: Vec<Vec<u8>> = (0..8192).map(|i| vec![i as u8; 32 * 1024]).collect();
            let last = blocks.pop().expect("block");
            drop(blocks);
            last
        })
        .join()
        .expect("thread");
        let before = rss_anon_kib();
        super::release_free();
        let after = rss_anon_kib();
        assert_eq!(kept.len(), 32 * 1024);
        assert!(
            before.saturating_sub(after) >= 128 * 1024,
            "RssAnon {before} KiB before the trim, {after} KiB after"
        );
    }
}
