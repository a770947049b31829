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
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim has no preconditions; it takes each arena's lock itself.
    unsafe {
        malloc_trim(0);
    }
}

/// Returns free heap pages to the system (glibc's `malloc_trim(0)`); a no-op elsewhere.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free() {}
