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
use tokio::io::AsyncBufReadExt;

/// Which server a benchmark loads: a running one on loopback, or (default)
/// one it starts itself.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// A running server (`http://127.0.0.1:PORT`); default: start one.
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub password: Option<String>,
}

/// The server to load and how to log in to it; the child process is the
/// server the benchmark started, if it did.
async fn target(t: &TargetArgs, database_url: Option<&str>) -> anyhow::Result<(String, String, String, Option<Child>)> {
    match &t.url {
        Some(u) => {
            let (Some(a), Some(p)) = (&t.account, &t.password) else {
                bail!("--url needs --account and --password");
            };
            if !(u.starts_with("http://127.") || u.starts_with("http://localhost") || u.starts_with("http://[::1]")) {
                bail!("the benchmark only targets loopback addresses");
            }
            Ok((u.clone(), a.clone(), p.clone(), None))
        }
        None => {
            let (u, a, p, c) = start_server(database_url).await?;
            Ok((u, a, p, Some(c)))
        }
    }
}

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
}

struct Child {
    proc: tokio::process::Child,
    _dir: tempfile::TempDir,
}

async fn start_server(db: Option<&str>) -> anyhow::Result<(String, String, String, Child)> {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(["serve", "--dev", "--no-tls", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some(db) = db {
        cmd.args(["--database-url", db]);
    }
    let mut proc = cmd.spawn().context("starting convene serve")?;
    let stdout = proc.stdout.take().context("server stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(u) = line.strip_prefix("convene listening on ") {
                return Ok::<_, anyhow::Error>(u.split_whitespace().next().unwrap_or_default().to_owned());
            }
        }
        bail!("the server exited before listening")
    })
    .await
    .context("waiting for the server")??;
    // Keep draining the server's output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let (account, password, _, _) = crate::admin::read_dev_login(dir.path()).context("reading the dev credentials")?;
    Ok((url, account, password, Child { proc, _dir: dir }))
}

/// The create body every client sends: a one-hour video meeting with a
/// generated guest password, the SDK's own encoding of a `CreateConfInfo`.
fn bench_body() -> anyhow::Result<bytes::Bytes> {
    let mut c = CreateConfInfo::new("bench meeting", MediaType::Video, true);
    c.duration = Some(60);
    Ok(serde_json::to_vec(&convene_sdk::RestScheduleConfDto::from(&c))?.into())
}

/// One simulated client: a single HTTP/1.1 keep-alive connection that sends
/// a request prepared once (headers and body in one buffer, one write) and
/// reads the answer with `httparse`, as wrk does. The load generator shares
/// the machine with the server, so every microsecond it spends is taken from
/// the server: through hyper's client, with a task per connection and the
/// answer decoded by serde, it cost 37-38 us per create (a quarter of it in
/// hyper's dispatch and serde_json).
struct BenchConn {
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
    async fn open(url: &str, token: &str, body: &[u8]) -> anyhow::Result<BenchConn> {
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
    async fn create(&mut self) -> anyhow::Result<()> {
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
    let body = bench_body()?;
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

/// `convene bench join` flags.
#[derive(Debug, Clone, Args)]
pub struct JoinBenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, default_value_t = 200)]
    pub meetings: usize,
    /// Participants per meeting (one host, the rest guests).
    #[arg(long, default_value_t = 10)]
    pub per_meeting: usize,
    /// Joins per second, across all meetings.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// Control calls per meeting (lock toggles), timed to the last receiver.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Control calls per second across all meetings while measuring.
    #[arg(long, default_value_t = 100)]
    pub control_rate: u64,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Bytes of messages all these sessions have received.
fn received(sessions: &[Vec<convene_sdk::ConfSession>]) -> u64 {
    sessions.iter().flatten().map(|s| s.received_bytes()).sum()
}

/// Participants connected over WebSocket, joining at a set rate; then each
/// meeting's host toggles the lock and the time until every participant of
/// that meeting has the event is recorded.
pub async fn join(args: JoinBenchArgs) -> anyhow::Result<()> {
    use convene_sdk::{ConfSession, Event};
    if args.meetings == 0
        || args.meetings > 1000
        || !(2..=2000).contains(&args.per_meeting)
        || args.meetings * args.per_meeting > 20_000
        || args.rate == 0
        || args.rounds > 1000
    {
        bail!("--meetings 1..=1000, --per-meeting 2..=2000, at most 20000 in all, --rate > 0, --rounds <= 1000");
    }
    let total = args.meetings * args.per_meeting;
    let (url, account, password, child) = target(&args.target, None).await?;
    let pid = child.as_ref().and_then(|c| c.proc.id());
    println!(
        "bench join: {} meetings x {} participants = {total}, {} joins/s, against {url}",
        args.meetings, args.per_meeting, args.rate
    );
    let host = ConveneClient::new(&url)?;
    host.login_by_account_async(LoginByAccountInfo { account, password })
        .await?;
    let mut confs = Vec::new();
    for i in 0..args.meetings {
        let mut c = CreateConfInfo::new(format!("join bench {i}"), MediaType::Video, true);
        c.duration = Some(120);
        c.concurrent_participants = Some(args.per_meeting as i64);
        confs.push(host.create_conf_async(c).await?);
    }
    let rss_before = pid.and_then(rss_kib);
    // What the participants had received when every meeting had 150 of
    // them (the issue's byte target), if the meetings grow that far.
    let mut received_at_150 = None;

    // Join at the set rate: hosts first in each meeting, then guests.
    let mut sessions: Vec<Vec<ConfSession>> = (0..args.meetings).map(|_| Vec::new()).collect();
    // Joins go over each participant's own WebSocket; one client makes them all.
    let joiner = ConveneClient::new(&url)?;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate));
    let started = Instant::now();
    let mut join_hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut pending = Vec::new();
    for slot in 0..args.per_meeting {
        for (i, conf) in confs.iter().enumerate() {
            tick.tick().await;
            let info = join_info(conf, slot, format!("p{slot}"));
            let client = joiner.clone();
            pending.push((
                i,
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    let s = client.join_conf_by_id_async(info).await;
                    (s, t0.elapsed())
                }),
            ));
        }
        // Hosts are in before guests join.
        for (i, t) in pending.drain(..) {
            let (s, took) = t.await?;
            sessions[i].push(s?);
            join_hist.record(took.as_micros().max(1) as u64)?;
        }
        if slot + 1 == 150 {
            received_at_150 = Some(received(&sessions));
        }
    }
    let join_secs = started.elapsed().as_secs_f64();
    let rss_after = pid.and_then(rss_kib);
    println!(
        "joined {total} in {join_secs:.1} s ({:.0}/s); join latency ms p50 {:.2} p99 {:.2}",
        total as f64 / join_secs,
        join_hist.value_at_quantile(0.5) as f64 / 1000.0,
        join_hist.value_at_quantile(0.99) as f64 / 1000.0
    );
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        println!(
            "server memory: {} KiB before, {} KiB after = {:.1} KiB per connected participant",
            b,
            a,
            (a.saturating_sub(b)) as f64 / total as f64
        );
    }
    // Bytes of messages the server sent while they joined (what the
    // participants' sessions received: JSON, without framing).
    let sent = received(&sessions);
    println!(
        "server sent {:.2} MB while they joined: {:.1} KB per join, {:.2} MB per meeting",
        sent as f64 / 1e6,
        sent as f64 / total as f64 / 1e3,
        sent as f64 / args.meetings as f64 / 1e6
    );
    if let Some(at) = received_at_150 {
        println!(
            "  until each meeting had 150 participants: {:.2} MB per meeting",
            at as f64 / args.meetings as f64 / 1e6
        );
    }

    // Control -> event to every participant, all meetings at once.
    let mut tasks = Vec::new();
    // Each meeting calls once every `period`, meetings staggered evenly, so
    // that the whole server sees `control_rate` calls per second.
    let period = Duration::from_secs_f64(args.meetings as f64 / args.control_rate.max(1) as f64);
    let measure_start = Instant::now();
    for (m, mut group) in sessions.into_iter().enumerate() {
        let rounds = args.rounds;
        let offset = period.mul_f64(m as f64 / args.meetings as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut pace = tokio::time::interval(period);
            let host = group.remove(0);
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(bool, Instant)>();
            let mut listeners = Vec::new();
            let all: Vec<std::sync::Arc<ConfSession>> =
                std::iter::once(host).chain(group).map(std::sync::Arc::new).collect();
            for s in &all {
                let (s, tx) = (s.clone(), tx.clone());
                listeners.push(tokio::spawn(async move {
                    while let Some((_, e)) = s.next_event().await {
                        if let Event::OnMeetingInfoChanged { is_locked, .. } = e {
                            let _ = tx.send((is_locked, Instant::now()));
                        }
                    }
                }));
            }
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let n = all.len();
            for r in 0..rounds {
                pace.tick().await;
                let lock = r % 2 == 0;
                let t0 = Instant::now();
                all[0].lock_conf(lock).await?;
                let mut got = 0;
                let mut last = t0;
                while got < n {
                    let (l, at) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                        .await?
                        .context("listeners gone")?;
                    if l == lock {
                        got += 1;
                        last = at;
                    }
                }
                hist.record((last - t0).as_micros().max(1) as u64)?;
            }
            for l in listeners {
                l.abort();
            }
            Ok::<_, anyhow::Error>(hist)
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for t in tasks {
        hist.add(t.await??)?;
    }
    println!(
        "control -> event at every participant, ms ({} calls at {:.0}/s): p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        hist.len(),
        hist.len() as f64 / measure_start.elapsed().as_secs_f64(),
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.9) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    if let Some(mut c) = child {
        let _ = c.proc.kill().await;
    }
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct MediaBenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, default_value_t = 10)]
    pub meetings: usize,
    /// Participants per meeting sending audio (and video) and receiving the others.
    #[arg(long, default_value_t = 2)]
    pub publishers: usize,
    /// Participants per meeting that only receive.
    #[arg(long, default_value_t = 8)]
    pub subscribers: usize,
    /// Measured seconds (after two seconds of warm-up), at most 120.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Audio meetings (no video).
    #[arg(long)]
    pub audio_only: bool,
    /// The server's process ID, for its CPU and memory (known when the bench starts it).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Load a Janus VideoRoom at this REST API URL (`http://127.0.0.1:8088/janus`)
    /// instead of convene, with the same clients (pass Janus's `--server-pid`).
    #[arg(long)]
    pub janus: Option<String>,
    /// The address the clients' UDP sockets bind to (for Janus: the address
    /// it gathers its candidates on, see docs/PERFORMANCE.md).
    #[arg(long, default_value = "127.0.0.1")]
    pub client_ip: std::net::IpAddr,
}

/// The SFU a media benchmark loads.
enum MediaTarget {
    /// A convene server, with the account that creates the meetings.
    Convene {
        url: String,
        account: String,
        password: String,
    },
    /// A Janus REST API URL.
    Janus(String),
}

/// User + system CPU seconds a process used so far (from /proc).
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after ')'.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

/// Synthetic publishers and subscribers on str0m, over real UDP on
/// loopback, through the server's SFU: forwarded packets per second, server
/// CPU per forwarded packet and per stream, memory per media connection,
/// frames lost, and one-way latency through the SFU.
pub async fn media(args: MediaBenchArgs) -> anyhow::Result<()> {
    use crate::media_peer::MediaPeer;
    use str0m::media::MediaKind;
    let per = args.publishers + args.subscribers;
    if !(1..=100).contains(&args.meetings)
        || !(1..=16).contains(&args.publishers)
        || per < 2
        || args.meetings * per > 2000
        || !(1..=120).contains(&args.seconds)
    {
        bail!(
            "--meetings 1..=100, --publishers 1..=16, at least 2 per meeting, at most 2000 in all, --seconds 1..=120"
        );
    }
    if !args.client_ip.is_loopback() {
        bail!("--client-ip must be a loopback address (127.0.0.0/8): the benchmark loads this machine only");
    }
    let (sfu, child, target_url) = match &args.janus {
        Some(janus) => (
            MediaTarget::Janus(janus.clone()),
            None,
            crate::bench_janus::check(janus).await?,
        ),
        None => {
            let (url, account, password, child) = target(&args.target, None).await?;
            let name = url.clone();
            (MediaTarget::Convene { url, account, password }, child, name)
        }
    };
    let pid = args.server_pid.or(child.as_ref().and_then(|c| c.proc.id()));
    println!(
        "bench media: {} meetings x ({} publishers + {} subscribers), {}, against {target_url}",
        args.meetings,
        args.publishers,
        args.subscribers,
        if args.audio_only { "audio" } else { "audio + video" }
    );
    let rss_before = pid.and_then(rss_kib);
    let epoch = Instant::now();
    // (meeting, is publisher, peer)
    let mut peers: Vec<(usize, bool, MediaPeer)> = Vec::new();
    let mut sessions = Vec::new();
    let mut janus_sessions = Vec::new();
    // convene's media stats URL; Janus has none.
    let url = match sfu {
        MediaTarget::Convene { url, account, password } => {
            join_media_meetings(&args, &url, account, password, epoch, &mut peers, &mut sessions).await?;
            Some(url)
        }
        MediaTarget::Janus(janus) => {
            let first_room = rand::Rng::gen_range(&mut rand::thread_rng(), 1_000_000..1_000_000_000u64);
            for m in 0..args.meetings {
                let (room, keep) = crate::bench_janus::room(
                    &janus,
                    args.client_ip,
                    first_room + m as u64,
                    args.publishers,
                    args.subscribers,
                    !args.audio_only,
                    epoch,
                )
                .await?;
                peers.extend(room.into_iter().map(|(publisher, p)| (m, publisher, p)));
                janus_sessions.push(keep);
            }
            None
        }
    };
    let connections = peers.len();
    let expected_streams = args.meetings * args.publishers * (per - 1) * if args.audio_only { 1 } else { 2 };
    // Warm up: every connection up and every track negotiated.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let receiving: usize = peers
            .iter()
            .map(|(_, _, p)| p.with(|c| c.received.values().filter(|r| r.frames > 0).count()))
            .sum();
        if receiving >= expected_streams {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {receiving} of {expected_streams} streams flowing after 20 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = pid.and_then(rss_kib);

    let snapshot = |peers: &Vec<(usize, bool, MediaPeer)>| {
        let mut frames = 0u64;
        let mut gaps = 0u64;
        let mut audio = 0u64;
        let mut rtp = 0u64;
        for (_, _, p) in peers {
            p.with(|c| {
                rtp += c.rtp_received;
                for r in c.received.values() {
                    frames += r.frames;
                    gaps += r.gaps;
                    if r.kind == Some(MediaKind::Audio) {
                        audio += r.frames;
                    }
                }
                c.latencies_us.clear();
            });
        }
        (frames, gaps, audio, rtp)
    };
    let stats0 = match &url {
        Some(u) => Some(media_stats(u).await?),
        None => None,
    };
    let (f0, g0, a0, r0) = snapshot(&peers);
    let cpu0 = pid.and_then(cpu_secs);
    let me0 = cpu_secs(std::process::id());
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let secs = t0.elapsed().as_secs_f64();
    let cpu1 = pid.and_then(cpu_secs);
    let me1 = cpu_secs(std::process::id());
    let stats1 = match &url {
        Some(u) => Some(media_stats(u).await?),
        None => None,
    };
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut frames = 0u64;
    let mut gaps = 0u64;
    let mut audio_frames = 0u64;
    let mut r1 = 0u64;
    for (_, _, p) in &peers {
        p.with(|c| {
            r1 += c.rtp_received;
            for r in c.received.values() {
                frames += r.frames;
                gaps += r.gaps;
                if r.kind == Some(MediaKind::Audio) {
                    audio_frames += r.frames;
                }
            }
            for l in c.latencies_us.drain(..) {
                let _ = hist.record(l.max(1));
            }
        });
    }
    let frames = frames - f0;
    let lost = gaps - g0;
    let audio_frames = audio_frames - a0;
    // RTP packets that reached the clients: the same count for any SFU.
    let rtp_received = (r1 - r0) as f64 / secs;
    println!("{connections} media connections, {expected_streams} forwarded streams; over {secs:.1} s:");
    let forwarded = match (&stats0, &stats1) {
        (Some(s0), Some(s1)) => {
            let rtp_out = s1.rtp_out.saturating_sub(s0.rtp_out) as f64 / secs;
            let rtp_in = s1.rtp_in.saturating_sub(s0.rtp_in) as f64 / secs;
            let timer_turns = s1.timer_turns.saturating_sub(s0.timer_turns) as f64 / secs;
            println!(
                "  forwarded RTP packets/s {rtp_out:.0} (received from publishers {rtp_in:.0}/s, received by clients {rtp_received:.0}/s); frames received by clients/s {:.0} (audio {:.0})",
                frames as f64 / secs,
                audio_frames as f64 / secs
            );
            // str0m needs a timer turn to queue a written packet and, with
            // bandwidth estimation (its pacer), another before each packet
            // leaves: this ratio bounds what forwarding through str0m can
            // cost (docs/PERFORMANCE.md).
            println!(
                "  timer turns per connection per second: {:.0}; per forwarded packet: {:.2}",
                timer_turns / connections.max(1) as f64,
                timer_turns / rtp_out.max(1.0)
            );
            rtp_out
        }
        _ => {
            // Janus keeps no such counter: what the clients received is
            // what it forwarded (loopback loses nothing here).
            println!(
                "  forwarded RTP packets/s {rtp_received:.0} (as received by the clients); frames received by clients/s {:.0} (audio {:.0})",
                frames as f64 / secs,
                audio_frames as f64 / secs
            );
            rtp_received
        }
    };
    println!(
        "  loss: {lost} frames of {} ({:.3}%)",
        frames + lost,
        100.0 * lost as f64 / (frames + lost).max(1) as f64
    );
    println!(
        "  latency publisher -> SFU -> subscriber, ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.9) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    if let (Some(a), Some(b)) = (cpu0, cpu1) {
        let cores = (b - a) / secs;
        println!(
            "  server CPU {:.0}% of one core: {:.0} forwarded packets/s per core, {:.2}% of a core per forwarded stream",
            cores * 100.0,
            forwarded / cores.max(1e-9),
            100.0 * cores / expected_streams as f64
        );
    }
    if let (Some(a), Some(b)) = (me0, me1) {
        println!(
            "  load generator CPU {:.0}% of one core (on the same machine)",
            100.0 * (b - a) / secs
        );
    }
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        println!(
            "  server memory: {b} KiB before, {a} KiB with the connections = {:.1} KiB per media connection",
            a.saturating_sub(b) as f64 / connections as f64
        );
    }
    for (_, _, p) in peers {
        p.stop().await;
    }
    drop(sessions);
    for s in janus_sessions {
        s.close().await;
    }
    if let Some(mut c) = child {
        let _ = c.proc.kill().await;
    }
    Ok(())
}

/// Creates the benchmark's convene meetings and joins every participant,
/// each with its media connection.
async fn join_media_meetings(
    args: &MediaBenchArgs,
    url: &str,
    account: String,
    password: String,
    epoch: Instant,
    peers: &mut Vec<(usize, bool, crate::media_peer::MediaPeer)>,
    sessions: &mut Vec<std::sync::Arc<convene_sdk::ConfSession>>,
) -> anyhow::Result<()> {
    use crate::media_peer::MediaPeer;
    use std::sync::Arc;
    let per = args.publishers + args.subscribers;
    let host = ConveneClient::new(url)?;
    host.login_by_account_async(LoginByAccountInfo { account, password })
        .await?;
    let ip = args.client_ip;
    let joiner = ConveneClient::new(url)?;
    for m in 0..args.meetings {
        let media = if args.audio_only {
            MediaType::Audio
        } else {
            MediaType::Video
        };
        let mut c = CreateConfInfo::new(format!("media bench {m}"), media, true);
        c.duration = Some(60);
        let conf = host.create_conf_async(c).await?;
        for i in 0..per {
            let publisher = i < args.publishers;
            let s = Arc::new(
                joiner
                    .join_conf_by_id_async(join_info(&conf, i, format!("m{m}p{i}")))
                    .await?,
            );
            let p = MediaPeer::start(s.clone(), ip, publisher, publisher && !args.audio_only, epoch).await?;
            sessions.push(s);
            peers.push((m, publisher, p));
        }
    }
    Ok(())
}

/// How a benchmark's participant `slot` of `conf` joins: the first as
/// its host (host password), the others as guests, mic and camera on.
fn join_info(conf: &convene_sdk::CreateConfResult, slot: usize, nick_name: String) -> convene_sdk::JoinConfByIdInfo {
    convene_sdk::JoinConfByIdInfo {
        conf_id: conf.conf_id.clone(),
        password: if slot == 0 {
            conf.host_pwd.clone()
        } else {
            conf.guest_pwd.clone()
        },
        nick_name,
        is_mic_on: true,
        is_camera_on: true,
        attendee_type: None,
    }
}

async fn media_stats(url: &str) -> anyhow::Result<convene_proto::live::MediaStats> {
    let r = reqwest::get(format!("{url}/v1/convene/media/stats")).await?;
    Ok(r.error_for_status()?.json().await?)
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
