//! The backend's own Ed25519 key for countersigning checkpoints: a hex seed in `audit-key`
//! (mode 0600) in the data directory, created on first start and kept across restarts, so
//! receipts stay verifiable against the key published at `GET /v1/audit/key`.

use crate::Error;
use ed25519_dalek::SigningKey;
use rand::RngCore;
use std::io::{self, Write};
use std::path::Path;

/// Name of the key file in the data directory.
pub(crate) const AUDIT_KEY_FILE: &str = "audit-key";

/// Loads `dir/audit-key`, creating it with a fresh random key (mode 0600) when missing.
pub(crate) fn load_or_create(dir: &Path) -> Result<SigningKey, Error> {
    Ok(SigningKey::from_bytes(&load_or_create_seed(
        dir,
        AUDIT_KEY_FILE,
    )?))
}

/// Loads the random 32-byte key (hex) in `dir/name`, creating it (mode 0600) when missing.
pub(crate) fn load_or_create_seed(dir: &Path, name: &str) -> Result<[u8; 32], Error> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            restrict(&path)?;
            let seed: [u8; 32] = hex::decode(text.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    Error::Invalid(format!("{} is not a hex 32-byte key", path.display()))
                })?;
            Ok(seed)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)?;
            let mut seed = [0u8; 32];
            rand::rng().fill_bytes(&mut seed);
            // Written whole under a name of its own, then linked into place: a server starting
            // at the same time on the same folder sees no key or a complete one.
            let tmp = dir.join(format!(
                ".{name}.{}.{}",
                std::process::id(),
                hex::encode(&seed[..4])
            ));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(format!("{}\n", hex::encode(seed)).as_bytes())?;
            f.sync_all()?;
            drop(f);
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(seed),
                // Another start created it first: use that one.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    load_or_create_seed(dir, name)
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(unix)]
fn restrict(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> io::Result<()> {
    Ok(())
}
