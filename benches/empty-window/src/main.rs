//! An empty Tauri v2 window showing one static page: the floor `benches/startup.mjs` measures
//! the app's start-up and memory against (same Tauri, same WebKitGTK, same machine).

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("empty window: {e}");
        std::process::exit(1);
    }
}
