//! Writing several files so that a failure leaves the old ones in place.
//!
//! Every new content is first written to a temporary file beside its
//! destination (same directory, so the final rename is atomic on one file
//! system); only when all of them are on disk are they renamed over the
//! destinations. A failure while staging removes the temporaries and touches
//! nothing else.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[derive(Default)]
pub struct Staging {
    /// (temporary file, destination), in the order added.
    pending: Vec<(PathBuf, PathBuf)>,
}

impl Staging {
    /// Writes `bytes` to a temporary file that [`Staging::commit`] will
    /// rename to `dest`.
    pub fn add(&mut self, dest: &Path, bytes: &[u8]) -> Result<()> {
        let tmp = temp_path(dest);
        // Registered before writing, so Drop removes a half-written file too.
        self.pending.push((tmp.clone(), dest.to_path_buf()));
        write_synced(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))
    }

    /// Renames every temporary file to its destination.
    pub fn commit(mut self) -> Result<()> {
        while !self.pending.is_empty() {
            // Taken off the list first: from here on this rename owns `tmp`,
            // and Drop removes only the ones not yet attempted.
            let (tmp, dest) = self.pending.remove(0);
            if let Err(e) = std::fs::rename(&tmp, &dest) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).with_context(|| format!("cannot replace {}", dest.display()));
            }
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// Not committed (an error, or a panic elsewhere): remove the temporaries.
    fn drop(&mut self) {
        for (tmp, _) in &self.pending {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// `dir/.NAME.fetch-PID.tmp`: hidden, and not named `v*.yaml`, so nothing
/// that scans `specs/` mistakes it for a spec.
fn temp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.fetch-{}.tmp", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    // Data on disk before the rename makes it visible.
    file.sync_all()
}
