//! Checks on `tauri.conf.json` read through Tauri's own config types (unknown keys are refused
//! there, so a misspelt setting fails here rather than being ignored at run time).

use tauri::utils::config::Config;

fn config() -> Config {
    serde_json::from_str(include_str!("../tauri.conf.json"))
        .expect("tauri.conf.json reads as a Tauri config")
}

/// No window of any build (`scripts/run.sh`, the e2e build, a release) has the web inspector:
/// debug builds would otherwise enable it by default.
#[test]
fn no_window_has_devtools() {
    let windows = config().app.windows;
    assert!(
        !windows.is_empty(),
        "the main window is declared in the config"
    );
    for w in windows {
        assert_eq!(
            w.devtools,
            Some(false),
            "window {:?} must set devtools: false",
            w.label
        );
    }
}
