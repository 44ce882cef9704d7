//! S3-compatible object storage for the library's files (AWS, MinIO, Ceph, a cloud's), through
//! `object_store`. Its client runs on a small runtime of its own, so that the HTTP workers, the
//! blocking pool and the processing thread all reach it the same way: a request is spawned there
//! and its answer waited for (in a thread) or awaited (in a handler).

use std::future::Future;
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::S3Settings;

pub struct Remote {
    s3: Arc<dyn ObjectStore>,
    /// `prefix/objects`, under which every object is.
    root: String,
    /// Always `Some` until dropped (then shut down without waiting: a runtime may not block
    /// its dropper, which can be an async task).
    runtime: Option<tokio::runtime::Runtime>,
    label: String,
}

impl Drop for Remote {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl Remote {
    /// Connects to the bucket and checks that it answers (a missing bucket or refused keys stop
    /// the start, instead of every upload failing later).
    pub fn connect(settings: &S3Settings) -> io::Result<Self> {
        // reqwest's TLS, chosen without a provider of its own: ring, as the rest of the server.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::new().with_bucket_name(&settings.bucket).with_region(&settings.region);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let s3 = builder.build().map_err(io::Error::other)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("muni-s3")
            .enable_all()
            .build()?;
        let root =
            if settings.prefix.is_empty() { "objects".to_owned() } else { format!("{}/objects", settings.prefix) };
        let label = format!("s3://{}/{} at {}", settings.bucket, root, settings.endpoint.as_deref().unwrap_or("AWS"));
        let remote = Self { s3: Arc::new(s3), root, runtime: Some(runtime), label };
        let (s3, root) = (remote.s3.clone(), Key::from(remote.root.as_str()));
        match remote.wait(async move { Ok(s3.list_with_delimiter(Some(&root)).await?) }) {
            Ok(_) => Ok(remote),
            Err(e) => Err(io::Error::other(format!("{}: {e}", remote.label))),
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives as long as the store")
    }

    fn key(&self, address: &str) -> Key {
        Key::from(format!("{}/{}/{}/{address}", self.root, &address[..2], &address[2..4]))
    }

    /// Runs `work` on the store's runtime and waits for it (from any thread: a worker, the
    /// blocking pool, the processing thread, a command).
    fn wait<T: Send + 'static>(&self, work: impl Future<Output = io::Result<T>> + Send + 'static) -> io::Result<T> {
        let (send, answer) = std::sync::mpsc::sync_channel(1);
        self.runtime().spawn(async move {
            let _ = send.send(work.await);
        });
        answer.recv().map_err(|_| io::Error::other("the object store's runtime stopped"))?
    }

    pub fn exists(&self, address: &str) -> bool {
        let (s3, key) = (self.s3.clone(), self.key(address));
        self.wait(async move { Ok(s3.head(&key).await.is_ok()) }).unwrap_or(false)
    }

    /// Stores `bytes` under `address` unless the object is there already (the same address is
    /// the same bytes).
    pub fn put(&self, address: &str, bytes: Bytes) -> io::Result<()> {
        let (s3, key) = (self.s3.clone(), self.key(address));
        self.wait(async move {
            if s3.head(&key).await.is_ok() {
                return Ok(());
            }
            s3.put(&key, PutPayload::from(bytes)).await?;
            Ok(())
        })
    }

    pub fn read(&self, address: &str) -> io::Result<Vec<u8>> {
        let (s3, key) = (self.s3.clone(), self.key(address));
        self.wait(async move { Ok(s3.get(&key).await?.bytes().await?.to_vec()) })
    }

    pub fn delete(&self, address: &str) -> io::Result<()> {
        let (s3, key) = (self.s3.clone(), self.key(address));
        self.wait(async move { Ok(s3.delete(&key).await?) })
    }

    /// Every object's address and when it was written.
    pub fn list(&self) -> io::Result<Vec<(String, SystemTime)>> {
        let (s3, root) = (self.s3.clone(), Key::from(self.root.as_str()));
        self.wait(async move {
            let mut listed = s3.list(Some(&root));
            let mut objects = Vec::new();
            while let Some(meta) = listed.next().await {
                let meta = meta?;
                if let Some(name) = meta.location.filename() {
                    objects.push((name.to_owned(), SystemTime::from(meta.last_modified)));
                }
            }
            Ok(objects)
        })
    }

    /// The object's bytes (or the part `range` names) as a stream, for an answer: the first
    /// chunk is read before this returns, so a missing object is an error here, not a cut body.
    pub async fn stream(
        &self,
        address: &str,
        range: Option<Range<u64>>,
    ) -> io::Result<impl Stream<Item = io::Result<Bytes>> + 'static> {
        let (s3, key) = (self.s3.clone(), self.key(address));
        let (send, mut chunks) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
        let (opened, open) = tokio::sync::oneshot::channel::<io::Result<()>>();
        self.runtime().spawn(async move {
            let options = GetOptions { range: range.map(GetRange::Bounded), ..Default::default() };
            let mut body = match s3.get_opts(&key, options).await {
                Ok(result) => {
                    let _ = opened.send(Ok(()));
                    result.into_stream()
                }
                Err(e) => {
                    let _ = opened.send(Err(e.into()));
                    return;
                }
            };
            while let Some(chunk) = body.next().await {
                if send.send(chunk.map_err(io::Error::from)).await.is_err() {
                    return; // the reader went away
                }
            }
        });
        open.await.map_err(|_| io::Error::other("the object store's runtime stopped"))??;
        Ok(futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx)))
    }
}
