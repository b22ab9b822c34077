//! A stock OpenSSH `sshd` on a free loopback port with its own config, host key and
//! authorized key, logging in as the user running the tests (public key only: an
//! unprivileged sshd cannot check passwords, and root needs no password set up).

use std::path::PathBuf;
use std::process::Command;

use crate::servers::{Supervised, TempDir, free_port};

const INSTALL_HINT: &str = "install Debian's openssh-server and openssh-client (scripts/bootstrap.sh does)";

pub struct Sshd {
    process: Supervised,
    pub port: u16,
    pub user: String,
    /// The key store directory holding the client key, named `naas-test`.
    pub key_dir: PathBuf,
    pub dir: TempDir,
}

fn keygen(path: &std::path::Path, kind: &str) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("ssh-keygen: {e}; {INSTALL_HINT}"));
    assert!(status.success(), "ssh-keygen failed");
}

impl Sshd {
    /// Public-key logins sshd accepted so far.
    pub fn logins(&self) -> usize {
        self.process.output().matches("Accepted publickey").count()
    }

    /// Waits (up to 5 s) until sshd's log, read on another thread, shows `n` logins.
    pub async fn await_logins(&self, n: usize) -> usize {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.logins() < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.logins()
    }

    pub fn start() -> Self {
        Self::start_with("ed25519", "")
    }

    /// Old gear: only diffie-hellman-group14-sha1, aes128-cbc, hmac-sha1 and an ssh-rsa
    /// host key, as a 2010-era switch offers.
    pub fn start_legacy() -> Self {
        Self::start_with(
            "rsa",
            "KexAlgorithms diffie-hellman-group14-sha1\nCiphers aes128-cbc\nMACs hmac-sha1\n\
             HostKeyAlgorithms ssh-rsa\n",
        )
    }

    fn start_with(host_key_type: &str, extra_config: &str) -> Self {
        let binary = PathBuf::from("/usr/sbin/sshd");
        assert!(binary.exists(), "no /usr/sbin/sshd; {INSTALL_HINT}");
        let dir = TempDir::new("sshd");
        let key_dir = dir.path().join("keys");
        std::fs::create_dir_all(&key_dir).unwrap();
        keygen(&dir.path().join("host_key"), host_key_type);
        keygen(&key_dir.join("naas-test"), "ed25519");
        std::fs::copy(key_dir.join("naas-test.pub"), dir.path().join("authorized_keys")).unwrap();
        std::fs::remove_file(key_dir.join("naas-test.pub")).unwrap();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_owned();
        if user == "root" {
            // Privilege separation directory sshd insists on when started as root.
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let config = format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
                 AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                 PermitRootLogin prohibit-password\nAllowUsers {user}\nPrintMotd no\nPrintLastLog no\n\
                 Banner none\nLogLevel VERBOSE\n{extra_config}",
                d = dir.path().display()
            );
            let config_path = dir.path().join("sshd_config");
            std::fs::write(&config_path, config).unwrap();
            let mut command = Command::new(&binary);
            command.arg("-D").arg("-e").arg("-f").arg(&config_path);
            match Supervised::spawn(command, "Server listening on 127.0.0.1", true) {
                Ok((process, _)) => return Self { process, port, user, key_dir, dir },
                Err(e) => last_error = e,
            }
        }
        panic!("sshd would not start: {last_error}");
    }
}
