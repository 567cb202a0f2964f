//! A per-test world: a fresh embedded store in a temp dir, users created in it, and daemons
//! started in-process on `127.0.0.1:0` with a shutdown token the test controls.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use eider_model::{NewUser, User};
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_runtime::metrics::Metrics;
use eider_store::MailStore;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};

pub struct World {
    pub store: Arc<dyn MailStore>,
    pub config: Arc<Config>,
    pub shutdown: Shutdown,
    pub dir: tempfile::TempDir,
    /// One registry for every daemon of this world, as in one `eider serve` process.
    pub metrics: Metrics,
}

impl World {
    /// A fresh store with the default configuration changed by `tweak`.
    pub fn new(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        config.auth.failure_delay_ms = 20;
        tweak(&mut config);
        let store: Arc<dyn MailStore> =
            Arc::new(EmbeddedStore::open(dir.path(), EmbeddedOptions::default())?);
        let metrics = Metrics::in_process();
        metrics.watch_store(&store);
        Ok(Self {
            metrics,
            store,
            config: Arc::new(config),
            shutdown: Shutdown::new(),
            dir,
        })
    }

    /// A context over this world's store, config and shared metrics.
    pub fn ctx(&self) -> Context {
        let mut ctx = Context::new(Arc::clone(&self.config), Arc::clone(&self.store));
        ctx.metrics = self.metrics.clone();
        ctx
    }

    /// Creates a user with a password and addresses (normalised here).
    pub async fn user(
        &self,
        name: &str,
        password: &str,
        addresses: &[&str],
    ) -> anyhow::Result<User> {
        let user = self
            .store
            .create_user(NewUser {
                username: name.into(),
                password_hash: eider_runtime::password::hash(password)?,
                quota: 0,
                limits: Default::default(),
                spam_level: 50,
            })
            .await?;
        for a in addresses {
            let n = eider_store::address::normalize(a)?;
            self.store.add_address(user.id, &n, a).await?;
        }
        Ok(user)
    }

    /// Starts a daemon's `run` on a fresh loopback port; returns the address.
    pub async fn spawn<F, Fut>(&self, run: F) -> anyhow::Result<SocketAddr>
    where
        F: FnOnce(tokio::net::TcpListener, Context, Shutdown) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let fut = run(listener, self.ctx(), self.shutdown.clone());
        tokio::spawn(async move {
            if let Err(e) = fut.await {
                eprintln!("daemon failed: {e:#}");
            }
        });
        Ok(addr)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
