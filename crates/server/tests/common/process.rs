//! Running the `enishi` binary as an admin would: commands, and `serve` as a child process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `enishi` binary with only `envs` in its environment (and quiet logs).
pub fn enishi(envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_enishi"));
    cmd.env_clear().env("ENISHI_LOG", "warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `enishi ARGS` with `stdin` and waits for it.
pub fn run(envs: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> anyhow::Result<Output> {
    let mut child = enishi(envs)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes())?;
        }
    }
    Ok(child.wait_with_output()?)
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `enishi serve`, killed if the test ends before stopping it.
pub struct Server(pub Option<Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `enishi serve` and waits for its "serving" line.
pub fn serve(envs: &[(&str, &str)], cwd: &std::path::Path) -> anyhow::Result<(Server, String)> {
    serve_with(envs, cwd, &[])
}

/// Starts `enishi serve ARGS` and waits for its "serving" line.
pub fn serve_with(
    envs: &[(&str, &str)],
    cwd: &std::path::Path,
    args: &[&str],
) -> anyhow::Result<(Server, String)> {
    let mut child = enishi(envs)
        .arg("serve")
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while Instant::now() < deadline {
        match lines.next() {
            Some(line) => {
                let line = line?;
                seen.push_str(&line);
                seen.push('\n');
                if line.starts_with("Enishi is serving") {
                    // Keep draining stdout so the server never blocks on a full pipe.
                    std::thread::spawn(move || for _ in lines.by_ref() {});
                    return Ok((Server(Some(child)), seen));
                }
            }
            None => break,
        }
    }
    let _ = child.kill();
    anyhow::bail!("enishi serve did not start: {seen}")
}

/// Stops `enishi serve` with SIGTERM and expects a clean exit.
pub fn stop(mut server: Server) -> anyhow::Result<()> {
    let child = server.0.as_mut().expect("running");
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait()? {
            server.0 = None;
            anyhow::ensure!(status.success(), "enishi serve exited with {status}");
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "enishi serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
