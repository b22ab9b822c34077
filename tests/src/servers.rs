//! Real `nats-server` (JetStream on, encrypted store) and `redis-server` processes, each on
//! a free loopback port with its own temp dir, stopped and removed on Drop.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const INSTALL_HINT: &str = "run `make tools` (scripts/bootstrap.sh) to install a recent nats-server and redis-server";

/// A temp directory removed on Drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(what: &str) -> Self {
        let path = std::env::temp_dir().join(format!("naas-{what}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// A recent nats-server: `NAAS_NATS_SERVER`, the project's tool venv, then PATH.
pub fn nats_server_binary() -> PathBuf {
    let candidates = [
        std::env::var_os("NAAS_NATS_SERVER").map(PathBuf::from),
        Some(workspace_root().join(".tools/venv/bin/nats-server")),
        Some(PathBuf::from("nats-server")),
    ];
    for candidate in candidates.into_iter().flatten() {
        let Ok(out) = Command::new(&candidate).arg("--version").output() else { continue };
        let version = String::from_utf8_lossy(&out.stdout).to_string();
        // "nats-server: v2.15.1"
        let v = version.trim().rsplit('v').next().unwrap_or("");
        let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if (major, minor) >= (2, 11) {
            return candidate;
        }
    }
    panic!("no nats-server >= 2.11 found (Debian's 2.9 is too old); {INSTALL_HINT}");
}

pub(crate) fn redis_server_binary() -> PathBuf {
    for candidate in ["redis-server", "/usr/bin/redis-server"] {
        if Command::new(candidate).arg("--version").output().is_ok() {
            return PathBuf::from(candidate);
        }
    }
    panic!("redis-server not found; {INSTALL_HINT}");
}

/// A child process with its output drained on a thread (so it never blocks on a full
/// pipe) and kept for diagnostics.
pub struct Supervised {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Supervised {
    /// Spawns `command` and waits until a line containing `ready` appears, returning the
    /// lines seen up to then. Fails if the process exits or says nothing for 20 s.
    pub fn spawn(mut command: Command, ready: &str, from_stderr: bool) -> Result<(Self, Vec<String>), String> {
        command.stdin(Stdio::null());
        if from_stderr {
            command.stderr(Stdio::piped()).stdout(Stdio::null());
        } else {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
        let mut child = command.spawn().map_err(|e| format!("spawn {command:?}: {e}"))?;
        let pipe: Box<dyn Read + Send> = if from_stderr {
            Box::new(child.stderr.take().expect("piped stderr"))
        } else {
            Box::new(child.stdout.take().expect("piped stdout"))
        };
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let keep = output.clone();
        let marker = ready.to_owned();
        std::thread::spawn(move || {
            let mut announcing = true;
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                keep.lock().unwrap().push_str(&format!("{line}\n"));
                if announcing {
                    announcing = !line.contains(&marker);
                    let _ = tx.send(line);
                }
            }
        });
        let mut lines = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => {
                    let done = line.contains(ready);
                    lines.push(line);
                    if done {
                        break;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{command:?} did not become ready:\n{}", output.lock().unwrap()));
                }
            }
        }
        Ok((Self { child, output }, lines))
    }
}

impl Supervised {
    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct NatsServer {
    process: Option<Supervised>,
    pub url: String,
    pub dir: TempDir,
}

impl NatsServer {
    pub fn start() -> Self {
        Self::start_with(TempDir::new("nats"), "")
    }

    /// With the Go runtime's soft memory limit (`GOMEMLIMIT`), bytes: what an operator sets
    /// to bound nats-server's memory (the collector works harder near it rather than let
    /// the heap grow to twice what is live).
    pub fn start_with_memory_limit(bytes: u64) -> Self {
        Self::spawn(TempDir::new("nats"), "", Some(bytes))
    }

    /// TLS with a certificate generated for 127.0.0.1 (returned as `ca_file`) and
    /// user/password authentication.
    pub fn start_tls(user: &str, password: &str) -> (Self, PathBuf) {
        let dir = TempDir::new("nats");
        let generated =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
        let extra = format!(
            "tls {{\n  cert_file: {cert:?}\n  key_file: {key:?}\n}}\n\
             authorization {{\n  user: \"{user}\"\n  password: \"{password}\"\n}}\n"
        );
        let mut server = Self::start_with(dir, &extra);
        server.url = server.url.replace("nats://", "tls://");
        (server, cert)
    }

    pub(crate) fn start_with(dir: TempDir, extra: &str) -> Self {
        Self::spawn(dir, extra, None)
    }

    fn spawn(dir: TempDir, extra: &str, memory_limit: Option<u64>) -> Self {
        let store = dir.path().join("jetstream");
        let key = uuid::Uuid::new_v4().simple().to_string();
        let config = format!(
            "host: 127.0.0.1\nport: -1\nhttp_port: -1\nmax_payload: 8MB\n\
             jetstream {{\n  store_dir: {store:?}\n  cipher: chachapoly\n  key: \"{key}\"\n}}\n{extra}"
        );
        let config_path = dir.path().join("nats.conf");
        std::fs::write(&config_path, config).expect("write nats config");
        let mut command = Command::new(nats_server_binary());
        command.arg("-c").arg(&config_path);
        if let Some(bytes) = memory_limit {
            command.env("GOMEMLIMIT", bytes.to_string());
        }
        let (process, lines) = Supervised::spawn(command, "Server is ready", true).unwrap_or_else(|e| panic!("{e}"));
        let url = lines
            .iter()
            .find_map(|l| l.split("Listening for client connections on ").nth(1))
            .map(|addr| format!("nats://{}", addr.trim()))
            .expect("nats-server announced its client port");
        Self { process: Some(process), url, dir }
    }

    /// Kills the server (an outage); `resume` restarts it on the same port with the same
    /// store, as a restarted pod would.
    pub fn kill(&mut self) {
        self.process = None;
    }

    pub fn resume(&mut self) {
        let config_path = self.dir.path().join("nats.conf");
        let port = self.url.rsplit(':').next().expect("url has a port").to_owned();
        let config = std::fs::read_to_string(&config_path).unwrap().replacen("port: -1", &format!("port: {port}"), 1);
        std::fs::write(&config_path, config).unwrap();
        let mut command = Command::new(nats_server_binary());
        command.arg("-c").arg(&config_path);
        let (process, _) = Supervised::spawn(command, "Server is ready", true).unwrap_or_else(|e| panic!("{e}"));
        self.process = Some(process);
    }

    /// The JetStream store directory (encrypted at rest).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("jetstream")
    }

    pub fn log(&self) -> String {
        self.process.as_ref().map(Supervised::output).unwrap_or_default()
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Supervised::pid)
    }
}

pub struct RedisServer {
    process: Option<Supervised>,
    pub url: String,
    _dir: TempDir,
    _certs: Option<TempDir>,
    /// How to start it again on the same port (for outage tests).
    command: Vec<String>,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_with(&[], "redis")
    }

    /// TLS only (certificate generated for 127.0.0.1, returned as `ca_file`) and a password.
    pub fn start_tls(password: &str) -> (Self, PathBuf) {
        let certs = TempDir::new("redis-tls");
        let generated =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let (cert, key) = (certs.path().join("server.crt"), certs.path().join("server.key"));
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
        let (c, k) = (cert.display().to_string(), key.display().to_string());
        let args = ["--tls-cert-file", &c, "--tls-key-file", &k, "--tls-ca-cert-file", &c, "--tls-auth-clients", "no"];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(["--requirepass".to_owned(), password.to_owned()]);
        let mut server = Self::start_with(&args, "rediss");
        server.url = server.url.replacen("rediss://", &format!("rediss://:{password}@"), 1);
        server._certs = Some(certs);
        (server, cert)
    }

    pub(crate) fn start_with(extra: &[String], scheme: &str) -> Self {
        let dir = TempDir::new("redis");
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let (plain, tls) = if scheme == "rediss" { (0, port) } else { (port, 0) };
            let mut args: Vec<String> =
                ["--bind", "127.0.0.1", "--port", &plain.to_string(), "--tls-port", &tls.to_string()]
                    .iter()
                    .map(|a| a.to_string())
                    .collect();
            // Persistent like a production Redis (append-only file, every write synced), so a
            // restart keeps job records and leases.
            args.extend(["--save", "", "--appendonly", "yes", "--appendfsync", "always"].map(String::from));
            args.extend(extra.iter().cloned());
            args.extend(["--logfile", "", "--daemonize", "no", "--dir"].map(String::from));
            args.push(dir.path().display().to_string());
            match Self::spawn(&args) {
                Ok(process) => {
                    let url = format!("{scheme}://127.0.0.1:{port}");
                    return Self { process: Some(process), url, _dir: dir, _certs: None, command: args };
                }
                Err(e) => last_error = e,
            }
        }
        panic!("redis-server would not start: {last_error}");
    }

    fn spawn(args: &[String]) -> Result<Supervised, String> {
        let mut command = Command::new(redis_server_binary());
        command.args(args);
        Supervised::spawn(command, "Ready to accept connections", false).map(|(process, _)| process)
    }

    /// Kills the server (an outage); `resume` starts it again on the same port and data.
    pub fn kill(&mut self) {
        self.process = None;
    }

    pub fn resume(&mut self) {
        self.process = Some(Self::spawn(&self.command).unwrap_or_else(|e| panic!("{e}")));
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Supervised::pid)
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A loopback port with nothing listening: connecting to it is refused.
pub fn closed_port() -> u16 {
    free_port()
}
