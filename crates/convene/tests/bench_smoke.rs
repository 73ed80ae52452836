//! The benchmarks still run and report their figures (with tiny loads; no
//! speed is asserted here: targets live in the benchmarks themselves).

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(args)
        .output()
        .expect("run convene");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn bench_create_reports_rate_and_percentiles() {
    let out = run(&["bench", "create", "--clients", "2", "--seconds", "1"]);
    assert!(out.contains("creates/s (0 failed)") && out.contains("p99"), "{out}");
    assert!(
        out.contains("us per create") && out.contains("load generator CPU"),
        "{out}"
    );
}

#[test]
fn bench_join_reports_latency_and_memory() {
    let out = run(&[
        "bench",
        "join",
        "--meetings",
        "2",
        "--per-meeting",
        "3",
        "--rate",
        "50",
        "--rounds",
        "2",
    ]);
    assert!(
        out.contains("joined 6") && out.contains("KiB per connected participant"),
        "{out}"
    );
    assert!(
        out.contains("control -> event at every participant") && out.contains("p99"),
        "{out}"
    );
}

#[test]
fn bench_media_reports_forwarding_loss_latency_and_cpu() {
    let out = run(&[
        "bench",
        "media",
        "--meetings",
        "1",
        "--publishers",
        "2",
        "--subscribers",
        "1",
        "--seconds",
        "1",
    ]);
    assert!(out.contains("3 media connections, 8 forwarded streams"), "{out}");
    assert!(out.contains("forwarded RTP packets/s") && out.contains("p99"), "{out}");
    assert!(out.contains("forwarded packets/s per core"), "{out}");
    // The clients' own count, the one a Janus run reports, is there too.
    assert!(out.contains("received by clients"), "{out}");
}

#[test]
fn bench_media_loads_this_machine_only() {
    let out = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["bench", "media", "--client-ip", "192.0.2.1", "--seconds", "1"])
        .output()
        .expect("run convene");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--client-ip must be a loopback address"), "{err}");
}
