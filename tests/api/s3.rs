//! An S3-compatible server for the tests of the bucket store: moto's server mode (PyPI
//! `moto[server]`), started once per test process on a free loopback port, with a bucket of its
//! own for every test. When moto is not installed the S3 variants say they were skipped; `.ci/run`
//! installs it and sets `MUNI_REQUIRE_S3=1`, so there they cannot skip.

use std::collections::HashMap;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The endpoint of the test process's moto server, or `None` (skipped) without moto.
fn endpoint() -> Option<&'static str> {
    static ENDPOINT: OnceLock<Option<String>> = OnceLock::new();
    ENDPOINT.get_or_init(start).as_deref()
}

fn start() -> Option<String> {
    let installed = Command::new("moto_server").arg("--help").output().is_ok_and(|o| o.status.success());
    if !installed {
        let how = "pip install 'moto[server]'";
        assert!(
            std::env::var_os("MUNI_REQUIRE_S3").is_none(),
            "MUNI_REQUIRE_S3 is set but moto_server is missing: {how}"
        );
        eprintln!("SKIPPED: the S3 storage tests need moto_server ({how})");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // Started from a thread that never ends: the server is told to stop when its parent thread
    // goes (PR_SET_PDEATHSIG), which is then when the test process exits.
    let (started, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new("moto_server");
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command.spawn();
        let _ = started.send(child.is_ok());
        if let Ok(mut child) = child {
            let _ = child.wait();
        }
        loop {
            std::thread::park();
        }
    });
    assert!(ready.recv().unwrap(), "moto_server did not start");
    let address = format!("127.0.0.1:{port}");
    let since = Instant::now();
    while TcpStream::connect(&address).is_err() {
        assert!(since.elapsed() < Duration::from_secs(30), "moto_server does not answer on {address}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(format!("http://{address}"))
}

/// Settings that put a server's media files in a new bucket of the moto server, or `None`
/// (the test skips) without moto.
pub async fn bucket_env() -> Option<HashMap<String, String>> {
    let endpoint = tokio::task::spawn_blocking(endpoint).await.unwrap()?;
    let bucket = format!("muni-{}", uuid::Uuid::new_v4().simple());
    let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.unwrap();
    assert!(created.status().is_success(), "cannot create the bucket: {}", created.status());
    Some(
        [
            ("MUNI_MEDIA_S3_BUCKET", bucket),
            ("MUNI_MEDIA_S3_ENDPOINT", endpoint.to_owned()),
            ("MUNI_MEDIA_S3_PREFIX", "muni-test".into()),
            ("MUNI_MEDIA_S3_ACCESS_KEY_ID", "test".into()),
            ("MUNI_MEDIA_S3_SECRET_ACCESS_KEY", "test".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    )
}
