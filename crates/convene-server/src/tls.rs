//! TLS for the HTTPS listener: the configured certificate, or a self-signed
//! one made once and kept in the data folder.

use std::path::PathBuf;

use anyhow::Context;
use axum_server::tls_rustls::RustlsConfig;

use crate::Config;

/// The certificate and key files the server uses, made if needed.
pub fn cert_paths(config: &Config) -> anyhow::Result<(PathBuf, PathBuf)> {
    if let (Some(c), Some(k)) = (&config.tls_cert, &config.tls_key) {
        return Ok((c.clone(), k.clone()));
    }
    let cert = config.data_dir.join("tls-cert.pem");
    let key = config.data_dir.join("tls-key.pem");
    if !(cert.exists() && key.exists()) {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        let made = rcgen::generate_simple_self_signed(names).context("making a self-signed certificate")?;
        std::fs::write(&cert, made.cert.pem())?;
        write_private_file(&key, made.signing_key.serialize_pem().as_bytes())?;
    }
    Ok((cert, key))
}

#[cfg(unix)]
pub fn write_private_file(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(not(unix))]
pub fn write_private_file(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

pub async fn rustls_config(config: &Config) -> anyhow::Result<RustlsConfig> {
    let (cert, key) = cert_paths(config)?;
    RustlsConfig::from_pem_file(&cert, &key)
        .await
        .with_context(|| format!("loading TLS certificate {} and key {}", cert.display(), key.display()))
}
