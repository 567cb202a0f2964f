use super::{Bus, BusMessage};
use eider_model::NewUser;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::mailstore::MailStore;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn in_process_bus_delivers_store_events() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MailStore> =
        Arc::new(EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let bus = Bus::in_process(Arc::clone(&store));
    assert!(bus.is_connected());
    let mut rx = bus.subscribe();
    let user = store
        .create_user(NewUser {
            username: "alice".into(),
            password_hash: String::new(),
            quota: 0,
            limits: Default::default(),
            spam_level: 50,
        })
        .await
        .unwrap();
    let mb = store.create_mailbox(user.id, "Tmp", None).await.unwrap();
    store.delete_mailbox(mb.id).await.unwrap();
    let got = loop {
        match tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
            Ok(Some(BusMessage::Changed(ev))) if ev.mailbox == mb.id => break ev,
            Ok(Some(_)) => {}
            other => panic!("no event: {other:?}"),
        }
    };
    assert_eq!(got.user, user.id);
    // No Redis: publish has nowhere further to go and must not disturb receivers.
    bus.publish(got);
}

#[test]
fn from_config_refuses_unsupported_urls() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MailStore> =
        Arc::new(EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let mut config = crate::config::Config::default();
    assert!(
        Bus::from_config(&config, Arc::clone(&store)).is_ok(),
        "no url: in-process"
    );
    config.redis.url = "rediss://127.0.0.1:6380".into();
    let err = Bus::from_config(&config, store).unwrap_err();
    assert!(err.to_string().contains("not supported yet"), "{err}");
}
