//! The installation's signing key: an Ed25519 seed kept as hex in a `signing-key` file (mode
//! 0600) next to the store, never in SQLite.

use ed25519_dalek::SigningKey;
use rand::TryRngCore;
use rand::rngs::OsRng;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Name of the key file inside the folder given to [`load_or_create_key`].
pub const KEY_FILE: &str = "signing-key";

/// Why the signing key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("signing key {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The file is not 64 hex digits.
    #[error("signing key {0} is not a hex Ed25519 seed")]
    Malformed(PathBuf),
    /// The operating system's random source failed.
    #[error("no randomness for a new signing key: {0}")]
    Random(String),
}

/// Loads the key in `dir/signing-key`, creating it (and `dir`) with a fresh random key when
/// missing. On Unix the file is created with mode 0600 and tightened to 0600 if found looser.
pub fn load_or_create_key(dir: &Path) -> Result<SigningKey, KeyError> {
    let path = dir.join(KEY_FILE);
    let io_err = |source: io::Error| KeyError::Io {
        path: path.clone(),
        source,
    };
    match fs::read_to_string(&path) {
        Ok(text) => {
            restrict(&path).map_err(io_err)?;
            parse(&text).ok_or_else(|| KeyError::Malformed(path.clone()))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(io_err)?;
            let mut seed = [0u8; 32];
            OsRng
                .try_fill_bytes(&mut seed)
                .map_err(|e| KeyError::Random(e.to_string()))?;
            let key = SigningKey::from_bytes(&seed);
            match create_private(&path) {
                Ok(mut f) => {
                    f.write_all(format!("{}\n", hex::encode(seed)).as_bytes())
                        .and_then(|()| f.sync_all())
                        .map_err(io_err)?;
                    Ok(key)
                }
                // Someone else created it first: use theirs.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => load_or_create_key(dir),
                Err(e) => Err(io_err(e)),
            }
        }
        Err(e) => Err(io_err(e)),
    }
}

/// The public half of `key` as 64 lowercase hex digits (what manifests carry).
pub fn public_key_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().as_bytes())
}

fn parse(text: &str) -> Option<SigningKey> {
    let bytes = hex::decode(text.trim()).ok()?;
    let seed: [u8; 32] = bytes.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed))
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn restrict(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_loads_the_same_key() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let a = load_or_create_key(&dir.path().join("sub"))?;
        let b = load_or_create_key(&dir.path().join("sub"))?;
        assert_eq!(a.to_bytes(), b.to_bytes());
        assert_eq!(public_key_hex(&a).len(), 64);
        let text = fs::read_to_string(dir.path().join("sub").join(KEY_FILE))?;
        assert_eq!(text.trim(), hex::encode(a.to_bytes()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("sub").join(KEY_FILE))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }

    #[test]
    fn two_installations_have_different_keys() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let a = load_or_create_key(&dir.path().join("a"))?;
        let b = load_or_create_key(&dir.path().join("b"))?;
        assert_ne!(public_key_hex(&a), public_key_hex(&b));
        Ok(())
    }

    #[test]
    fn a_malformed_key_file_is_an_error() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join(KEY_FILE), "not hex")?;
        assert!(matches!(
            load_or_create_key(dir.path()),
            Err(KeyError::Malformed(_))
        ));
        Ok(())
    }
}
