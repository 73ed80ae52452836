//! Where finished recordings are kept: the data folder (the default), or an
//! S3-compatible object store (`--record-store s3://bucket[/prefix]?endpoint=
//! URL&region=R`, through the `object_store` crate) so that any node can
//! serve them. Capture and composition always work in the data folder; with
//! an object store, a composed segment's files are uploaded, then the local
//! copies go.

use std::path::Path as FsPath;
use std::sync::Arc;

use anyhow::{bail, Context};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};

/// The object store's settings (`serve --record-store`).
#[derive(Clone, Debug, Default)]
pub struct StoreConfig {
    /// `s3://bucket[/prefix]?endpoint=...&region=...`.
    pub url: String,
    /// Credentials; without them the usual `AWS_*` environment variables.
    pub access_key: Option<String>,
    pub secret_key: Option<crate::config::Secret>,
}

/// Where recordings are kept.
#[derive(Clone)]
pub enum Archive {
    /// In the data folder, where they were made.
    Local,
    /// In an object store, under `prefix`.
    Objects {
        store: Arc<dyn ObjectStore>,
        prefix: String,
    },
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Archive::Local => f.write_str("Local"),
            Archive::Objects { prefix, .. } => write!(f, "Objects({prefix:?})"),
        }
    }
}

impl Archive {
    /// The archive a configuration names (`None`: the data folder).
    pub fn open(config: Option<&StoreConfig>) -> anyhow::Result<Archive> {
        let Some(c) = config else { return Ok(Archive::Local) };
        let url = url::Url::parse(&c.url).with_context(|| format!("--record-store {:?} is not a URL", c.url))?;
        if url.scheme() != "s3" {
            bail!("--record-store must be s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION");
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .context("--record-store names no bucket")?;
        let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        for (k, v) in url.query_pairs() {
            b = match k.as_ref() {
                "endpoint" => b
                    .with_endpoint(v.to_string())
                    .with_allow_http(v.starts_with("http://"))
                    .with_virtual_hosted_style_request(false),
                "region" => b.with_region(v.to_string()),
                other => bail!("--record-store: unknown setting {other:?} (endpoint, region)"),
            };
        }
        if let Some(k) = &c.access_key {
            b = b.with_access_key_id(k);
        }
        if let Some(s) = &c.secret_key {
            b = b.with_secret_access_key(&s.0);
        }
        let store = b.build().context("--record-store")?;
        Ok(Archive::Objects {
            store: Arc::new(store),
            prefix: url.path().trim_matches('/').to_owned(),
        })
    }

    fn key(prefix: &str, parts: &[&str]) -> Path {
        let mut all: Vec<&str> = Vec::new();
        if !prefix.is_empty() {
            all.extend(prefix.split('/'));
        }
        all.extend_from_slice(parts);
        Path::from_iter(all)
    }

    /// Keeps a composed segment's files (`dir/<file>`) for good.
    pub async fn keep(&self, conf_uuid: &str, segment: i64, dir: &FsPath, files: &[String]) -> anyhow::Result<()> {
        let Archive::Objects { store, prefix } = self else {
            return Ok(());
        };
        let seg = segment.to_string();
        for f in files {
            let key = Self::key(prefix, &[conf_uuid, &seg, f]);
            let mut from = tokio::fs::File::open(dir.join(f))
                .await
                .with_context(|| format!("opening {f}"))?;
            let mut to = object_store::buffered::BufWriter::new(store.clone(), key);
            tokio::io::copy(&mut from, &mut to)
                .await
                .with_context(|| format!("uploading {f}"))?;
            tokio::io::AsyncWriteExt::shutdown(&mut to)
                .await
                .with_context(|| format!("uploading {f}"))?;
        }
        Ok(())
    }

    /// Whether the data folder's copy goes once the files are kept.
    pub fn is_remote(&self) -> bool {
        matches!(self, Archive::Objects { .. })
    }

    /// Forgets a meeting's recording files.
    pub async fn delete(&self, conf_uuid: &str) -> anyhow::Result<()> {
        let Archive::Objects { store, prefix } = self else {
            return Ok(());
        };
        let under = Self::key(prefix, &[conf_uuid]);
        let mut list = store.list(Some(&under));
        while let Some(meta) = list.next().await {
            store.delete(&meta?.location).await?;
        }
        Ok(())
    }

    /// Serves a file of a segment (local: `path`), honouring `Range`.
    pub async fn serve(
        &self,
        conf_uuid: &str,
        segment: i64,
        file: &str,
        path: &FsPath,
        request: axum::extract::Request,
    ) -> Response {
        let (store, prefix) = match self {
            Archive::Local => {
                return match tower_http::services::ServeFile::new(path).try_call(request).await {
                    Ok(r) => r.map(axum::body::Body::new),
                    Err(e) => {
                        tracing::warn!(file = %path.display(), error = %e, "serving a recording");
                        crate::error::ApiError::not_found().into_response()
                    }
                }
            }
            Archive::Objects { store, prefix } => (store, prefix),
        };
        let key = Self::key(prefix, &[conf_uuid, &segment.to_string(), file]);
        let meta = match store.head(&key).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "a recording's object");
                return crate::error::ApiError::not_found().into_response();
            }
        };
        let size = meta.size;
        let range = match request.headers().get(header::RANGE).and_then(|v| v.to_str().ok()) {
            None => None,
            Some(h) => match http_range_header::parse_range_header(h).and_then(|r| r.validate(size)) {
                Ok(mut ranges) if ranges.len() == 1 => ranges.pop(),
                // Several ranges at once: the whole file instead (RFC 9110 allows it).
                Ok(_) => None,
                Err(_) => {
                    return (
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        [(header::CONTENT_RANGE, format!("bytes */{size}"))],
                    )
                        .into_response()
                }
            },
        };
        let opts = GetOptions {
            range: range.as_ref().map(|r| GetRange::Bounded(*r.start()..*r.end() + 1)),
            ..Default::default()
        };
        let got = match store.get_opts(&key, opts).await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "reading a recording's object");
                return crate::error::ApiError::internal().into_response();
            }
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
        let mime = if file.ends_with(".mp4") {
            "video/mp4"
        } else {
            "video/webm"
        };
        headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(mime));
        let (status, len) = match &range {
            Some(r) => {
                if let Ok(v) = format!("bytes {}-{}/{size}", r.start(), r.end()).parse() {
                    headers.insert(header::CONTENT_RANGE, v);
                }
                (StatusCode::PARTIAL_CONTENT, r.end() - r.start() + 1)
            }
            None => (StatusCode::OK, size),
        };
        headers.insert(header::CONTENT_LENGTH, len.into());
        let body = axum::body::Body::from_stream(got.into_stream());
        (status, headers, body).into_response()
    }
}
