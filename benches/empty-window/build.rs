//! Tauri's build step: reads `tauri.conf.json`, checks the icons, embeds `dist/`.

fn main() {
    tauri_build::build();
}
