//! Where the bytes live: content-addressed objects (named by their SHA-256, so the same bytes are
//! stored once and a name never changes meaning), written whole before the database row that
//! names them commits. An upload is staged in a file of its own first, removed if the upload does
//! not finish; objects no row names are collected later ([`Store::collect_garbage`]). The objects
//! live in the local folder, or in S3-compatible object storage ([`super::remote`]) when one is
//! configured (the folder then only stages uploads).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::remote::Remote;
use crate::config::MediaSettings;

/// The store: `objects/ab/cd/<sha256>` in the local folder (`MUNI_MEDIA_DIR`) or in a bucket,
/// staging in the folder's `tmp/`.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    remote: Option<Arc<Remote>>,
}

/// An upload being received: written to a staging file and hashed as it comes.
pub struct Staged {
    file: File,
    path: PathBuf,
    hasher: Sha256,
    pub size: u64,
    kept: bool,
}

impl Staged {
    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file.write_all(chunk)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Whether `name` is a content address (64 lowercase hex digits).
pub fn is_address(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Store {
    /// The local store in `root`.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join("objects"))?;
        fs::create_dir_all(root.join("tmp"))?;
        Ok(Self { root, remote: None })
    }

    /// The store the settings name: a bucket when `MUNI_MEDIA_S3_BUCKET` is set (reached once
    /// here, so a wrong bucket or key stops the start), the local folder otherwise.
    pub fn from_settings(settings: &MediaSettings) -> io::Result<Self> {
        let mut store = Self::open(&settings.dir)?;
        if let Some(s3) = &settings.s3 {
            store.remote = Some(Arc::new(Remote::connect(s3)?));
        }
        Ok(store)
    }

    /// What the store is, for logs: the folder or the bucket.
    pub fn describe(&self) -> String {
        match &self.remote {
            Some(remote) => remote.label().to_owned(),
            None => self.root.join("objects").display().to_string(),
        }
    }

    /// The bucket, when the objects are in one.
    pub fn remote(&self) -> Option<&Remote> {
        self.remote.as_deref()
    }

    /// A new staging file.
    pub fn stage(&self) -> io::Result<Staged> {
        let path = self.root.join("tmp").join(format!("upload-{}", uuid::Uuid::new_v4().simple()));
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok(Staged { file, path, hasher: Sha256::new(), size: 0, kept: false })
    }

    /// Where the object `address` is (or would be) in the local folder.
    fn path(&self, address: &str) -> PathBuf {
        self.root.join("objects").join(&address[..2]).join(&address[2..4]).join(address)
    }

    /// The object's file, when the objects are local.
    pub fn local_path(&self, address: &str) -> Option<PathBuf> {
        if self.remote.is_some() { None } else { Some(self.path(address)) }
    }

    pub fn exists(&self, address: &str) -> bool {
        match &self.remote {
            Some(remote) => remote.exists(address),
            None => self.path(address).is_file(),
        }
    }

    /// Makes a staged upload an object, durably (synced, then moved into place); returns its
    /// address. When the object exists already, the staged copy is dropped.
    pub fn keep(&self, mut staged: Staged) -> io::Result<String> {
        let address = hex(&staged.hasher.clone().finalize());
        if let Some(remote) = &self.remote {
            // Uploads are at most tens of megabytes: one PUT (S3 takes 5 GB in one).
            staged.file.sync_all()?;
            remote.put(&address, fs::read(&staged.path)?.into())?;
            return Ok(address); // the staged copy goes with `staged`
        }
        let target = self.path(&address);
        if target.is_file() {
            return Ok(address);
        }
        staged.file.sync_all()?;
        fs::create_dir_all(target.parent().expect("objects have a parent"))?;
        fs::rename(&staged.path, &target)?;
        staged.kept = true;
        sync_dir(target.parent().expect("objects have a parent"));
        Ok(address)
    }

    /// Stores `bytes` as an object; returns its address.
    pub fn put(&self, bytes: &[u8]) -> io::Result<String> {
        if let Some(remote) = &self.remote {
            let address = hex(&Sha256::digest(bytes));
            remote.put(&address, bytes::Bytes::copy_from_slice(bytes))?;
            return Ok(address);
        }
        let mut staged = self.stage()?;
        staged.write(bytes)?;
        self.keep(staged)
    }

    pub fn read(&self, address: &str) -> io::Result<Vec<u8>> {
        match &self.remote {
            Some(remote) => remote.read(address),
            None => fs::read(self.path(address)),
        }
    }

    /// Every object's address and when it was written.
    pub fn objects(&self) -> io::Result<Vec<(String, SystemTime)>> {
        if let Some(remote) = &self.remote {
            return remote.list();
        }
        let mut objects = Vec::new();
        for first in fs::read_dir(self.root.join("objects"))? {
            for second in fs::read_dir(first?.path())? {
                for object in fs::read_dir(second?.path())? {
                    let object = object?;
                    let written = object.metadata()?.modified().unwrap_or_else(|_| SystemTime::now());
                    objects.push((object.file_name().to_string_lossy().to_string(), written));
                }
            }
        }
        Ok(objects)
    }

    /// Removes the objects that `in_use` does not name and that are older than `grace` (an upload
    /// may have stored its object and not yet committed its row); returns how many.
    pub fn collect_garbage(&self, in_use: &std::collections::HashSet<String>, grace: Duration) -> io::Result<usize> {
        let mut removed = 0;
        let cutoff = SystemTime::now() - grace;
        for (address, written) in self.objects()? {
            if written < cutoff && !in_use.contains(&address) && is_address(&address) {
                match &self.remote {
                    Some(remote) => remote.delete(&address)?,
                    None => fs::remove_file(self.path(&address))?,
                }
                removed += 1;
            }
        }
        // Staging files left by a crash.
        for staged in fs::read_dir(self.root.join("tmp"))? {
            let staged = staged?;
            if staged.metadata()?.modified().is_ok_and(|m| m < cutoff) {
                let _ = fs::remove_file(staged.path());
            }
        }
        Ok(removed)
    }

    /// Staging files present now (an interrupted upload must leave none).
    pub fn staging_files(&self) -> io::Result<usize> {
        Ok(fs::read_dir(self.root.join("tmp"))?.count())
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_are_one_object_and_an_unkept_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store.put(b"hello").unwrap();
        let b = store.put(b"hello").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert!(is_address(&a));
        assert_eq!(store.read(&a).unwrap(), b"hello");
        {
            let mut staged = store.stage().unwrap();
            staged.write(b"half an upl").unwrap();
            assert_eq!(store.staging_files().unwrap(), 1);
        }
        assert_eq!(store.staging_files().unwrap(), 0);
        let removed = store.collect_garbage(&Default::default(), Duration::ZERO).unwrap();
        assert_eq!(removed, 1);
        assert!(!store.exists(&a));
    }
}
