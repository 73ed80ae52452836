//! `convene bench create`: N concurrent clients, each on its own HTTP
//! keep-alive connection, create meetings as fast as the server answers, for
//! a bounded time, against 127.0.0.1. Reports acknowledged creates per second
//! and latency percentiles.
//!
//! Without `--url` it starts `convene serve --dev` on a fresh data folder in a
//! child process, so that the server and the load do not share a runtime.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use convene_sdk::{ConveneClient, CreateConfInfo, LoginByAccountInfo, MediaType};
use hdrhistogram::Histogram;

use crate::target::*;

#[derive(Debug, Clone, Args)]
pub struct CreateBenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Measured seconds (after one second of warm-up), at most 120.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// `--database-url` for the started server (default: its SQLite).
    #[arg(long)]
    pub database_url: Option<String>,
    /// The server's process ID, for its CPU per create (known when the bench starts it).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Load generator threads, each an event loop driving its share of the
    /// clients (as `wrk -t`); default 2, one per core of the target machine.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Book the meetings for tomorrow (a future `startTime`, in time zone
    /// 56) instead of creating instant ones.
    #[arg(long)]
    pub booked: bool,
}

/// The create body every client sends: a one-hour video meeting with a
/// generated guest password, the SDK's own encoding of a `CreateConfInfo`
/// (`bookConf`'s when `booked`: tomorrow at this minute).
pub(crate) fn bench_body(booked: bool) -> anyhow::Result<bytes::Bytes> {
    let mut c = CreateConfInfo::new("bench meeting", MediaType::Video, true);
    c.duration = Some(60);
    let dto = if booked {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs() as i64;
        convene_sdk::RestScheduleConfDto::from(&convene_sdk::BookConfParam {
            start_time: now - now % 60 + 86_400,
            duration: 60,
            time_zone_id: Some("56".into()),
            conf_common_param: c,
        })
    } else {
        convene_sdk::RestScheduleConfDto::from(&c)
    };
    Ok(serde_json::to_vec(&dto)?.into())
}

/// One simulated client: a single HTTP/1.1 keep-alive connection that sends
/// a request prepared once (headers and body in one buffer, one write) and
/// reads the answer with `httparse`, as wrk does. The load generator shares
/// the machine with the server, so every microsecond it spends is taken from
/// the server: through hyper's client, with a task per connection and the
/// answer decoded by serde, it cost 37-38 us per create (a quarter of it in
/// hyper's dispatch and serde_json).
pub(crate) struct BenchConn {
    stream: tokio::net::TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

/// An answer's status and body as the load client reads them.
struct Answer<'a> {
    status: u16,
    body: &'a [u8],
}

impl BenchConn {
    pub(crate) async fn open(url: &str, token: &str, body: &[u8]) -> anyhow::Result<BenchConn> {
        let authority = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let stream = tokio::net::TcpStream::connect(&authority).await?;
        stream.set_nodelay(true)?;
        let mut request = format!(
            "POST /v1/mmc/management/conferences HTTP/1.1\r\nHost: {authority}\r\nX-Access-Token: {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        Ok(BenchConn {
            stream,
            request,
            buf: Vec::with_capacity(16 << 10),
        })
    }

    /// One create: sends the request, reads one whole answer, and checks
    /// that it acknowledges a meeting (HTTP 200 with a 9-digit meeting ID).
    pub(crate) async fn create(&mut self) -> anyhow::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(&self.request).await?;
        let answer = self.read_answer().await?;
        if answer.status != 200 {
            bail!("HTTP {}: {}", answer.status, String::from_utf8_lossy(answer.body));
        }
        match conference_id(answer.body) {
            Some(id) if id.len() == 9 && id.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
            _ => bail!("no meeting ID in the answer"),
        }
    }

    /// Reads until one complete answer (head and `Content-Length` body) is in
    /// the buffer. The client sends one request at a time, so nothing of the
    /// next answer can follow it.
    async fn read_answer(&mut self) -> anyhow::Result<Answer<'_>> {
        use tokio::io::AsyncReadExt;
        self.buf.clear();
        loop {
            if self.buf.capacity() == self.buf.len() {
                self.buf.reserve(self.buf.len());
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("the server closed the connection");
            }
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut head = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head_len) = head.parse(&self.buf)? else {
                continue;
            };
            let status = head.code.context("no status")?;
            let mut length = None;
            for h in head.headers.iter() {
                if h.name.eq_ignore_ascii_case("transfer-encoding") {
                    bail!("chunked answers are not read by the load client");
                }
                if h.name.eq_ignore_ascii_case("content-length") {
                    length = Some(std::str::from_utf8(h.value)?.trim().parse::<usize>()?);
                }
            }
            let length = length.context("an answer without Content-Length")?;
            if self.buf.len() < head_len + length {
                continue;
            }
            if self.buf.len() > head_len + length {
                bail!("bytes after the answer");
            }
            return Ok(Answer {
                status,
                body: &self.buf[head_len..],
            });
        }
    }
}

/// The `conferenceID` of the first meeting in a create's answer (a JSON
/// array of `ConferenceInfo`), found without decoding the whole answer.
fn conference_id(body: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"\"conferenceID\":\"";
    let at = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = body[at..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&body[at..at + len]).ok()
}

pub async fn create(args: CreateBenchArgs) -> anyhow::Result<()> {
    if args.clients == 0 || args.clients > 1024 || args.seconds == 0 || args.seconds > 120 {
        bail!("--clients 1..=1024 and --seconds 1..=120");
    }
    if args.threads == 0 || args.threads > 64 {
        bail!("--threads 1..=64");
    }
    // No thread without a client.
    let threads = args.threads.min(args.clients);
    let (url, account, password, child) = target(&args.target, args.database_url.as_deref()).await?;
    let pid = args.server_pid.or(child.as_ref().and_then(|c| c.proc.id()));
    println!(
        "bench create: {} clients on {} load threads, {} s, against {url}",
        args.clients, threads, args.seconds
    );

    let first = ConveneClient::new(&url)?;
    let login = LoginByAccountInfo {
        account: account.clone(),
        password: password.clone(),
    };
    first.login_by_account_async(login).await?;
    let token = first.access_token().context("no token")?;
    let body = bench_body(args.booked)?;
    let clients = args.clients;
    let measured = Duration::from_secs(args.seconds);
    let warmup = Duration::from_secs(1);
    let begin = Instant::now();
    let start_measure = begin + warmup;
    let stop = start_measure + measured;
    // The load runs on threads of its own, each a current-thread runtime
    // driving its share of the clients (as wrk runs one event loop per
    // thread): on one multi-thread runtime it spent about a fifth more CPU
    // per create (36-37 us against 29-33), waking workers across threads.
    // With one thread, a whole group commit's answers (up to 64) queued
    // behind each other in it: two gave 11-15% more creates/s (3 of 3
    // alternating pairs) for ~20% more load generator CPU.
    let mut loads = Vec::with_capacity(threads);
    for i in 0..threads {
        let share = clients / threads + usize::from(i < clients % threads);
        let (url, token, body) = (url.clone(), token.clone(), body.clone());
        loads.push(std::thread::Builder::new().name(format!("bench-load-{i}")).spawn(
            move || -> anyhow::Result<(Histogram<u64>, u64, u64)> {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                rt.block_on(run_clients(url, share, token, body, start_measure, stop))
            },
        )?);
    }
    // CPU over the measured seconds: the server's per create is steadier from
    // run to run than the rate, which moves with whatever else the machine does.
    tokio::time::sleep_until(start_measure.into()).await;
    let cpu0 = (pid.and_then(cpu_secs), cpu_secs(std::process::id()));
    tokio::time::sleep_until(stop.into()).await;
    let cpu1 = (pid.and_then(cpu_secs), cpu_secs(std::process::id()));
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut ok, mut failed) = (0u64, 0u64);
    for load in loads {
        let (h, o, f) = tokio::task::spawn_blocking(move || load.join())
            .await?
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))??;
        hist.add(h)?;
        ok += o;
        failed += f;
    }
    let secs = measured.as_secs_f64();
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "acknowledged creates: {ok} in {secs:.1} s = {:.0} creates/s ({failed} failed)",
        ok as f64 / secs
    );
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        ms(0.50),
        ms(0.90),
        ms(0.99),
        ms(0.999),
        hist.max() as f64 / 1000.0
    );
    if let ((Some(a), _), (Some(b), _)) = (cpu0, cpu1) {
        println!(
            "server CPU {:.0}% of one core = {:.0} us per create",
            100.0 * (b - a) / secs,
            1e6 * (b - a) / (ok.max(1) as f64)
        );
    }
    if let ((_, Some(a)), (_, Some(b))) = (cpu0, cpu1) {
        println!(
            "load generator CPU {:.0}% of one core = {:.0} us per create (on the same machine)",
            100.0 * (b - a) / secs,
            1e6 * (b - a) / (ok.max(1) as f64)
        );
    }
    if let Some(mut c) = child {
        let _ = c.proc.kill().await;
    }
    Ok(())
}

/// Opens one keep-alive connection per client, then has every client create
/// meetings back to back until `stop`; latencies of the creates that start
/// and end inside the measured window go into one histogram.
async fn run_clients(
    url: String,
    clients: usize,
    token: String,
    body: bytes::Bytes,
    start_measure: Instant,
    stop: Instant,
) -> anyhow::Result<(Histogram<u64>, u64, u64)> {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(BenchConn::open(&url, &token, &body).await?);
    }
    let mut tasks = Vec::new();
    for mut client in conns {
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).context("histogram")?;
            let (mut ok, mut failed) = (0u64, 0u64);
            loop {
                let t0 = Instant::now();
                if t0 >= stop {
                    break;
                }
                let r = client.create().await;
                let t1 = Instant::now();
                if t0 >= start_measure && t1 <= stop {
                    match r {
                        Ok(_) => {
                            ok += 1;
                            hist.record((t1 - t0).as_micros().max(1) as u64)?;
                        }
                        Err(_) => failed += 1,
                    }
                }
            }
            Ok::<_, anyhow::Error>((hist, ok, failed))
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut ok, mut failed) = (0u64, 0u64);
    for t in tasks {
        let (h, o, f) = t.await??;
        hist.add(h)?;
        ok += o;
        failed += f;
    }
    Ok((hist, ok, failed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn the_meeting_id_is_found_in_a_create_answer() {
        let body = br#"[{"conferenceID":"123456789","subject":"a \"conferenceID\":\"x\""}]"#;
        assert_eq!(conference_id(body), Some("123456789"));
        assert_eq!(conference_id(b"[]"), None);
        assert_eq!(conference_id(br#"{"error_code":"MMC.111"}"#), None);
    }

    /// A server that answers each request with the given pieces, written
    /// apart, so that the client sees the answer arrive in parts.
    async fn server(pieces: Vec<&'static [u8]>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            for p in pieces {
                s.write_all(p).await.unwrap();
                s.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn an_answer_in_parts_is_read_whole_and_errors_count_as_failures() {
        let ok = server(vec![
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 30\r\n\r\n",
            b"[{\"conferenceID\":",
            b"\"987654321\"}]",
        ])
        .await;
        let mut c = BenchConn::open(&ok, "token", b"{}").await.unwrap();
        c.create().await.unwrap();

        let refused = server(vec![b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 2\r\n\r\n{}"]).await;
        let mut c = BenchConn::open(&refused, "token", b"{}").await.unwrap();
        let e = c.create().await.unwrap_err().to_string();
        assert!(e.contains("HTTP 401"), "{e}");

        let no_id = server(vec![b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]"]).await;
        let mut c = BenchConn::open(&no_id, "token", b"{}").await.unwrap();
        assert!(c.create().await.is_err());

        let chunked = server(vec![
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
        ])
        .await;
        let mut c = BenchConn::open(&chunked, "token", b"{}").await.unwrap();
        assert!(c.create().await.is_err());
    }
}
