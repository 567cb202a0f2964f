//! A private three-master Redis Cluster for one test: three `redis-server --cluster-enabled yes`
//! on random ports (client and cluster-bus ports both picked free), joined with
//! `redis-cli --cluster create ... --cluster-replicas 0`, ready once every node reports
//! `cluster_state:ok`. No persistence; every node is killed on drop.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisCluster {
    /// The client ports of the three masters.
    pub ports: Vec<u16>,
    children: Vec<Option<Child>>,
    dir: tempfile::TempDir,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl RedisCluster {
    /// Starts one, or returns `None` after [`crate::require`] when `redis-server` or
    /// `redis-cli` is missing.
    pub fn start() -> anyhow::Result<Option<Self>> {
        let have = crate::have_command("redis-server") && crate::have_command("redis-cli");
        if !crate::require("redis-server and redis-cli", have) {
            return Ok(None);
        }
        let dir = tempfile::tempdir()?;
        let mut cluster = Self {
            ports: Vec::new(),
            children: Vec::new(),
            dir,
        };
        for i in 0..3 {
            let node_dir = cluster.dir.path().join(format!("node{i}"));
            std::fs::create_dir_all(&node_dir)?;
            let (child, port) = start_node(&node_dir)?;
            cluster.children.push(Some(child));
            cluster.ports.push(port);
        }
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(cluster.ports.iter().map(|p| format!("127.0.0.1:{p}")))
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()?;
        anyhow::ensure!(
            created.status.success(),
            "redis-cli --cluster create failed:\n{}{}",
            String::from_utf8_lossy(&created.stdout),
            String::from_utf8_lossy(&created.stderr)
        );
        let ports = cluster.ports.clone();
        wait_for(|| {
            ports
                .iter()
                .all(|&p| cli(p, &["cluster", "info"]).contains("cluster_state:ok"))
        })
        .map_err(|_| anyhow::anyhow!("cluster did not reach cluster_state:ok"))?;
        Ok(Some(cluster))
    }

    /// `redis+cluster://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C`.
    pub fn url(&self) -> String {
        self.url_of(&[0, 1, 2])
    }

    /// A `redis+cluster://` URL listing only the given nodes (indexes into [`Self::ports`]) as
    /// seeds.
    pub fn url_of(&self, nodes: &[usize]) -> String {
        let hosts: Vec<String> = nodes
            .iter()
            .map(|&i| format!("127.0.0.1:{}", self.ports[i]))
            .collect();
        format!("redis+cluster://{}", hosts.join(","))
    }

    /// The keys matching `pattern` stored on node `i` (that node only, no redirection).
    pub fn keys_on(&self, i: usize, pattern: &str) -> Vec<String> {
        cli(self.ports[i], &["--scan", "--pattern", pattern])
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Kills node `i` (like a crash).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Attempts at starting one node: a free port can be taken by someone else between the probe
/// and redis-server's bind, and the node then exits at once; it is retried on new ports.
const NODE_ATTEMPTS: usize = 4;

/// Starts one cluster node in `dir` and waits until it accepts connections.
fn start_node(dir: &std::path::Path) -> anyhow::Result<(Child, u16)> {
    for _ in 0..NODE_ATTEMPTS {
        let (port, bus) = (free_port()?, free_port()?);
        if port == bus {
            continue;
        }
        let log = std::fs::File::create(dir.join("redis.log"))?;
        let mut child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--cluster-enabled",
                "yes",
                "--cluster-port",
                &bus.to_string(),
            ])
            .args(["--cluster-config-file", "nodes.conf"])
            .args(["--cluster-node-timeout", "2000"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut exited = false;
        let up = wait_for(|| {
            if matches!(child.try_wait(), Ok(Some(_))) {
                exited = true;
                return true;
            }
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        if up.is_ok() && !exited {
            return Ok((child, port));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
    anyhow::bail!("redis-server did not start in {NODE_ATTEMPTS} attempts:\n{log}")
}

/// `redis-cli -p PORT ARGS...`'s standard output ("" when it fails).
fn cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn wait_for(mut ready: impl FnMut() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(())
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}
