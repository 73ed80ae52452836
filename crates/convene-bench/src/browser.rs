//! The browser scripts' folder (`web/tests`: playwright-core driving the
//! machine's Chromium), shared by the browser tests and `bench page`.

use std::path::PathBuf;

use anyhow::{bail, Context};

/// `web/tests` in the checkout.
pub fn web_tests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/tests")
}

/// playwright-core and axe-core in `web/tests` (installed with npm once;
/// playwright drives Debian's Chromium and never downloads a browser), and
/// Chromium itself.
pub fn ensure_playwright() -> anyhow::Result<()> {
    if !std::path::Path::new("/usr/bin/chromium").exists() && std::env::var_os("CHROMIUM").is_none() {
        bail!("the browser tests need Chromium: apt-get install chromium (as .ci/run does)");
    }
    let dir = web_tests();
    let have = |m: &str| dir.join("node_modules").join(m).join("package.json").exists();
    if have("playwright-core") && have("axe-core") {
        return Ok(());
    }
    let ok = std::process::Command::new("npm")
        .args(["install", "--silent", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .context("npm on PATH (Node.js is needed for the browser tests)")?;
    if !ok.success() {
        bail!("npm install in {} failed", dir.display());
    }
    Ok(())
}
